"""Run results: one model's run (metrics, task outcomes, spans, lag samples) and the whole run document."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

METRIC_KEYS: tuple[str, ...] = (
    "wall_s", "serial_s", "critical_s", "speedup", "efficiency", "cpu_s", "cores_used",
    "ready_wait_s", "lag_p50_ms", "lag_p99_ms", "lag_max_ms", "frozen_s", "ctx_switches",
    "peak_rss_mb", "tasks_done", "tasks_failed", "tasks_cancelled", "startup_s",
)

TASK_STATES = ("done", "failed", "cancelled")


@dataclass
class TaskOutcome:
    """How one task ended: `done`, `failed` (with the error message) or `cancelled`."""

    id: int
    name: str
    state: str
    error: str | None = None


@dataclass
class ModelRun:
    """One plan run under one model: its metrics, task outcomes, spans and main-loop lag samples.

    `spans` hold Span tuples; `lag` holds (t, late_s) heartbeat samples, both relative to the run's start.
    """

    model: str
    workers: int
    metrics: dict[str, float]
    tasks: list[TaskOutcome]
    spans: list[Any]
    lag: list[tuple[float, float]] = field(default_factory=list)


@dataclass
class RunDocument:
    """Everything a `conclab.run/1` file holds: the plan, where it ran, calibration, and the runs."""

    plan: str
    machine: dict[str, Any]
    calibration: dict[str, Any]
    runs: list[ModelRun]
