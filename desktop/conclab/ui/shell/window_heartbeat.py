"""The window's own heartbeat: how late the window's event loop ran while a run was going.

It ticks every 10 ms on the window's loop — the loop that paints, handles clicks and reads the lab's
stream — and records how late each tick was, the same measure the lab takes of the measured program's
loop. A sluggish window shows here whatever the cause: its own painting, or (inside this window) the
threads of the run competing with it for the GIL.
"""

from __future__ import annotations

import asyncio
from time import perf_counter

from conclab.engines.probe import HEARTBEAT_S

MAX_SAMPLES = 200_000


class WindowHeartbeat:
    """Ticks on the running loop between `start` and `stop`; `since_mark` reads the samples of one run."""

    def __init__(self, period: float = HEARTBEAT_S) -> None:
        self.period = period
        self.samples: list[tuple[float, float]] = []
        self._mark = 0
        self._mark_t = 0.0
        self._expected = 0.0
        self._handle: asyncio.TimerHandle | None = None

    @property
    def running(self) -> bool:
        return self._handle is not None

    def start(self) -> None:
        if self._handle is not None:
            return
        self.samples.clear()
        self._mark = 0
        self._expected = perf_counter() + self.period
        self._handle = asyncio.get_running_loop().call_later(self.period, self._tick)

    def _tick(self) -> None:
        now = perf_counter()
        self.samples.append((now, max(0.0, now - self._expected)))
        if len(self.samples) > MAX_SAMPLES:
            drop = len(self.samples) - MAX_SAMPLES
            del self.samples[:drop]
            self._mark = max(0, self._mark - drop)
        self._expected = now + self.period
        self._handle = asyncio.get_running_loop().call_later(self.period, self._tick)

    def mark(self) -> None:
        """Start counting a new run's samples from now."""
        self._mark = len(self.samples)
        self._mark_t = perf_counter()

    def since_mark(self) -> list[tuple[float, float]]:
        """The samples since `mark`, each counting only the lateness after the mark: a tick that was
        already late when the run began was late for the run before, not for this one."""
        t0 = self._mark_t
        return [(t, min(late, max(0.0, t - t0))) for t, late in self.samples[self._mark:]]

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
