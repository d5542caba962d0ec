"""Helpers for the reliability tests of the lab: a listener that keeps what it is told, the lab's family
of processes by role, open descriptors read from /proc, and waiting for a condition on a running loop."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable
from time import perf_counter

import psutil

from conclab.model.live import LiveFrame
from conclab.model.run import ModelRun
from conclab.model.session_spec import RunSpec
from conclab.model.trace import Span


class Collect:
    """A session listener that keeps everything it is told."""

    def __init__(self) -> None:
        self.started: list[tuple[int, str]] = []
        self.frames: list[LiveFrame] = []
        self.finished: list[ModelRun] = []

    def run_started(self, index: int, spec: RunSpec) -> None:
        self.started.append((index, spec.name))

    def frame(self, frame: LiveFrame) -> None:
        self.frames.append(frame)

    def run_finished(self, index: int, run: ModelRun) -> None:
        self.finished.append(run)

    @property
    def running(self) -> bool:
        """Whether a span has been seen: the run's work is under way."""
        return any(f.spans or f.opened for f in self.frames)

    @property
    def failures(self) -> list[str]:
        return [line for f in self.frames for line in f.failures]

    def live_spans(self, index: int) -> list[Span]:
        """Every span streamed for run `index`."""
        return [s for f in self.frames if f.run_index == index for s in f.spans]


async def until(cond: Callable[[], bool], timeout: float, step: float = 0.01) -> bool:
    """Wait on the running loop until `cond()` holds (True) or `timeout` seconds have passed (False)."""
    end = perf_counter() + timeout
    while not cond():
        if perf_counter() > end:
            return False
        await asyncio.sleep(step)
    return True


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def family(pid: int) -> list[psutil.Process]:
    """Every live descendant of `pid` (for a lab: its loopback server, pool workers, resource tracker)."""
    try:
        return [p for p in psutil.Process(pid).children(recursive=True) if alive(p.pid)]
    except psutil.NoSuchProcess:
        return []


def cmdline(p: psutil.Process) -> str:
    try:
        return " ".join(p.cmdline())
    except psutil.Error:
        return ""


def is_lab(p: psutil.Process) -> bool:
    return "conclab.engines.lab" in cmdline(p)


def listens(p: psutil.Process) -> bool:
    """Whether `p` has a listening internet socket (the loopback server does; nothing else of ours may)."""
    try:
        return any(c.status == psutil.CONN_LISTEN for c in p.net_connections(kind="inet"))
    except psutil.Error:
        return False


def pool_workers(lab_pid: int) -> list[psutil.Process]:
    """The lab's process-pool workers: its spawned children other than the loopback server."""
    return [p for p in family(lab_pid)
            if "multiprocessing" in cmdline(p) and "resource_tracker" not in cmdline(p) and not listens(p)]


def fd_targets(pid: int) -> list[str]:
    """What each open descriptor of `pid` points at (`pipe:[…]`, `socket:[…]`, a path), from /proc."""
    folder = f"/proc/{pid}/fd"
    out = []
    for name in os.listdir(folder):
        with contextlib.suppress(FileNotFoundError):  # closed while we looked
            out.append(os.readlink(f"{folder}/{name}"))
    return sorted(out)


def rss_mb(pid: int) -> float:
    return float(psutil.Process(pid).memory_info().rss) / 2**20
