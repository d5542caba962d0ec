"""Plain words for one task's state at an instant, per model: what "see inside" says beside each task.

The words follow the trace's meaning (DESIGN.md, "The trace"): who holds the event loop, who holds the
GIL, who runs on a core, who waits for which, and who waits on a timer or a socket. A ready wait's
cause is the one measured when the span carries it, else the model's default (`default_cause`).
"""

from __future__ import annotations

from dataclasses import dataclass

from conclab.model.trace import Cause, State, default_cause, state_label


@dataclass(frozen=True)
class Situation:
    """What the words depend on: the model, the span's state and cause, and the step (when known)."""

    model: str
    state: str
    cause: str
    kind: str  # the step's kind ("cpu", "net", ...), "" when the plan is not known
    offload: str  # "thread" / "process" for an offloaded step under asyncio, else ""
    step: int  # -1 for a task-level span
    side: bool  # a span on an offload lane or the offload queue (the work an asyncio task handed off)


def ready_cause(model: str, state: str, cause: str, offload: str, side: bool) -> str:
    """The cause of a ready wait: the measured one, else what the lane it waited on implies."""
    if state != State.READY_WAIT:
        return ""
    if cause:
        return cause
    if side or offload:
        return Cause.CORE if offload == "process" else Cause.GIL_OR_CORE
    return default_cause(model)


def describe(s: Situation) -> str:
    """One short phrase for a task in this situation (a timer's due time is added by the caller)."""
    if s.side:
        return _offloaded(s)
    if s.model == "asyncio":
        return _asyncio(s)
    if s.model == "processes":
        return _processes(s)
    return _threads(s)


def _waiting_words(s: Situation, gil: bool) -> str:
    released = " (GIL released)" if gil else ""
    if s.kind in ("sleep", "block"):
        return f"sleeping in time.sleep{released}"
    if s.kind == "net":
        return f"in socket I/O, waiting for the reply{released}"
    return state_label(State.IO_WAIT, s.model)


def _asyncio(s: Situation) -> str:
    if s.state == State.BLOCKING:
        return "blocked in time.sleep: holds the event loop, nothing else can run"
    if s.state == State.RUNNING:
        if s.kind == "hash":
            return "hashing in C on the event loop: GIL released, the loop still held"
        return "running on the event loop"
    if s.state == State.READY_WAIT:
        if s.cause not in ("", Cause.LOOP):
            return f"mid-step on the event loop, {state_label(s.state, s.model, s.cause)}"
        if s.step < 0:
            return "due to start, waiting for its first turn on the event loop"
        if s.kind in ("sleep", "block"):
            return "its timer fell due; ready, waiting for the event loop"
        if s.kind == "net":
            return "its socket is ready; waiting for the event loop"
        return state_label(s.state, s.model, Cause.LOOP)
    if s.state == State.IO_WAIT:
        if s.offload:
            return f"offloaded to a {s.offload}: awaiting its result"
        if s.kind == "sleep":
            return "awaiting a timer (asyncio.sleep)"
        if s.kind == "net":
            return "awaiting a socket: the request is out, the reply not yet in"
        return state_label(s.state, s.model)
    if s.state == State.QUEUED:
        return "waiting for a free slot: a limit on how many run at once"
    return str(s.state)


def _threads(s: Situation) -> str:
    if s.state == State.RUNNING:
        if s.kind == "cpu":
            return "holds the GIL, running Python code"
        if s.kind == "hash":
            return "on a core, hashing in C without the GIL"
        return "running on a core"
    if s.state == State.READY_WAIT:
        return state_label(s.state, s.model, s.cause)
    if s.state == State.IO_WAIT:
        return _waiting_words(s, gil=True)
    if s.state == State.QUEUED:
        return "queued, waiting for the one worker" if s.model == "sequential" else (
            "queued, no free worker thread yet")
    return state_label(s.state, s.model, s.cause)


def _processes(s: Situation) -> str:
    if s.state == State.RUNNING:
        return "running on a core in its own process (its own GIL)"
    if s.state == State.READY_WAIT:
        return state_label(s.state, s.model, s.cause)
    if s.state == State.IO_WAIT:
        return _waiting_words(s, gil=False)
    if s.state == State.QUEUED:
        return "queued, no free worker process yet"
    return state_label(s.state, s.model, s.cause)


def _offloaded(s: Situation) -> str:
    where = f"an offload {s.offload}" if s.offload else "an offload worker"
    if s.state == State.QUEUED:
        return f"waiting for {where} to take it"
    if s.state == State.RUNNING:
        if s.kind == "cpu" and s.offload != "process":
            return f"running in {where}, holding the GIL"
        return f"running in {where}"
    if s.state == State.READY_WAIT:
        return f"in {where}, {state_label(s.state, s.model, s.cause)}"
    if s.state == State.IO_WAIT:
        return f"in {where}, {_waiting_words(s, gil=s.offload != 'process')}"
    return f"in {where}, {state_label(s.state, s.model, s.cause)}"
