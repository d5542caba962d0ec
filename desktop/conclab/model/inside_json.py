"""The "see inside" snapshot as plain JSON-ready data (`conclab inside RUN.json --at SECONDS --json`).

Shape: `{"model", "at", "cpus", "running", "ready", "waiting", "queued", "not_started", "done",
"timers", "sockets", "loop_lag_ms"}` for every model; under asyncio also `"loop"`, `"loop_summary"`,
`"ready_queue"` (the ready tasks waiting for the loop, in the order it serves them) and `"offloaded"`;
under threads and sequential `"gil_holder"`, `"waiting_for_gil"` and `"waiting_for_gil_or_core"`; and
under threads, sequential and processes `"waiting_for_core"` and `"cores"`. Tasks are named as the
user named them ("fetch 1"); times are seconds from the run's start.
"""

from __future__ import annotations

from typing import Any

from conclab.model.inside_types import Entry, Inside, TaskRef
from conclab.model.trace import Cause, State, state_label

CORES_NOTE = "which core each one ran on is not measured; these are the ones running then"


def _s(seconds: float) -> float:
    return round(seconds, 6)


def entry_dict(e: Entry) -> dict[str, Any]:
    """One task's entry: who, which step, where, in which state since when, and why."""
    out: dict[str, Any] = {
        "task": e.name, "id": e.task, "step": e.step, "step_text": e.step_text, "lane": e.lane,
        "state": e.state, "since": _s(e.since), "until": _s(e.until), "detail": e.detail,
    }
    if e.cause:
        out["cause"] = e.cause
    if e.due is not None:
        out["due"] = _s(e.due)
    return out


def _ref(r: TaskRef) -> dict[str, Any]:
    out: dict[str, Any] = {"task": r.name, "id": r.task}
    if r.outcome:
        out["outcome"] = r.outcome
    return out


def _short(e: Entry) -> dict[str, Any]:
    return {"task": e.name, "id": e.task, "step": e.step, "step_text": e.step_text, "lane": e.lane,
            "since": _s(e.since)}


def _cores(inside: Inside) -> dict[str, Any]:
    return {
        "count": inside.cpus,
        "in_use": [_short(e) for e in inside.on_cores],
        "free": max(0, inside.cpus - len(inside.on_cores)),
        "note": CORES_NOTE,
    }


def loop_summary(inside: Inside) -> str:
    """What the event loop is doing, in one sentence (asyncio): who holds it, or why it is free."""
    loop = inside.loop
    if loop is not None:
        if loop.state == State.BLOCKING:
            return f"blocked in time.sleep by {loop.name}"
        if loop.state == State.READY_WAIT:
            return f"held by {loop.name}, which is itself {state_label(loop.state, inside.model, loop.cause)}"
        return f"running {loop.name} ({loop.step_text})" if loop.step_text else f"running {loop.name}"
    if inside.ready:
        return f"between tasks: {inside.ready[0].name} is next in its ready queue"
    if inside.waiting:
        return "idle: every task waits for a timer, a socket or an offload"
    return "idle"


def to_json_dict(inside: Inside) -> dict[str, Any]:
    """The snapshot as plain data (see the module doc for its shape)."""
    out: dict[str, Any] = {
        "model": inside.model,
        "at": _s(inside.at),
        "cpus": inside.cpus,
        "running": [entry_dict(e) for e in inside.running],
        "ready": [entry_dict(e) for e in inside.ready],
        "waiting": [entry_dict(e) for e in inside.waiting],
        "queued": [entry_dict(e) for e in inside.queued],
        "not_started": [_ref(r) for r in inside.not_started],
        "done": [_ref(r) for r in inside.done],
        "timers": [{"task": e.name, "id": e.task, "step": e.step, "due": _s(e.due if e.due is not None else e.until)}
                   for e in inside.timers],
        "sockets": [_short(e) for e in inside.sockets],
        "loop_lag_ms": None if inside.loop_lag_s is None else round(inside.loop_lag_s * 1e3, 3),
    }
    if inside.model == "asyncio":
        out["loop"] = None if inside.loop is None else entry_dict(inside.loop)
        out["loop_summary"] = loop_summary(inside)
        out["ready_queue"] = [e.name for e in inside.ready_for(Cause.LOOP)]
        out["offloaded"] = [entry_dict(e) for e in inside.offloaded]
        return out
    if inside.model != "processes":
        out["gil_holder"] = None if inside.gil_holder is None else entry_dict(inside.gil_holder)
        out["waiting_for_gil"] = [e.name for e in inside.ready_for(Cause.GIL)]
        out["waiting_for_gil_or_core"] = [e.name for e in inside.ready_for(Cause.GIL_OR_CORE)]
    out["waiting_for_core"] = [e.name for e in inside.ready_for(Cause.CORE)]
    out["cores"] = _cores(inside)
    return out
