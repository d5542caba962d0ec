"""A long session: 200 consecutive runs of a mixed plan under each model, in one process.

After every run the process is back where it started: no more threads and no more open file
descriptors than before it. Over the whole session its memory (RSS) grows by at most 20 MB. The processes model
makes 40 runs (each starts and stops a pool of worker processes, ~0.3 s apiece here).
"""

from __future__ import annotations

import asyncio
import gc
import time

import psutil
import pytest

from conclab.engines.runtime import Runtime
from conclab.model.plan import Plan
from conclab.model.plan_text import parse
from tests.engines.helpers import conclab_threads, live_children

PLAN = "sleep 5ms; cpu 5ms; net 5ms; hash 5ms; block 5ms in thread"
RUNS = {"sequential": 200, "asyncio": 200, "threads": 200, "processes": 40}
RSS_GROWTH_MB = 20.0


def _snapshot(proc: psutil.Process) -> tuple[int, int]:
    return proc.num_threads(), proc.num_fds()


def _within(now: tuple[int, int], base: tuple[int, int]) -> bool:
    return now[0] <= base[0] and now[1] <= base[1]


async def _settled(proc: psutil.Process, base: tuple[int, int], timeout: float = 2.0) -> tuple[int, int]:
    """Threads end a moment after they are joined in the kernel's view; give that moment, no more."""
    end = time.perf_counter() + timeout
    now = _snapshot(proc)
    while not _within(now, base) and time.perf_counter() < end:
        await asyncio.sleep(0.005)
        now = _snapshot(proc)
    return now


async def _session(rt: Runtime, plan: Plan) -> dict[str, object]:
    proc = psutil.Process()
    for model in RUNS:  # warm up: calibration, the loopback server, imports, allocator pools
        await rt.run(plan, model)
    gc.collect()
    start = base = _snapshot(proc)
    rss0 = proc.memory_info().rss / 2**20
    peak = rss0
    t0 = time.perf_counter()
    for model, count in RUNS.items():
        for i in range(count):
            run = await rt.run(plan, model)
            assert [t.state for t in run.tasks] == ["done"] * plan.task_count, (model, i, run.tasks)
            after = await _settled(proc, base)
            assert _within(after, base), f"{model} run {i}: threads/fds {base} -> {after}"
            # Something from before the session (another test's thread, a collected pipe) may end
            # meanwhile: the count to come back to is then the lower one.
            base = (min(base[0], after[0]), min(base[1], after[1]))
            if i % 20 == 0:
                peak = max(peak, proc.memory_info().rss / 2**20)
    gc.collect()
    rss1 = proc.memory_info().rss / 2**20
    return {"rss0": rss0, "rss1": rss1, "peak": max(peak, rss1), "seconds": time.perf_counter() - t0,
            "threads_fds": (start, base)}


@pytest.mark.timeout(300)
def test_hundreds_of_runs_leave_no_threads_fds_or_memory_behind() -> None:
    rt = Runtime()
    plan = parse(PLAN)
    try:
        stats = asyncio.run(_session(rt, plan))
    finally:
        rt.close()
    growth = float(stats["rss1"]) - float(stats["rss0"])  # type: ignore[arg-type]
    print(f"\nlong session: {sum(RUNS.values())} runs in {stats['seconds']:.1f} s; RSS {stats['rss0']:.1f} -> "
          f"{stats['rss1']:.1f} MB (peak {stats['peak']:.1f}); threads/fds {stats['threads_fds']}")
    assert growth <= RSS_GROWTH_MB, f"RSS grew by {growth:.1f} MB"
    assert conclab_threads() == []
    assert live_children() == []
