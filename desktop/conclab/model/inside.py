"""See inside a recorded run: what the event loop, the GIL and the cores were doing at one instant.

`inside_at(run, plan, t, cpus)` gives a frozen `Inside` snapshot: which tasks were running, ready (in
the order they became ready) and waiting, queued, not started and done, with each model's own
breakdown (the loop's holder, timers and sockets, offloads and the loop's lag under asyncio; the GIL's
holder, who waits for the GIL and who for a core, and the cores under threads; the cores, the workers
waiting for one and the queue under processes). `change_points`, `next_change` and `previous_change`
step through every instant at which some task's state changes. `to_json_dict` gives the snapshot as
plain data, tasks named as the user named them.

A view queries many instants of one run: it keeps an `InsideIndex(run, plan)` and calls `.at(t, cpus)`
per frame; the module functions keep the index of the last few runs they saw.
"""

from __future__ import annotations

import math
import weakref
from bisect import bisect_left, bisect_right
from itertools import compress, repeat
from operator import eq, is_

from conclab.model.errors import PlanError
from conclab.model.inside_index import (
    QUEUED,
    READY,
    RUNNING,
    SIDE,
    SOCKET,
    TIMER,
    WAITING,
    Segments,
    first_after,
    last_before,
    step_text,
)
from conclab.model.inside_json import loop_summary, to_json_dict
from conclab.model.inside_types import Entry, Inside, TaskRef
from conclab.model.inside_words import Situation, describe, ready_cause
from conclab.model.plan import Plan, Step
from conclab.model.plan_text import parse
from conclab.model.run import ModelRun, RunDocument
from conclab.model.trace import Cause, Span

__all__ = [
    "Entry", "Inside", "InsideIndex", "TaskRef", "change_points", "cpus_of", "index_for", "inside_at",
    "loop_summary", "next_change", "plan_of", "previous_change", "to_json_dict",
]

NEVER = float("inf")
_CACHE_SIZE = 2


class InsideIndex:
    """One run's spans indexed for snapshots at any instant; build once per run, query per frame."""

    def __init__(self, run: ModelRun, plan: Plan | None = None) -> None:
        self.model = run.model
        self._segs = Segments(run, plan)
        self._stab = self._segs.stabbers()
        self._entries_made: list[Entry | None] = [None] * len(self._segs.span)
        self._looks: dict[tuple[str, str, int, bool, bool], tuple[str, str, str, str]] = {}
        self._names = self._task_names(run)
        outcomes = {t.id: t.state for t in run.tasks}
        refs = [TaskRef(task, name, outcomes.get(task, ""), *self._segs.life.get(task, (NEVER, NEVER)))
                for task, name in sorted(self._names.items())]
        self._by_start = sorted(refs, key=lambda r: (r.start, r.task))
        self._starts = [r.start for r in self._by_start]
        self._by_end = sorted(refs, key=lambda r: (r.end, r.task))
        self._ends = [r.end for r in self._by_end]
        self.points: list[float] = sorted({*self._segs.since, *self._segs.until})
        self._lag_t = [s[0] for s in run.lag]
        self._lag_late = [s[1] for s in run.lag]

    def _task_names(self, run: ModelRun) -> dict[int, str]:
        names = {spec.id: spec.name for spec in self._segs.specs}
        names.update(run.task_names())
        for task in self._segs.life:
            names.setdefault(task, f"task {task}")
        return names

    def _entry(self, i: int) -> Entry:
        segs = self._segs
        span, is_side = segs.span[i], segs.bucket[i] == SIDE
        step = segs.step(span.task, span.step)
        key = (span.state, span.cause, id(step), span.step < 0, is_side)
        look = self._looks.get(key)
        if look is None:
            look = self._looks[key] = self._look(span, step, is_side)
        kind, text, cause, words = look
        due: float | None = None
        if not math.isnan(segs.due[i]):
            due = segs.due[i]
            words = f"{words}, due at {due:.3f} s"
        return Entry(span.task, self._names.get(span.task, f"task {span.task}"), span.step, kind, text,
                     span.worker, span.state, segs.since[i], segs.until[i], cause, due, words)

    def _look(self, span: Span, step: Step | None, is_side: bool) -> tuple[str, str, str, str]:
        """(kind, step text, cause, words) shared by every span of this state, cause and step."""
        kind = step.kind if step is not None else ""
        offload = (step.offload or "") if step is not None and self.model == "asyncio" else ""
        cause = ready_cause(self.model, span.state, span.cause, offload, is_side)
        words = describe(Situation(self.model, span.state, cause, kind, offload, span.step, is_side))
        return kind, step_text(step), cause, words

    def _entries(self, ids: list[int]) -> tuple[Entry, ...]:
        """The entries of segments (made on first use, then kept)."""
        entries = self._entries_made
        got = list(map(entries.__getitem__, ids))
        if any(map(is_, got, repeat(None))):
            for i in ids:
                if entries[i] is None:
                    entries[i] = self._entry(i)
            got = list(map(entries.__getitem__, ids))
        return tuple(got)  # type: ignore[arg-type]

    def _kind_of(self, ids: list[int], sub: int) -> list[int]:
        return list(compress(ids, map(eq, repeat(sub), map(self._segs.sub.__getitem__, ids))))

    def lag_at(self, t: float) -> float | None:
        """How late the loop is at t (seconds): how long the heartbeat tick due before t has waited by then
        (its whole lateness only at the instant it ran); None past the last tick."""
        i = bisect_left(self._lag_t, t)
        if i == len(self._lag_t):
            return None
        late = self._lag_late[i]
        # A tick `late` seconds late at time ts was due at ts - late: the loop was busy over [ts - late, ts].
        due = self._lag_t[i] - late
        return min(late, t - due) if due <= t else 0.0

    def at(self, t: float, cpus: int) -> Inside:
        """The snapshot at instant t (seconds from the run's start) on a machine with `cpus` cores."""
        stab, segs = self._stab, self._segs
        running = self._entries(stab[RUNNING].at(t))
        ready = self._entries(stab[READY].at(t))
        waiting_ids = stab[WAITING].at(t)
        timers = sorted(self._kind_of(waiting_ids, TIMER), key=segs.due.__getitem__)
        loop = holder = None
        cores: tuple[Entry, ...] = ()
        if self.model == "asyncio":
            loop = running[-1] if running else next(
                (e for e in reversed(ready) if e.cause not in (Cause.NONE, Cause.LOOP)), None)
        else:
            if self.model != "processes":
                holder = next((e for e in reversed(running) if e.kind == "cpu"), None)
            cores = _on_cores(running, holder, max(1, cpus))
        return Inside(
            model=self.model, at=t, cpus=cpus, running=running, ready=ready,
            waiting=self._entries(waiting_ids), queued=self._entries(stab[QUEUED].at(t)),
            not_started=tuple(self._by_start[bisect_right(self._starts, t) :]),
            done=tuple(self._by_end[: bisect_right(self._ends, t)]),
            timers=self._entries(timers), sockets=self._entries(self._kind_of(waiting_ids, SOCKET)),
            offloaded=self._entries(stab[SIDE].at(t)),
            loop=loop, gil_holder=holder, on_cores=cores, loop_lag_s=self.lag_at(t),
        )

    def next_change(self, t: float, task: int | None = None) -> float | None:
        """The first instant after t at which some task's (or this task's) state changes."""
        return first_after(self._points_of(task), t)

    def previous_change(self, t: float, task: int | None = None) -> float | None:
        """The last instant before t at which some task's (or this task's) state changes."""
        return last_before(self._points_of(task), t)

    def _points_of(self, task: int | None) -> list[float]:
        return self.points if task is None else self._segs.bounds.get(task, [])


def _on_cores(running: tuple[Entry, ...], holder: Entry | None, cpus: int) -> tuple[Entry, ...]:
    """The running tasks, at most `cpus`: the GIL's holder first, then the most recently resumed (the
    measurement cannot see a preemption shorter than a work quantum, so the older ones are the doubt)."""
    if len(running) <= cpus:
        return running
    keep = [holder] if holder is not None else []
    keep += [e for e in reversed(running) if e is not holder][: cpus - len(keep)]
    return tuple(sorted(keep, key=lambda e: (e.since, e.task)))


def plan_of(doc: RunDocument) -> Plan | None:
    """The plan a run document was run with, or None when its text no longer parses."""
    try:
        return parse(doc.plan)
    except PlanError:
        return None


def cpus_of(doc: RunDocument) -> int:
    """The number of cores of the machine the document's runs were measured on."""
    cpus = doc.machine.get("cpus")
    return cpus if isinstance(cpus, int) and cpus > 0 else 1


_cache: list[tuple[weakref.ref[ModelRun], int, int, Plan | None, InsideIndex]] = []


def index_for(run: ModelRun, plan: Plan | None = None, *, any_plan: bool = False) -> InsideIndex:
    """The index of a run (kept for the last two runs; rebuilt when the run has grown, as a live run does).
    `any_plan` accepts an index built with any plan (change points do not depend on it)."""
    for ref, nspans, nlag, p, index in _cache:
        if ref() is run and (any_plan or p is plan) and nspans == len(run.spans) and nlag == len(run.lag):
            return index
    index = InsideIndex(run, plan)
    _cache.insert(0, (weakref.ref(run), len(run.spans), len(run.lag), plan, index))
    del _cache[_CACHE_SIZE:]
    return index


def inside_at(run: ModelRun, plan: Plan | None, t: float, cpus: int) -> Inside:
    """What the run was doing at instant t (seconds from its start); `plan` names the steps' kinds."""
    return index_for(run, plan).at(t, cpus)


def change_points(run: ModelRun) -> list[float]:
    """Every instant at which some task's state changes, sorted, each once."""
    return list(index_for(run, any_plan=True).points)


def next_change(run: ModelRun, t: float, task: int | None = None) -> float | None:
    """The first state change after t (of any task, or of `task`); None at the end."""
    return index_for(run, any_plan=True).next_change(t, task)


def previous_change(run: ModelRun, t: float, task: int | None = None) -> float | None:
    """The last state change before t (of any task, or of `task`); None at the start."""
    return index_for(run, any_plan=True).previous_change(t, task)
