"""Scale: 100,000 coroutines and 1,000 threads each sleeping 1 s, conclab against plain scripts.

Every measurement runs in a fresh child process, so memory is not reused from an earlier run and each
side starts from the same state; children of the two sides alternate. Wall time is the work only
(conclab: `metrics["wall_s"]`; plain: first submit to last completion, thread pool started beforehand).
Memory per task is the growth of the resident set (polled with psutil every 10 ms) from just before
the run is set up to its peak while the tasks still exist, divided by the number of tasks. The conclab
asyncio run also reports the heartbeat's p99 lateness: how responsive its loop stayed while juggling
100,000 timers.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from time import perf_counter
from typing import Any

import psutil

from benchmarks.common import Row, interleaved, median, noise, ratio_row, report, row

REPS = 3
CORO_TASKS = 100_000
THREAD_TASKS = 1_000
SLEEP_S = 1.0
TARGET_RATIO = 1.5
TARGET_LAG_MS = 50.0
CHILD_TIMEOUT_S = 120.0
RSS_POLL_S = 0.010


class PeakRss:
    """Polls this process's resident set (psutil) on a thread from `start()` to `stop()`; keeps the peak.

    Not `ru_maxrss`: on Linux a child inherits its parent's high-water mark across fork and exec, so a
    child started by a big parent would report the parent's peak.
    """

    def __init__(self, period: float = RSS_POLL_S) -> None:
        self._proc = psutil.Process()
        self._period = period
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="rss-poll", daemon=True)
        self.base = 0.0
        self.peak = 0.0

    def _rss(self) -> float:
        return float(self._proc.memory_info().rss)

    def _poll(self) -> None:
        while not self._done.wait(self._period):
            self.peak = max(self.peak, self._rss())

    def start(self) -> None:
        self.base = self.peak = self._rss()
        self._thread.start()

    def stop(self) -> float:
        """Stop polling; returns the growth over the base in bytes."""
        self.peak = max(self.peak, self._rss())
        self._done.set()
        self._thread.join()
        return self.peak - self.base


def _child_conclab(model: str, n: int) -> dict[str, float]:
    from conclab.engines.recorder import Recorder
    from conclab.engines.runtime import Runtime
    from conclab.model.plan_text import parse

    plan = parse(f"{n}x sleep {SLEEP_S:g}s")
    rt = Runtime()

    async def measure() -> dict[str, float]:
        # Only numbers leave the coroutine: on 3.11 asyncio.run reprs the main task's result when it
        # restores the SIGINT handler, which for a 100,000-task run costs over a second.
        result = await rt.run(plan, model, workers=n if model == "threads" else None, recorder=Recorder())
        return {"wall_s": result.metrics["wall_s"], "lag_p99_ms": result.metrics["lag_p99_ms"],
                "done": result.metrics["tasks_done"], "grown": rss.stop()}

    rss = PeakRss()
    try:
        rss.start()
        out = asyncio.run(measure())
    finally:
        rt.close()
    if out["done"] != n:
        raise RuntimeError(f"only {out['done']:.0f} of {n} tasks finished")
    return {"wall_s": out["wall_s"], "lag_p99_ms": out["lag_p99_ms"], "bytes_per_task": out["grown"] / n}


async def _plain_gather(n: int) -> tuple[float, float]:
    """Wall time and heartbeat p99 lag of plain `asyncio.gather`, with the same 10 ms probe as conclab's."""
    from conclab.engines.probe import Heartbeat
    from conclab.model.metrics import lag_metrics

    heartbeat = Heartbeat()
    t0 = perf_counter()
    heartbeat.start(t0)
    await asyncio.gather(*(asyncio.sleep(SLEEP_S) for _ in range(n)))
    elapsed = perf_counter() - t0
    heartbeat.stop()
    return elapsed, lag_metrics(heartbeat.samples)["lag_p99_ms"]


def _plain_threads(n: int, rss: PeakRss) -> tuple[float, float]:
    with ThreadPoolExecutor(max_workers=n) as pool:
        barrier = threading.Barrier(n)
        wait([pool.submit(barrier.wait) for _ in range(n)])
        t0 = perf_counter()
        wait([pool.submit(time.sleep, SLEEP_S) for _ in range(n)])
        elapsed = perf_counter() - t0
        return elapsed, rss.stop()


def _child_plain(model: str, n: int) -> dict[str, float]:
    rss = PeakRss()
    rss.start()
    lag = 0.0
    if model == "asyncio":
        wall, lag = asyncio.run(_plain_gather(n))
        grown = rss.stop()
    else:
        wall, grown = _plain_threads(n, rss)
    return {"wall_s": wall, "bytes_per_task": grown / n, "lag_p99_ms": lag}


def child_main(argv: list[str]) -> int:
    """`--child conclab|plain asyncio|threads N`: one measurement, printed as one JSON line."""
    side, model, n = argv[0], argv[1], int(argv[2])
    out = _child_conclab(model, n) if side == "conclab" else _child_plain(model, n)
    print(json.dumps(out))
    return 0


def measure_child(side: str, model: str, n: int) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter and return what it printed."""
    cmd = [sys.executable, "-m", "benchmarks.bench_scale", "--child", side, model, str(n)]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [_root(), os.environ.get("PYTHONPATH")])))
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S, env=env, check=False)
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1:] or ["no message"]
        raise RuntimeError(f"{side} {model} ×{n} failed: {tail[0]}")
    data: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return data


def _root() -> str:
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _scale_rows(model: str, n: int, reps: int) -> list[Row]:
    conclab: list[dict[str, Any]] = []
    plain: list[dict[str, Any]] = []

    def side(which: str, into: list[dict[str, Any]]) -> float:
        data = measure_child(which, model, n)
        into.append(data)
        return float(data["wall_s"])

    a, b = interleaved(lambda: side("conclab", conclab), lambda: side("plain", plain), reps)
    label = f"{n:,}x sleep {SLEEP_S:g}s {model}"
    rows = [ratio_row(f"scale {label}: conclab / plain", a, b, TARGET_RATIO,
                      note=f"{median(a):.2f}s vs {median(b):.2f}s (median)")]
    if model == "asyncio":
        # The plan's own 100,000 timers fall due in bursts and hold the loop whoever runs them; what
        # the app adds on top is conclab's p99 lag minus plain asyncio's under the same probe.
        lags = [float(d["lag_p99_ms"]) for d in conclab]
        plain_lags = [float(d["lag_p99_ms"]) for d in plain]
        added = [x - y for x, y in zip(lags, plain_lags, strict=True)]
        rows.append(row(f"scale {label}: heartbeat p99 lag added by the app", median(added), TARGET_LAG_MS, "ms",
                        noise(added), note=f"conclab {median(lags):.0f} ms vs plain {median(plain_lags):.0f} ms"))
    for name, data in (("conclab", conclab), ("plain", plain)):
        per = [float(d["bytes_per_task"]) / 1024 for d in data]
        rows.append(row(f"scale {label}: memory per task, {name}", median(per), None, "KiB", noise(per)))
    return rows


def run(reps: int = REPS) -> list[Row]:
    """The asyncio and threads scale comparisons (each measurement in its own child process)."""
    return _scale_rows("asyncio", CORO_TASKS, reps) + _scale_rows("threads", THREAD_TASKS, reps)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        sys.exit(child_main(sys.argv[2:]))
    sys.exit(report(run(), "scale (conclab / plain wall time; memory per task)"))
