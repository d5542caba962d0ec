"""Per-run metrics computed from the trace, the heartbeat samples and resource readings (DESIGN.md).

Ready-wait metrics are measured in task-seconds: one second of one task being ready but not running.
Summed over many tasks they can exceed the run's wall time many times over (10,000 sleepers each waiting
a few ms for the loop), so they come with the mean per task (`ready_wait_mean_s`), the share of all
tasks' time (`ready_share`) and a split by what was waited for (`ready_gil_s`, `ready_core_s`,
`ready_loop_s`, `ready_gil_or_core_s`, from the spans' measured causes).

`speedup` is against the planned serial time (the sum of all step durations) unless
`compare_to_sequential` found a measured sequential run of the same session; `speedup_basis` says which
(`SPEEDUP_PLANNED` 0.0, `SPEEDUP_MEASURED` 1.0). A stopped run (`stopped` 1.0: some tasks were
cancelled) has no speedup or efficiency: both are 0.0 there and a view shows "—".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from conclab.model.run import ModelRun, TaskOutcome
from conclab.model.trace import Cause, Span, State

FREEZE_S = 0.100
SPEEDUP_PLANNED = 0.0
SPEEDUP_MEASURED = 1.0

_CAUSE_KEYS: dict[str, str] = {
    Cause.GIL: "ready_gil_s",
    Cause.CORE: "ready_core_s",
    Cause.LOOP: "ready_loop_s",
    Cause.GIL_OR_CORE: "ready_gil_or_core_s",
}


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def lag_metrics(lag: Iterable[tuple[float, float]]) -> dict[str, float]:
    """Main-loop lateness: p50/p99/max in ms, and `frozen_s`, the time spent more than 100 ms late."""
    late = [s for _, s in lag]
    return {
        "lag_p50_ms": percentile(late, 50) * 1e3,
        "lag_p99_ms": percentile(late, 99) * 1e3,
        "lag_max_ms": max(late, default=0.0) * 1e3,
        "frozen_s": sum(s for s in late if s > FREEZE_S),
    }


def ready_metrics(spans: Iterable[Span], tasks: int = 0) -> dict[str, float]:
    """Ready-wait task-seconds (total, by cause), the mean per task and the share of all tasks' time.

    A task's time is from its first span's start to its last span's end; `tasks` is how many tasks
    the run had (default: how many appear in the spans).
    """
    out = dict.fromkeys(("ready_wait_s", *_CAUSE_KEYS.values()), 0.0)
    first: dict[int, float] = {}
    last: dict[int, float] = {}
    for s in spans:
        if s.task not in first:
            first[s.task], last[s.task] = s.t0, s.t1
        else:
            first[s.task] = min(first[s.task], s.t0)
            last[s.task] = max(last[s.task], s.t1)
        if s.state == State.READY_WAIT:
            d = s.t1 - s.t0
            out["ready_wait_s"] += d
            key = _CAUSE_KEYS.get(s.cause)
            if key is not None:
                out[key] += d
    lived = sum(last[t] - first[t] for t in first)
    n = max(tasks, len(first))
    out["ready_wait_mean_s"] = out["ready_wait_s"] / n if n else 0.0
    out["ready_share"] = out["ready_wait_s"] / lived if lived > 0 else 0.0
    return out


def compute_metrics(
    *,
    serial_s: float,
    critical_s: float,
    spans: Iterable[Span],
    lag: Iterable[tuple[float, float]],
    outcomes: Iterable[TaskOutcome],
    cpu_s: float = 0.0,
    ctx_switches: float = 0.0,
    peak_rss_mb: float = 0.0,
    startup_s: float = 0.0,
    wall_s: float | None = None,
) -> dict[str, float]:
    """All the metrics of one model run. Spans are `Span` tuples relative to the run's start."""
    spans = list(spans)
    end = max((s.t1 for s in spans), default=0.0)
    wall = end if wall_s is None else wall_s
    counts = {"done": 0, "failed": 0, "cancelled": 0}
    for o in outcomes:
        counts[o.state] = counts.get(o.state, 0) + 1
    stopped = counts["cancelled"] > 0
    timed = wall > 0 and not stopped
    m: dict[str, float] = {
        "wall_s": wall,
        "serial_s": serial_s,
        "critical_s": critical_s,
        "speedup": serial_s / wall if timed else 0.0,
        "speedup_basis": SPEEDUP_PLANNED,
        "efficiency": critical_s / wall if timed else 0.0,
        "stopped": 1.0 if stopped else 0.0,
        "cpu_s": cpu_s,
        "cores_used": cpu_s / wall if wall > 0 else 0.0,
    }
    m.update(ready_metrics(spans, sum(counts.values())))
    m.update(lag_metrics(lag))
    m.update({
        "ctx_switches": float(ctx_switches),
        "peak_rss_mb": peak_rss_mb,
        "tasks_done": float(counts["done"]),
        "tasks_failed": float(counts["failed"]),
        "tasks_cancelled": float(counts["cancelled"]),
        "startup_s": startup_s,
    })
    return m


def is_stopped(run: ModelRun) -> bool:
    """True when the run was stopped before every task ended on its own (some were cancelled)."""
    return run.metrics.get("stopped", 0.0) > 0 or run.metrics.get("tasks_cancelled", 0.0) > 0


def compare_to_sequential(runs: Sequence[ModelRun]) -> None:
    """Measure speed-ups against the session's own sequential run, when it has one that completed.

    Sets each completed run's `speedup` to that run's wall time over its own, and `speedup_basis` to
    `SPEEDUP_MEASURED` (the first completed `sequential` run is the basis). Without such a run the
    speed-ups stay against the planned serial time. Stopped runs keep no speed-up. Edits the runs'
    metrics in place; the session layer calls it once all runs of a session are in.
    """
    base = next((r for r in runs if r.model == "sequential" and not is_stopped(r)
                 and r.metrics.get("wall_s", 0.0) > 0), None)
    if base is None:
        return
    sequential_wall = base.metrics["wall_s"]
    for run in runs:
        wall = run.metrics.get("wall_s", 0.0)
        if is_stopped(run) or wall <= 0:
            continue
        run.metrics["speedup"] = sequential_wall / wall
        run.metrics["speedup_basis"] = SPEEDUP_MEASURED
