"""A long session: hundreds of runs through the window's run controller, all measured in one warm lab.

A mixed plan, 250 runs: 20 sessions of twelve runs (sequential, asyncio and threads, four of each,
labelled apart, handed to the controller as a lesson's page hands its request) and 10 presses of the
window's Run under processes (each starts and stops a pool of worker processes in the lab). After every
session both processes are back where they started: the window's process (this one) and the lab (read
from /proc/<lab pid>) have no more threads and no more open file descriptors than before. Over the
whole session the memory (RSS) of each grows by at most 20 MB, and the lab is never replaced.
"""

from __future__ import annotations

import asyncio
import gc
import time

import psutil
import pytest
import qasync

from conclab.model.plan_text import parse
from conclab.model.session_spec import RunSpec, SessionRequest
from conclab.ui.shell.main_window import MainWindow
from conclab.ui.shell.run_handle import RunHandle, RunState
from tests.reliability.labtools import fd_targets, pool_workers, rss_mb

LEAK_GUARD = True
PLAN = "sleep 5ms; cpu 5ms; net 5ms; hash 5ms; block 5ms in thread"
LABELLED = tuple(RunSpec(m, label=f"{m} {i}") for i in range(1, 5) for m in ("sequential", "asyncio", "threads"))
SESSIONS: dict[str, int] = {"labelled": 20, "processes": 10}
RSS_GROWTH_MB = 20.0

Counts = tuple[int, int]


def _counts(pid: int) -> Counts:
    return psutil.Process(pid).num_threads(), len(fd_targets(pid))


def _within(now: Counts, base: Counts) -> bool:
    return now[0] <= base[0] and now[1] <= base[1]


async def _settled(pid: int, base: Counts, timeout: float = 2.0) -> Counts:
    """Threads end, and pool pipes close, a moment after a run in the kernel's view; give that moment, no more."""
    end = time.perf_counter() + timeout
    now = _counts(pid)
    while not _within(now, base) and time.perf_counter() < end:
        await asyncio.sleep(0.005)
        now = _counts(pid)
    return now


@pytest.mark.timeout(300)
def test_hundreds_of_runs_through_one_warm_lab_leave_no_threads_fds_or_memory_behind(
        window: MainWindow, qloop: qasync.QEventLoop) -> None:
    window.editor.set_plan(parse(PLAN))
    handles: list[RunHandle] = []
    window.controller.run_started.connect(handles.append)
    lab = window.controller.labs.client()
    me = psutil.Process().pid
    stats: dict[str, object] = {}

    async def one(kind: str) -> int:
        """A session: twelve labelled runs through the controller, or the window's Run under processes."""
        if kind == "labelled":
            handle = window.controller.start(SessionRequest(PLAN, LABELLED))
            assert handle is not None
        else:
            window.controls.set_models(["processes"])
            window.run_action.trigger()
            handle = handles[-1]
        await window.controller.wait()
        assert handle.state == RunState.FINISHED, (kind, handle.error)
        assert handle.document is not None
        for run in handle.document.runs:
            assert [t.state for t in run.tasks] == ["done"] * len(run.tasks), (run.name, run.tasks)
        return len(handle.document.runs)

    async def session() -> None:
        for kind in SESSIONS:  # warm up: calibration, the loopback server, imports, allocator pools, Qt caches
            for _ in range(2):
                await one(kind)
        assert lab.pid is not None
        pid = lab.pid
        gc.collect()
        base = {me: _counts(me), pid: _counts(pid)}
        start = dict(base)
        rss0 = {me: rss_mb(me), pid: rss_mb(pid)}
        peak = dict(rss0)
        t0 = time.perf_counter()
        n = 0
        for kind, count in SESSIONS.items():
            for i in range(count):
                n += await one(kind)
                for who, name in ((me, "window"), (pid, "lab")):
                    after = await _settled(who, base[who])
                    assert _within(after, base[who]), f"{name} after {kind} session {i}: {base[who]} -> {after}"
                    # Something from before the session (a collected pipe, another test's thread) may end
                    # meanwhile: the count to come back to is then the lower one.
                    base[who] = (min(base[who][0], after[0]), min(base[who][1], after[1]))
                    if i % 5 == 0:
                        peak[who] = max(peak[who], rss_mb(who))
        gc.collect()
        stats.update(runs=n, seconds=time.perf_counter() - t0, start=start, end=base, rss0=rss0, peak=peak,
                     rss1={me: rss_mb(me), pid: rss_mb(pid)}, pid=pid)

    qloop.run_until_complete(session())
    pid = stats["pid"]
    assert isinstance(pid, int)
    rss0, rss1, peak = stats["rss0"], stats["rss1"], stats["peak"]
    assert isinstance(rss0, dict) and isinstance(rss1, dict) and isinstance(peak, dict)
    print(f"\nlong session: {stats['runs']} runs in {stats['seconds']:.1f} s through lab {pid}; "
          f"threads/fds window {stats['start'][me]} -> {stats['end'][me]}, "  # type: ignore[index]
          f"lab {stats['start'][pid]} -> {stats['end'][pid]}; "  # type: ignore[index]
          f"RSS window {rss0[me]:.1f} -> {rss1[me]:.1f} MB (peak {peak[me]:.1f}), "
          f"lab {rss0[pid]:.1f} -> {rss1[pid]:.1f} MB (peak {peak[pid]:.1f})")
    assert lab.pid == pid and lab.restarts == 0, "one warm lab served the whole session"
    assert pool_workers(pid) == []
    for who, name in ((me, "window"), (pid, "lab")):
        growth = float(rss1[who]) - float(rss0[who])
        assert growth <= RSS_GROWTH_MB, f"the {name}'s RSS grew by {growth:.1f} MB"
