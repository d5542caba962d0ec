"""Probes that run during every run: the main-loop heartbeat, and process resource readings."""

from __future__ import annotations

import asyncio
from time import perf_counter

import psutil

HEARTBEAT_S = 0.010
RSS_EVERY = 10


class Heartbeat:
    """Ticks on the running loop every 10 ms and records how late each tick was: the loop's lag."""

    def __init__(self, period: float = HEARTBEAT_S, resources: ResourceProbe | None = None,
                 samples: list[tuple[float, float]] | None = None) -> None:
        self.period = period
        self.samples: list[tuple[float, float]] = [] if samples is None else samples
        self._origin = 0.0
        self._expected = 0.0
        self._handle: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._resources = resources
        self._ticks = 0

    def start(self, origin: float) -> None:
        self._loop = asyncio.get_running_loop()
        self._origin = origin
        self._expected = perf_counter() + self.period
        self._handle = self._loop.call_later(self.period, self._tick)

    def _tick(self) -> None:
        now = perf_counter()
        # Stamped when the tick ran: a tick `late` seconds late means the loop was busy over [t - late, t].
        self.samples.append((now - self._origin, max(0.0, now - self._expected)))
        self._ticks += 1
        if self._resources is not None and self._ticks % RSS_EVERY == 0:
            self._resources.sample_rss()
        self._expected = now + self.period
        assert self._loop is not None
        self._handle = self._loop.call_later(self.period, self._tick)

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None


class ResourceProbe:
    """CPU time, context switches and peak RSS of this process over a run."""

    def __init__(self) -> None:
        self._proc = psutil.Process()
        self._cpu0 = 0.0
        self._ctx0 = 0
        self.cpu_s = 0.0
        self.ctx_switches = 0
        self.peak_rss_mb = 0.0

    def _cpu(self) -> float:
        t = self._proc.cpu_times()
        return float(t.user + t.system)

    def _ctx(self) -> int:
        c = self._proc.num_ctx_switches()
        return int(c.voluntary + c.involuntary)

    def begin(self) -> None:
        self._cpu0 = self._cpu()
        self._ctx0 = self._ctx()
        self.peak_rss_mb = 0.0
        self.sample_rss()

    def sample_rss(self) -> None:
        rss = self._proc.memory_info().rss / 2**20
        if rss > self.peak_rss_mb:
            self.peak_rss_mb = rss

    def end(self) -> None:
        self.sample_rss()
        self.cpu_s = self._cpu() - self._cpu0
        self.ctx_switches = self._ctx() - self._ctx0
