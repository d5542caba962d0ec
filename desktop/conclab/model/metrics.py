"""Per-run metrics computed from the trace, the heartbeat samples and resource readings (DESIGN.md)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from conclab.model.run import TaskOutcome

FREEZE_S = 0.100


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


def compute_metrics(
    *,
    serial_s: float,
    critical_s: float,
    spans: Iterable[Any],
    lag: Iterable[tuple[float, float]],
    outcomes: Iterable[TaskOutcome],
    cpu_s: float = 0.0,
    ctx_switches: float = 0.0,
    peak_rss_mb: float = 0.0,
    startup_s: float = 0.0,
    wall_s: float | None = None,
) -> dict[str, float]:
    """All the metrics of one model run. Spans are `Span` tuples relative to the run's start."""
    end = 0.0
    ready = 0.0
    for s in spans:
        if s.t1 > end:
            end = s.t1
        if s.state == "ready_wait":
            ready += s.t1 - s.t0
    wall = end if wall_s is None else wall_s
    counts = {"done": 0, "failed": 0, "cancelled": 0}
    for o in outcomes:
        counts[o.state] = counts.get(o.state, 0) + 1
    m: dict[str, float] = {
        "wall_s": wall,
        "serial_s": serial_s,
        "critical_s": critical_s,
        "speedup": serial_s / wall if wall > 0 else 0.0,
        "efficiency": critical_s / wall if wall > 0 else 0.0,
        "cpu_s": cpu_s,
        "cores_used": cpu_s / wall if wall > 0 else 0.0,
        "ready_wait_s": ready,
    }
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
