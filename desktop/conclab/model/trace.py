"""The trace: spans of (task, step, worker lane, state, t0, t1, cause) in seconds from the run's start.

States and causes are string enums, so they compare equal to their plain names (`"running"`) in files
and tests. Lanes carry a kind (a task's own lane under asyncio, a worker thread, an offload worker, the
queue), kept as data beside the lane's name, never parsed back out of the name.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple


class State(StrEnum):
    """What a task was doing during a span (DESIGN.md, "The trace")."""

    QUEUED = "queued"
    RUNNING = "running"
    IO_WAIT = "io_wait"
    READY_WAIT = "ready_wait"
    BLOCKING = "blocking"


STATES: tuple[State, ...] = tuple(State)


class Cause(StrEnum):
    """Why a `ready_wait` span was not running, as far as it was measured.

    `GIL_OR_CORE` is said when the app cannot tell the two apart; other states carry `NONE`.
    """

    NONE = ""
    LOOP = "loop"
    GIL = "gil"
    CORE = "core"
    GIL_OR_CORE = "gil_or_core"


CAUSES: tuple[Cause, ...] = tuple(Cause)

MODELS: tuple[str, ...] = ("sequential", "asyncio", "threads", "processes")


class LaneKind(StrEnum):
    """What a lane of the timeline stands for."""

    TASK = "task"  # one asyncio task's own lane
    WORKER = "worker"  # a worker thread or process of the model (or sequential's one worker)
    OFFLOAD = "offload"  # an executor worker that asyncio offloads steps to
    QUEUE = "queue"  # tasks submitted but not yet taken by a worker


# Derived lanes the views and captions refer to by name.
LOOP_LANE = "loop"
QUEUE_LANE = "queue"

# Waits shorter than this after a deadline are timer jitter, not worth a span.
MIN_READY_S = 20e-6


class Span(NamedTuple):
    """One interval in one state. `step` is the step index in its task, -1 for a task-level span."""

    task: int
    step: int
    worker: str
    state: str
    t0: float
    t1: float
    cause: str = Cause.NONE

    @property
    def duration(self) -> float:
        return self.t1 - self.t0


_READY_FOR: dict[str, str] = {
    Cause.LOOP: "ready — waiting for the event loop",
    Cause.GIL: "ready — waiting for the GIL",
    Cause.CORE: "ready — waiting for a free core",
    Cause.GIL_OR_CORE: "ready — waiting for the GIL or a core",
}

_STATE_WORDS: dict[str, str] = {
    State.QUEUED: "queued — no free worker yet",
    State.RUNNING: "running — executing code on a core",
    State.IO_WAIT: "waiting — for a timer or the network, no CPU needed",
    State.BLOCKING: "blocking the event loop — waiting, but nothing else can run",
}


def default_cause(model: str) -> Cause:
    """What a ready wait means under a model when nothing finer was measured."""
    if model == "asyncio":
        return Cause.LOOP
    if model == "processes":
        return Cause.CORE
    return Cause.GIL_OR_CORE


def state_label(state: str, model: str, cause: str = Cause.NONE) -> str:
    """A plain-words legend entry for a state under a model (and, for a ready wait, its cause)."""
    if state == State.READY_WAIT:
        return _READY_FOR[cause or default_cause(model)]
    return _STATE_WORDS.get(state, state)


def lane_kind_of(name: str) -> LaneKind:
    """The kind of a lane from a run file written before lanes carried their kind."""
    if name == QUEUE_LANE:
        return LaneKind.QUEUE
    if name.startswith("offload"):
        return LaneKind.OFFLOAD
    if name.startswith(("thread ", "process ", "worker")):
        return LaneKind.WORKER
    return LaneKind.TASK
