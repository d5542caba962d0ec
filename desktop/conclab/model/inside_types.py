"""The "see inside" snapshot types: one task's entry, a task reference, and the whole snapshot at an instant."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from conclab.model.trace import Cause


class Entry(NamedTuple):
    """One task in one state at the instant: who, which step, on which lane, since when, and why.

    A named tuple rather than a dataclass: a snapshot of a 10,000-task run may make thousands at once.

    `since`/`until` bound the state as recorded (the task keeps its last state across the engine's own
    few-microsecond gaps between spans). `cause` is set for a ready wait only; `due` for a timer only.
    """

    task: int
    name: str  # as the user named it: "fetch 1", "crunch"
    step: int  # index in the task, -1 for a task-level span (queued, waiting for the first turn)
    kind: str  # the step's kind ("sleep", "net", "cpu", ...), "" when the plan is not known
    step_text: str  # the step as the plan text writes it: "net 200ms", "cpu 20ms in thread"
    lane: str
    state: str
    since: float
    until: float
    cause: str = Cause.NONE
    due: float | None = None
    detail: str = ""


class TaskRef(NamedTuple):
    """A task that has not started or has ended: its name and, once it has ended, how (done/failed/...)."""

    task: int
    name: str
    outcome: str  # "done", "failed", "cancelled", or "" when the run did not say
    start: float  # its first recorded moment (inf when it never started)
    end: float  # its last recorded moment (inf when it never started)


@dataclass(frozen=True)
class Inside:
    """What the program was doing at one instant `at` of a recorded run of `model`.

    The same three words for every model: `running`, `ready` (ordered by when each became ready, which
    is the order an event loop's ready queue serves them) and `waiting`; plus `queued` (no worker yet),
    `not_started` and `done`. The rest break these groups down the way each model explains itself:
    `loop` (asyncio: the task holding the event loop), `timers` (by due time) and `sockets` (subsets of
    `waiting`), `offloaded` (asyncio: the offload worker's side of a step an asyncio task awaits),
    `gil_holder` (threads, sequential) and `on_cores` (threads, sequential, processes: the running ones,
    at most `cpus`; which core number each ran on is not measured).
    """

    model: str
    at: float
    cpus: int
    running: tuple[Entry, ...]
    ready: tuple[Entry, ...]
    waiting: tuple[Entry, ...]
    queued: tuple[Entry, ...]
    not_started: tuple[TaskRef, ...]
    done: tuple[TaskRef, ...]
    timers: tuple[Entry, ...] = ()
    sockets: tuple[Entry, ...] = ()
    offloaded: tuple[Entry, ...] = ()
    loop: Entry | None = None
    gil_holder: Entry | None = None
    on_cores: tuple[Entry, ...] = ()
    loop_lag_s: float | None = None  # how late the program's main-loop heartbeat was at `at`

    def ready_for(self, cause: str) -> tuple[Entry, ...]:
        """The ready tasks waiting for one thing (`"gil"`, `"core"`, `"gil_or_core"`, `"loop"`), in order."""
        return tuple(e for e in self.ready if e.cause == cause)

    @property
    def tasks_total(self) -> int:
        return (len(self.running) + len(self.ready) + len(self.waiting) + len(self.queued)
                + len(self.not_started) + len(self.done))
