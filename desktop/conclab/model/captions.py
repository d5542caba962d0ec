"""Captions: short sentences computed from one run's trace that point at what the timeline shows.

Each caption has a text, the time it refers to (seconds from the run's start) and optionally the lane it
belongs to, so a view can pin it to the timeline. All are derived from spans and metrics only, and say
only what was measured: a wait is "for the GIL" or "for a core" only where the trace tells which.
"""

from __future__ import annotations

import itertools
import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from conclab.model.plan import Plan
from conclab.model.run import ModelRun
from conclab.model.trace import LOOP_LANE, QUEUE_LANE, Cause, LaneKind, Span, State, default_cause

MIN_BLOCK_S = 0.02
# Ready waits (all tasks together, for one cause) shorter than this are not worth a caption...
CAPTION_READY_S = 0.01
# ...and a task that waited less than this is not counted among those that waited.
TASK_READY_S = 0.001
MIN_HANDOFFS = 4
MAX_PARALLEL = 0.2
NAMED_TASKS = 3

_WAITED_FOR: dict[str, str] = {
    Cause.LOOP: "the event loop",
    Cause.GIL: "the GIL",
    Cause.CORE: "a core",
    Cause.GIL_OR_CORE: "the GIL or a core",
}


@dataclass(frozen=True)
class Caption:
    """One short remark about a run, pinned to a time (and a lane when it concerns one)."""

    kind: str
    text: str
    t: float
    lane: str | None = None


def _spans(run: ModelRun) -> list[Span]:
    return list(run.spans)


def _names(run: ModelRun) -> dict[int, str]:
    return {t.id: t.name for t in run.tasks}


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.0f} ms"


def _seconds(seconds: float) -> str:
    return f"{seconds * 1e3:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"


def loop_blocked(run: ModelRun) -> Caption | None:
    """Under asyncio: the longest time one task blocked the event loop without computing."""
    if run.model != "asyncio":
        return None
    blocking = [s for s in _spans(run) if s.state == "blocking"]
    if not blocking:
        return None
    worst = max(blocking, key=lambda s: s.duration)
    if worst.duration < MIN_BLOCK_S:
        return None
    name = _names(run).get(worst.task, f"#{worst.task}")
    text = f"loop blocked {_ms(worst.duration)} by task {name}"
    return Caption("loop_blocked", text, worst.t0, worst.worker)


def _thread_lane(lane: str) -> bool:
    return lane not in (LOOP_LANE, QUEUE_LANE)


def parallel_fraction(running: Sequence[Span]) -> float:
    """The share of busy time during which two or more of these spans ran at once."""
    events = sorted([(s.t0, 1) for s in running] + [(s.t1, -1) for s in running])
    busy = both = 0.0
    level, last = 0, 0.0
    for t, step in events:  # ends sort before starts at the same instant: touching is not overlapping
        if level >= 1:
            busy += t - last
        if level >= 2:
            both += t - last
        level += step
        last = t
    return both / busy if busy > 0 else 0.0


def handoff_times(spans: Sequence[Span]) -> list[float]:
    """The moments the GIL changed hands: the running thread lane changes from one span to the next.

    When threads mostly ran at the same time (C code without the GIL, or no GIL at all) nothing was
    handed off, and the list is empty.
    """
    running = sorted((s for s in spans if s.state == "running" and _thread_lane(s.worker)),
                     key=lambda s: s.t0)
    if parallel_fraction(running) > MAX_PARALLEL:
        return []
    return [cur.t0 for prev, cur in itertools.pairwise(running) if cur.worker != prev.worker]


def _worker_spans(run: ModelRun) -> list[Span]:
    thread_kinds = (LaneKind.WORKER, LaneKind.OFFLOAD)
    return [s for s in run.spans if run.lane_kind(s.worker) in thread_kinds]


def waited_mostly_for_the_gil(spans: Sequence[Span]) -> bool:
    """True when at least half of these spans' ready-wait time was measured as waiting for the GIL."""
    gil = total = 0.0
    for s in spans:
        if s.state == State.READY_WAIT:
            total += s.duration
            if s.cause == Cause.GIL:
                gil += s.duration
    return total > 0 and 2 * gil >= total


def gil_handoff(run: ModelRun) -> Caption | None:
    """Under threads: how often the GIL changed hands while several threads ran Python code — only
    when their waits were measured as waits for the GIL (threads waiting for cores hand nothing off)."""
    if run.model != "threads":
        return None
    spans = _worker_spans(run)
    if not waited_mostly_for_the_gil(spans):
        return None
    times = handoff_times(spans)
    if len(times) < MIN_HANDOFFS:
        return None
    gaps = [b - a for a, b in itertools.pairwise(times) if b > a]
    if not gaps:
        return None
    every = statistics.median(gaps)
    spacing = f"{every * 1e3:.0f} ms" if every >= 0.001 else f"{every * 1e6:.0f} µs"
    text = f"GIL hand-off every ~{spacing}"
    return Caption("gil_handoff", text, times[len(times) // 2])


def _kind_tasks(run: ModelRun, plan: Plan | None) -> tuple[int, str]:
    if plan is None:
        return len(run.tasks), "tasks"
    specs = plan.tasks()
    cpu = sum(1 for t in specs if any(s.kind in ("cpu", "hash") for s in t.steps))
    if cpu:
        return cpu, "cpu tasks" if cpu != 1 else "cpu task"
    return len(specs), "tasks" if len(specs) != 1 else "task"


def cores_used(run: ModelRun, plan: Plan | None = None) -> Caption | None:
    """How many cores the run kept busy on average (CPU time over wall time)."""
    cores = run.metrics.get("cores_used")
    wall = run.metrics.get("wall_s", 0.0)
    if cores is None or wall <= 0 or not run.tasks:
        return None
    n, noun = _kind_tasks(run, plan)
    return Caption("cores_used", f"{n} {noun} used {cores:.1f} cores", wall / 2)


def _who(names: list[str]) -> str:
    if len(names) == 1:
        return names[0]
    if len(names) <= NAMED_TASKS:
        return f"{', '.join(names[:-1])} and {names[-1]}"
    return f"{len(names)} tasks"


def ready_waits(run: ModelRun) -> list[Caption]:
    """For each measured cause: which tasks were ready to run but waited for it, and how long.

    One task's wait is given in full; several tasks' as the mean per task (their sum is task-seconds,
    which would read as nonsense beside the run's wall time). Spans from files older than causes count
    as the model's usual wait.
    """
    per_cause: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    first: dict[tuple[str, int], float] = {}
    for s in _spans(run):
        if s.state == State.READY_WAIT:
            cause = s.cause or default_cause(run.model)
            per_cause[cause][s.task] += s.duration
            first[cause, s.task] = min(first.get((cause, s.task), s.t0), s.t0)
    names = _names(run)
    found: list[tuple[float, Caption]] = []
    for cause, per_task in per_cause.items():
        waited = {t: d for t, d in per_task.items() if d >= TASK_READY_S}
        total = sum(waited.values())
        if total < CAPTION_READY_S:
            continue
        who = _who([names.get(t, f"#{t}") for t in sorted(waited)])
        amount = _seconds(total) if len(waited) == 1 else f"~{_seconds(total / len(waited))} each"
        longest = max(waited, key=lambda t: waited[t])
        text = f"{who} waited {amount} for {_WAITED_FOR.get(cause, cause)}"
        found.append((total, Caption("ready_wait", text, first[cause, longest])))
    return [c for _, c in sorted(found, key=lambda tc: -tc[0])]


def ready_wait(run: ModelRun) -> Caption | None:
    """The ready-wait caption of the cause that took the most task-time (see `ready_waits`)."""
    found = ready_waits(run)
    return found[0] if found else None


def main_loop_lag(run: ModelRun) -> Caption | None:
    """The worst heartbeat lateness, when the loop was late enough for a user to notice."""
    if not run.lag:
        return None
    t, late = max(run.lag, key=lambda p: p[1])
    if late < 0.1:
        return None
    return Caption("loop_lag", f"main loop unresponsive for {_ms(late)}", max(0.0, t - late), LOOP_LANE)


def captions_for(run: ModelRun, plan: Plan | None = None) -> list[Caption]:
    """Every caption that applies to this run, in time order."""
    found: list[Any] = [loop_blocked(run), gil_handoff(run), cores_used(run, plan), *ready_waits(run),
                        main_loop_lag(run)]
    return sorted((c for c in found if c is not None), key=lambda c: c.t)
