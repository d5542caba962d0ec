"""Timers on the window's event loop: 100,000 `asyncio.sleep(1)` under `asyncio.gather`, three loops.

The same coroutine runs, in one process, on plain asyncio (the reference), on qasync's own
`QEventLoop` (one Qt timer per asyncio timer, which Qt keeps in a list sorted on insertion) and on
`TimerHeapEventLoop` (asyncio's heap of timers and one Qt timer for the earliest deadline). Plain
asyncio and the timer-heap loop alternate for `REPS` repetitions, after one unmeasured run of each (the
first run in a process also pays for growing the heap of Python objects); the median of their
per-pair wall-time ratios is compared with the target (≤ 1.1x). Raw qasync takes tens of seconds at
this size, so it runs once and is reported against the median plain time, without a target.
"""

from __future__ import annotations

import asyncio
import gc
import os
import sys
from collections.abc import Callable
from time import perf_counter

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import qasync
from PySide6.QtWidgets import QApplication

from benchmarks.common import Row, interleaved, median, noise, ratio_row, report, row
from conclab.ui.shell.qt_loop import TimerHeapEventLoop

TIMERS = 100_000
SLEEP_S = 1.0
REPS = 5
TARGET = 1.1
LABEL = f"qt loop {TIMERS:,} sleep({SLEEP_S:g}) under gather"

LoopFactory = Callable[[], asyncio.AbstractEventLoop] | None


async def _sleeps() -> float:
    started = perf_counter()
    await asyncio.gather(*(asyncio.sleep(SLEEP_S) for _ in range(TIMERS)))
    return perf_counter() - started


def _wall(loop_factory: LoopFactory) -> float:
    """Seconds from the first sleep scheduled to the last one done, on a fresh loop."""
    gc.collect()
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        return runner.run(_sleeps())


def run(reps: int = REPS) -> list[Row]:
    """Plain asyncio vs the timer-heap loop, interleaved after a warm-up; raw qasync once."""
    app = QApplication.instance() or QApplication(sys.argv[:1])

    def heap_loop() -> asyncio.AbstractEventLoop:
        return TimerHeapEventLoop(app)

    _wall(None)
    _wall(heap_loop)
    heap, plain = interleaved(lambda: _wall(heap_loop), lambda: _wall(None), reps)
    raw = _wall(lambda: qasync.QEventLoop(app))
    plain_s = median(plain)
    return [
        ratio_row(f"{LABEL}: TimerHeapEventLoop / plain asyncio", heap, plain, TARGET,
                  note=f"{median(heap):.2f}s vs {plain_s:.2f}s (median wall)"),
        row(f"{LABEL}: raw qasync.QEventLoop / plain asyncio", raw / plain_s, None, "x",
            note=f"{raw:.2f}s vs {plain_s:.2f}s, one run"),
        row(f"{LABEL}: plain asyncio wall", plain_s, None, "s", noise(plain)),
        row(f"{LABEL}: raw qasync.QEventLoop wall", raw, None, "s", note="one run"),
        row(f"{LABEL}: TimerHeapEventLoop wall", median(heap), None, "s", noise(heap)),
    ]


if __name__ == "__main__":
    sys.exit(report(run(), "event-loop timers (wall time of 100,000 sleeps under gather)"))
