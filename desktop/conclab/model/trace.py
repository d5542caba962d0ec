"""The trace: spans of (task, step, worker lane, state, t0, t1) in seconds from the run's start."""

from __future__ import annotations

from typing import Literal, NamedTuple

State = Literal["queued", "running", "io_wait", "ready_wait", "blocking"]
STATES: tuple[State, ...] = ("queued", "running", "io_wait", "ready_wait", "blocking")

MODELS: tuple[str, ...] = ("sequential", "asyncio", "threads", "processes")

# Lane names. Engines name lanes with these prefixes so views and captions can group them.
LOOP_LANE = "loop"
QUEUE_LANE = "queue"


class Span(NamedTuple):
    """One interval in one state. `step` is the step index in its task, -1 for a task-level span."""

    task: int
    step: int
    worker: str
    state: str
    t0: float
    t1: float

    @property
    def duration(self) -> float:
        return self.t1 - self.t0


def state_label(state: str, model: str) -> str:
    """A plain-words legend entry for a state under a model."""
    if state == "ready_wait":
        if model == "asyncio":
            return "ready — waiting for the event loop"
        if model == "processes":
            return "ready — waiting for a free core"
        return "ready — waiting for the GIL"
    return {
        "queued": "queued — no free worker yet",
        "running": "running — executing code on a core",
        "io_wait": "waiting — for a timer or the network, no CPU needed",
        "blocking": "blocking the event loop — waiting, but nothing else can run",
    }.get(state, state)
