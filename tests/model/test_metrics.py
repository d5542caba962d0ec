"""Metrics from fabricated traces: ready waits in task-seconds, per task, as a share and by cause; speed-up
against a measured sequential run; stopped runs carry no speed-up."""

from __future__ import annotations

import json

import pytest

from conclab.model.metrics import (
    SPEEDUP_MEASURED,
    SPEEDUP_PLANNED,
    compare_to_sequential,
    compute_metrics,
    lag_metrics,
    percentile,
    ready_metrics,
)
from conclab.model.run import METRIC_KEYS, ModelRun, TaskOutcome
from conclab.model.trace import Span


def _outcomes(n: int, cancelled: int = 0) -> list[TaskOutcome]:
    return [TaskOutcome(i, f"t{i}", "cancelled" if i < cancelled else "done") for i in range(n)]


def _metrics(spans: list[Span], n: int, cancelled: int = 0, serial: float = 1.0) -> dict[str, float]:
    return compute_metrics(serial_s=serial, critical_s=0.5, spans=spans, lag=[], outcomes=_outcomes(n, cancelled),
                           cpu_s=0.25)


def test_ready_waits_in_task_seconds_per_task_as_a_share_and_by_cause() -> None:
    spans = [
        Span(0, 0, "a", "running", 0.0, 0.5),
        Span(0, 0, "a", "ready_wait", 0.5, 1.0, "gil"),
        Span(1, 0, "b", "ready_wait", 0.0, 0.25, "core"),
        Span(1, 0, "b", "running", 0.25, 1.0),
        Span(2, 0, "c", "io_wait", 0.0, 0.75),
        Span(2, 0, "c", "ready_wait", 0.75, 1.0, "loop"),
        Span(3, 0, "d", "ready_wait", 0.0, 0.5, "gil_or_core"),
    ]
    m = ready_metrics(spans)
    assert m["ready_wait_s"] == 1.5  # task-seconds: more than a third of the 4 tasks' 3.5 s
    assert (m["ready_gil_s"], m["ready_core_s"], m["ready_loop_s"], m["ready_gil_or_core_s"]) == (0.5, 0.25, 0.25, 0.5)
    assert m["ready_wait_mean_s"] == 1.5 / 4
    assert m["ready_share"] == 1.5 / 3.5
    assert ready_metrics(spans, tasks=6)["ready_wait_mean_s"] == 1.5 / 6  # tasks without spans count too


def test_many_short_waits_read_as_a_small_mean_and_share() -> None:
    # 10,000 sleepers, each 1 s asleep and 50 ms ready: 500 task-seconds in a run ~1 s long.
    spans = [s for t in range(10_000) for s in (Span(t, 0, f"s{t}", "io_wait", 0.0, 1.0),
                                                Span(t, 0, f"s{t}", "ready_wait", 1.0, 1.05, "loop"))]
    m = _metrics(spans, 10_000)
    assert m["wall_s"] == 1.05 and m["ready_wait_s"] == pytest.approx(500.0)
    assert m["ready_wait_mean_s"] == pytest.approx(0.05)
    assert m["ready_share"] == pytest.approx(0.05 / 1.05)
    assert m["ready_loop_s"] == pytest.approx(500.0)


def test_untold_causes_count_in_the_total_only() -> None:
    m = ready_metrics([Span(0, 0, "x", "ready_wait", 0.0, 0.5)])  # from a file written before causes
    assert m["ready_wait_s"] == 0.5
    assert m["ready_gil_s"] == m["ready_core_s"] == m["ready_loop_s"] == m["ready_gil_or_core_s"] == 0.0


def test_every_run_has_the_old_keys_and_the_new() -> None:
    m = _metrics([Span(0, 0, "a", "running", 0.0, 2.0)], 1, serial=3.0)
    assert set(METRIC_KEYS) <= set(m)
    assert {"ready_wait_mean_s", "ready_share", "ready_gil_s", "ready_core_s", "ready_loop_s", "stopped",
            "speedup_basis"} <= set(m)
    assert m["speedup"] == 1.5 and m["efficiency"] == 0.25 and m["speedup_basis"] == SPEEDUP_PLANNED
    assert m["stopped"] == 0.0 and m["cores_used"] == 0.125
    json.dumps(m, allow_nan=False)


def test_a_stopped_run_has_no_speedup_or_efficiency() -> None:
    m = _metrics([Span(0, 0, "a", "running", 0.0, 0.2)], 3, cancelled=2)
    assert m["stopped"] == 1.0 and m["speedup"] == 0.0 and m["efficiency"] == 0.0
    assert m["tasks_cancelled"] == 2.0 and m["wall_s"] == 0.2
    json.dumps(m, allow_nan=False)


def _run(model: str, wall: float, serial: float = 4.0, cancelled: int = 0) -> ModelRun:
    m = _metrics([Span(0, 0, "a", "running", 0.0, wall)], 2, cancelled, serial=serial)
    return ModelRun(model, 1, m, _outcomes(2, cancelled), [])


def test_speedup_against_a_measured_sequential_run() -> None:
    runs = [_run("sequential", 2.0), _run("threads", 1.0), _run("processes", 0.5), _run("asyncio", 1.0, cancelled=1)]
    assert runs[1].metrics["speedup"] == 4.0  # against the planned 4 s
    compare_to_sequential(runs)
    assert [r.metrics["speedup"] for r in runs] == [1.0, 2.0, 4.0, 0.0]
    assert [r.metrics["speedup_basis"] for r in runs] == [SPEEDUP_MEASURED] * 3 + [SPEEDUP_PLANNED]


def test_no_measured_basis_leaves_planned_speedups() -> None:
    stopped_seq = [_run("sequential", 1.0, cancelled=1), _run("threads", 1.0)]
    compare_to_sequential(stopped_seq)
    assert stopped_seq[1].metrics["speedup"] == 4.0
    assert stopped_seq[1].metrics["speedup_basis"] == SPEEDUP_PLANNED
    alone = [_run("threads", 2.0)]
    compare_to_sequential(alone)
    assert alone[0].metrics["speedup"] == 2.0
    compare_to_sequential([])


def test_lag_and_percentiles() -> None:
    lag = [(i * 0.01, 0.001) for i in range(98)] + [(1.0, 0.15), (1.2, 0.3)]
    m = lag_metrics(lag)
    assert m["lag_p50_ms"] == pytest.approx(1.0) and m["lag_max_ms"] == pytest.approx(300.0)
    assert m["frozen_s"] == pytest.approx(0.45)
    assert percentile([], 50) == 0.0 and percentile([3.0, 1.0, 2.0], 50) == 2.0
