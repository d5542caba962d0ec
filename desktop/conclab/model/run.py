"""Run results: one model's run (metrics, task outcomes, spans, lag samples) and the whole run document."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from conclab.model.trace import LaneKind, Span, lane_kind_of

METRIC_KEYS: tuple[str, ...] = (
    "wall_s", "serial_s", "critical_s", "speedup", "efficiency", "cpu_s", "cores_used",
    "ready_wait_s", "lag_p50_ms", "lag_p99_ms", "lag_max_ms", "frozen_s", "ctx_switches",
    "peak_rss_mb", "tasks_done", "tasks_failed", "tasks_cancelled", "startup_s",
)

class Outcome(StrEnum):
    """How a task ended."""

    DONE = "done"
    FAILED = "failed"  # with the error, as the user should read it
    CANCELLED = "cancelled"  # the user stopped the run before the task ended


TASK_STATES: tuple[Outcome, ...] = tuple(Outcome)


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

    Spans and lag samples are relative to the run's start. `lanes` names every lane and its kind, in
    the order the lanes were made; `python` says which interpreter ran it (see `python_info`).
    """

    model: str
    workers: int
    metrics: dict[str, float]
    tasks: list[TaskOutcome]
    spans: list[Span]
    lag: list[tuple[float, float]] = field(default_factory=list)
    lanes: dict[str, LaneKind] = field(default_factory=dict)
    python: dict[str, Any] = field(default_factory=dict)
    label: str = ""  # the run's name in its session when it differs from the model's (see RunSpec)
    runtime: str = "lab"  # where it was measured: "lab", or "window" (inside the window's own process)
    sources: dict[str, str] = field(default_factory=dict)  # where CPU time, switches and memory were read

    @property
    def name(self) -> str:
        """How claims, titles and columns name this run: its label, else its model."""
        return self.label or self.model

    def lane_kind(self, name: str) -> LaneKind:
        """The kind of a lane (older files carry none: it is then told from the name)."""
        kind = self.lanes.get(name)
        return kind if kind is not None else lane_kind_of(name)

    def task_names(self) -> dict[int, str]:
        return {t.id: t.name for t in self.tasks}


def python_label(python: dict[str, Any]) -> str:
    """How a run's Python is named in titles: "3.13.0", "3.13.0t (no GIL)"."""
    version = str(python.get("version", "?"))
    if not python.get("free_threaded"):
        return version
    return f"{version}t ({'GIL on' if python.get('gil_enabled') else 'no GIL'})"


@dataclass
class RunDocument:
    """Everything a `conclab.run/1` file holds: the plan, where it ran, calibration, and the runs."""

    plan: str
    machine: dict[str, Any]
    calibration: dict[str, Any]
    runs: list[ModelRun]
