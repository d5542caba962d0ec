"""Probes that run during every run: the main-loop heartbeat, and process resource readings.

Resource readings cover the whole process, every thread included, from the same source the process
workers use (`getrusage`), so models compare like with like. psutil is optional: without it (another
interpreter may run the lab) the probe still works, and says which sources it read.
"""

from __future__ import annotations

import asyncio
import sys
import time
from time import perf_counter

try:
    import resource
except ImportError:  # pragma: no cover - not on Windows
    resource = None  # type: ignore[assignment]

try:
    import psutil
except ImportError:  # optional: RSS then comes from getrusage
    psutil = None

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
    """CPU time, context switches (every thread's) and peak RSS of this process over a run.

    `sources` names where each reading came from (`cpu`, `ctx_switches`, `rss`); `metrics_source`
    says the same in one line, for the run's record. Without psutil, peak RSS is `ru_maxrss`: the
    process's peak since it started, not only this run's.
    """

    def __init__(self) -> None:
        self._proc = psutil.Process() if psutil is not None else None
        self._cpu0 = 0.0
        self._ctx0 = 0
        self.cpu_s = 0.0
        self.ctx_switches = 0
        self.peak_rss_mb = 0.0
        self.sources: dict[str, str] = {
            "cpu": "getrusage" if resource is not None else "process_time",
            "ctx_switches": "getrusage" if resource is not None else "psutil" if self._proc else "none",
            "rss": "psutil" if self._proc is not None else "ru_maxrss" if resource is not None else "none",
        }

    @property
    def metrics_source(self) -> str:
        """Where the readings came from, e.g. `cpu=getrusage ctx_switches=getrusage rss=psutil`."""
        return " ".join(f"{k}={v}" for k, v in self.sources.items())

    def _cpu(self) -> float:
        if resource is None:
            return time.process_time()
        ru = resource.getrusage(resource.RUSAGE_SELF)
        return float(ru.ru_utime + ru.ru_stime)

    def _ctx(self) -> int:
        if resource is not None:
            ru = resource.getrusage(resource.RUSAGE_SELF)
            return int(ru.ru_nvcsw + ru.ru_nivcsw)
        if self._proc is not None:
            c = self._proc.num_ctx_switches()
            return int(c.voluntary + c.involuntary)
        return 0

    def _rss_mb(self) -> float:
        if self._proc is not None:
            return float(self._proc.memory_info().rss) / 2**20
        if resource is not None:
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            # ru_maxrss is in KiB on Linux, in bytes on macOS.
            return float(peak) / (2**20 if sys.platform == "darwin" else 2**10)
        return 0.0

    def begin(self) -> None:
        self._cpu0 = self._cpu()
        self._ctx0 = self._ctx()
        self.peak_rss_mb = 0.0
        self.sample_rss()

    def sample_rss(self) -> None:
        rss = self._rss_mb()
        if rss > self.peak_rss_mb:
            self.peak_rss_mb = rss

    def end(self) -> None:
        self.sample_rss()
        self.cpu_s = self._cpu() - self._cpu0
        self.ctx_switches = self._ctx() - self._ctx0
