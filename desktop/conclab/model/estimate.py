"""How long a run will take, estimated from the plan before anything runs (pure: no clock, no machine).

The estimate is what the models' rules allow at best, plus small per-task costs, so that a run that is
bound to be long ("10,000 one-second waiters, one after another") is caught before it starts:

- `sequential`: every task after the previous one (and not before it is due).
- `threads` / `processes`: a pool of `workers` takes the tasks in the order they are due; pure-Python
  work (`cpu`) cannot overlap under threads (one GIL), C work (`hash`) overlaps up to the cores, and
  processes overlap both up to the cores.
- `asyncio`: every task at once (group limits honoured), but whatever holds the loop (`cpu`, `block`,
  `hash` not offloaded) runs one at a time, and offloaded work is bounded by its executor.

Never less than the plan's critical path. Waits a busy machine adds are not foreseen: it is a floor with
a margin, good for "about", not for a progress bar.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from conclab.model.plan import Plan, TaskSpec

LONG_RUN_S = 60.0
"""A run estimated longer than this is asked about before it starts."""

_TASK_COST_S = {"sequential": 5e-6, "asyncio": 20e-6, "threads": 80e-6, "processes": 400e-6}
_START_COST_S = {"processes": 0.3}
_HOLDS_LOOP = ("cpu", "block", "hash")


@dataclass(frozen=True)
class RunEstimate:
    """One planned run and how long it should take."""

    name: str
    seconds: float


def _work(tasks: Iterable[TaskSpec], kinds: tuple[str, ...], offload: tuple[str | None, ...]) -> float:
    return sum(s.duration_us for t in tasks for s in t.steps if s.kind in kinds and s.offload in offload) / 1e6


def _one_after_another(tasks: Sequence[TaskSpec]) -> float:
    t = 0.0
    for task in sorted(tasks, key=lambda x: x.start_s):
        t = max(t, task.start_s) + task.duration_s
    return t


def _pool(tasks: Sequence[TaskSpec], workers: int) -> float:
    """The last end when `workers` take the tasks in the order they are due, each as soon as one is free."""
    if workers >= len(tasks):
        return max((t.start_s + t.duration_s for t in tasks), default=0.0)
    free = [0.0] * max(1, workers)
    for task in sorted(tasks, key=lambda x: x.start_s):
        start = max(heapq.heappop(free), task.start_s)
        heapq.heappush(free, start + task.duration_s)
    return max(free)


def estimate_run_s(plan: Plan, model: str, workers: int, cores: int) -> float:
    """Seconds one run of `plan` under `model` should take with `workers` (resolved, ≥ 1) on `cores` cores."""
    tasks = plan.tasks()
    cores = max(1, cores)
    workers = max(1, workers)
    everywhere = (None, "thread", "process")
    if model == "sequential":
        wall = _one_after_another(tasks)
    elif model == "threads":
        cpu, c_work = _work(tasks, ("cpu",), everywhere), _work(tasks, ("hash",), everywhere)
        wall = max(_pool(tasks, workers), cpu, c_work / min(workers, cores), (cpu + c_work) / cores)
    elif model == "processes":
        busy = _work(tasks, ("cpu", "hash"), everywhere)
        wall = max(_pool(tasks, workers), busy / min(workers, cores))
    else:  # asyncio
        on_loop = _work(tasks, _HOLDS_LOOP, (None,))
        gil = _work(tasks, ("cpu",), (None, "thread"))
        in_threads = _work(tasks, _HOLDS_LOOP, ("thread",))
        in_processes = _work(tasks, ("cpu", "hash"), ("process",))
        wall = max(on_loop, gil, in_threads / min(32, cores + 4), in_processes / cores)
    wall = max(wall, plan.critical_s)
    return wall + len(tasks) * _TASK_COST_S.get(model, 0.0) + _START_COST_S.get(model, 0.0)


def estimate_runs(plan: Plan, runs: Sequence[tuple[str, str, int]], cores: int) -> list[RunEstimate]:
    """Each (name, model, workers) run's estimate, in order (a session runs them one after another)."""
    return [RunEstimate(name, estimate_run_s(plan, model, workers, cores)) for name, model, workers in runs]


def total_s(estimates: Iterable[RunEstimate]) -> float:
    return sum(e.seconds for e in estimates)


def describe_seconds(seconds: float) -> str:
    """A duration as a person says it: "0.4 s", "12 s", "3 min 20 s", "2 h 47 min"."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs and minutes < 10 else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"
