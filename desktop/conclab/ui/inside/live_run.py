"""A run in progress, as its live frames arrive: what the Inside panel shows at "now" while it streams.

Indexing a whole run costs a few hundred milliseconds at 10,000 tasks, far too much per frame. At
"now", though, every task in progress has exactly one span open, its current state: each open span is
sorted into its panel box once, when it arrives; a snapshot counts every box, picks the first few of
each, and indexes only those (renumbered as a small run of their own, so the cost does not grow with
the run). An instant before "now" (the user clicked on the timeline while the run goes on) indexes
everything recorded so far, once per change.

What "now" can show is what the engines have said by then. They record a ready wait when it ends, so
a sleeper whose timer is past due is shown ready (for the loop, or for the GIL or a core) from its
due time; and a queued wait is recorded when a worker takes the task, so a task submitted but not seen
in any span yet is shown queued (under asyncio: waiting for its first turn, or for its limit's slot).
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_right
from collections.abc import Hashable
from dataclasses import replace
from operator import attrgetter
from time import perf_counter

from conclab.model.inside import Entry, Inside, InsideIndex
from conclab.model.live import LiveFrame
from conclab.model.plan import Group, Plan, Step
from conclab.model.run import ModelRun, TaskOutcome
from conclab.model.trace import (
    QUEUE_LANE,
    Cause,
    LaneKind,
    Span,
    State,
    default_cause,
    lane_kind_of,
)
from conclab.ui.inside.live_boxes import OFFLOADED, LiveBoxes, Open
from conclab.ui.inside.picture import Counts

_T0 = attrgetter("t0")
# An open span is drawn to just past "now" so that the instant "now" falls inside it.
_PAST_NOW = 1e-6
REBUILD_FACTOR = 10.0
_READY_KEY: dict[str, str] = {Cause.GIL: "ready_gil", Cause.CORE: "ready_core", Cause.GIL_OR_CORE: "ready_either"}


class LiveRun:
    """One run of a session while it is measured: closed spans, spans in progress by buffer, lag, lanes."""

    def __init__(self, model: str, name: str, plan: Plan | None, cpus: int) -> None:
        self.model = model
        self.name = name
        self.plan = plan
        self.cpus = max(1, cpus)
        self.spans: list[Span] = []
        self.open: dict[Hashable, Span] = {}
        self.lag: list[tuple[float, float]] = []
        self.lanes: dict[str, LaneKind] = {}
        self.done = 0
        self.now = 0.0
        self._specs = plan.tasks() if plan is not None else []
        self._names = {s.id: s.name for s in self._specs}
        self._boxes = LiveBoxes()
        self._kinds: dict[str, LaneKind] = {}
        self._unseen = sorted((spec.start_s, spec.id) for spec in self._specs)
        self._unseen_starts = [start for start, _ in self._unseen]
        self._seen: set[int] = set()
        self._seen_new = False
        self._index: tuple[tuple[int, int, float], InsideIndex] | None = None
        self._built_at = 0.0
        self._build_s = 0.0

    def apply(self, frame: LiveFrame) -> None:
        """Take in one frame of the stream."""
        closed = [Span(*s) for s in frame.spans]
        self.spans.extend(closed)
        self._see(s.task for s in closed)
        self.lanes.update(frame.lanes)
        for key, span in frame.opened:
            if span is None:
                self.open.pop(key, None)
                self._boxes.remove(key)
            else:
                span = span if type(span) is Span else Span(*span)
                self.open[key] = span
                self._boxes.put(key, self._classify(span))
                self._see((span.task,))
        self.lag.extend(frame.lag)
        self.done = max(self.done, frame.done)
        self.now = max(self.now, frame.now)

    def _see(self, tasks: object) -> None:
        before = len(self._seen)
        self._seen.update(tasks)  # type: ignore[arg-type]
        self._seen_new |= len(self._seen) != before

    @property
    def task_count(self) -> int:
        return len(self._names)

    def end(self) -> float:
        return self.now

    def as_run(self) -> ModelRun:
        """Everything recorded so far as a run, spans in progress ending at "now"."""
        now = self.now
        spans = [*self.spans, *(s._replace(t1=max(now, s.t0)) for s in self.open.values())]
        spans.sort(key=_T0)
        tasks = [TaskOutcome(t, n, "") for t, n in self._names.items()]
        return ModelRun(self.model, 0, {}, tasks, spans, list(self.lag), dict(self.lanes))

    def index(self) -> InsideIndex:
        """The index of everything recorded so far: built again when something new has arrived, but at most
        one tenth of the time (a big run takes a while to index; frames keep coming meanwhile)."""
        key = (len(self.spans), len(self.lag), self.now)
        stale = self._index is None or self._index[0] != key
        if stale and (self._index is None or perf_counter() - self._built_at > REBUILD_FACTOR * self._build_s):
            started = perf_counter()
            self._index = (key, InsideIndex(self.as_run(), self.plan))
            self._built_at = perf_counter()
            self._build_s = self._built_at - started
        assert self._index is not None
        return self._index[1]

    # -- sorting spans into boxes ---------------------------------------------------------------
    def _step(self, span: Span) -> Step | None:
        steps = self._specs[span.task].steps if 0 <= span.task < len(self._specs) else ()
        return steps[span.step] if 0 <= span.step < len(steps) else None

    def _side(self, lane: str) -> bool:
        kind = self._kinds.get(lane)
        if kind is None:
            kind = self._kinds[lane] = self.lanes.get(lane) or lane_kind_of(lane)
        return kind is LaneKind.OFFLOAD or (self.model == "asyncio" and kind is LaneKind.QUEUE)

    def _classify(self, s: Span) -> Open:
        box = self._box(s)
        step = self._step(s)
        if s.state == State.IO_WAIT and box != OFFLOADED and step is not None and \
                step.kind in ("sleep", "block") and not step.offload:
            due = s.t0 + step.duration_s
            late = self._box(s._replace(state=State.READY_WAIT, cause=default_cause(self.model)))
            return Open(s, box, due, late, due)
        return Open(s, box, math.inf, box, s.t0)

    def _box(self, s: Span) -> str:
        """The panel box of a task in this state (see picture.py for the keys)."""
        asyncio = self.model == "asyncio"
        if self._side(s.worker):
            return OFFLOADED
        if s.state in (State.RUNNING, State.BLOCKING):
            return "loop" if asyncio else "cores"
        if s.state == State.READY_WAIT:
            if asyncio:
                # Ready for something other than the loop: the loop's holder itself, off its core.
                return "ready" if s.cause in (Cause.NONE, Cause.LOOP) else "loop"
            key = _READY_KEY.get(s.cause or default_cause(self.model), "ready_other")
            return "ready_other" if self.model == "processes" and key != "ready_core" else key
        if s.state == State.QUEUED:
            return "queued"
        if not asyncio:
            return "waiting"
        step = self._step(s)
        if step is None or step.offload:
            return "awaits"
        return "timers" if step.kind in ("sleep", "block") else "sockets" if step.kind == "net" else "awaits"

    # -- the snapshot --------------------------------------------------------------------------------
    def _unseen_now(self, now: float) -> list[tuple[str, Span]]:
        """Tasks submitted by `now` but not seen in any span yet: queued (or, under asyncio, waiting for
        their first turn or their limit's slot), with their boxes, in order of submission."""
        if self._seen_new:
            self._unseen = [(start, task) for start, task in self._unseen if task not in self._seen]
            self._unseen_starts = [start for start, _ in self._unseen]
            self._seen_new = False
        default = default_cause(self.model)
        out: list[tuple[str, Span]] = []
        for start, task in self._unseen[: bisect_right(self._unseen_starts, now)]:
            if self.model != "asyncio":
                span = Span(task, -1, QUEUE_LANE, State.QUEUED, start, now)
            elif self._specs[task].limit:
                span = Span(task, -1, self._names[task], State.QUEUED, start, now)
            else:
                span = Span(task, -1, self._names[task], State.READY_WAIT, start, now, default)
            out.append((self._box(span), span))
        return out

    def _shown_span(self, item: Open, late: bool, now: float) -> Span:
        s = item.span
        if late:  # its timer fell due: ready since then
            s = Span(s.task, s.step, s.worker, State.READY_WAIT, item.due, now, default_cause(self.model))
        return s._replace(t0=min(s.t0, now), t1=now + _PAST_NOW)

    def snapshot(self, cap: int) -> tuple[Inside, Counts]:
        """What the run is doing at "now": the first `cap` tasks of every box indexed, all of them counted."""
        now = self.now
        boxes = self._boxes
        boxes.advance(now)
        counts = boxes.counts()
        unseen = self._unseen_now(now)
        shown: list[Span] = []
        for box in set(counts) | {b for b, _ in unseen}:
            mine = [(s.t0, s._replace(t1=now + _PAST_NOW)) for b, s in unseen if b == box][:cap]
            mine += [(item.order, self._shown_span(item, late, now)) for item, late in boxes.first(box, cap)]
            shown += [s for _, s in heapq.nsmallest(cap, mine, key=lambda pair: pair[0])]
            counts[box] = counts.get(box, 0) + sum(1 for b, _ in unseen if b == box)
        inside = self._mini_index(shown, now)
        active = boxes.tasks() + len(unseen)
        not_started = len(self._unseen) - bisect_right(self._unseen_starts, now)
        total = max(self.task_count, active + self.done)
        done = max(self.done, total - active - not_started) if self.task_count else self.done
        return inside, Counts(counts, not_started=not_started, done=done,
                              lag_s=self.lag[-1][1] if self.lag else None, tasks=total)

    def _mini_index(self, spans: list[Span], now: float) -> Inside:
        """The snapshot of a few tasks, indexed as a small run of their own (ids 0..k-1), then renamed back."""
        ids = sorted({s.task for s in spans})
        local = {task: i for i, task in enumerate(ids)}
        plan = None
        if self.plan is not None:
            plan = Plan(tuple(Group(self._specs[t].steps, name=self._names[t], limit=self._specs[t].limit)
                              if 0 <= t < len(self._specs) else Group(()) for t in ids))
        tasks = [TaskOutcome(i, self._names.get(t, f"task {t}"), "") for i, t in enumerate(ids)]
        mini = sorted((s._replace(task=local[s.task]) for s in spans), key=_T0)
        inside = InsideIndex(ModelRun(self.model, 0, {}, tasks, mini, [], dict(self.lanes)), plan).at(now, self.cpus)
        return _renumbered(inside, ids)


def _renumbered(inside: Inside, ids: list[int]) -> Inside:
    """The snapshot with each entry's task id the run's own (the same entry stays the same object)."""
    made: dict[int, Entry] = {}

    def one(e: Entry) -> Entry:
        got = made.get(id(e))
        if got is None:
            got = made[id(e)] = e._replace(task=ids[e.task])
        return got

    def many(entries: tuple[Entry, ...]) -> tuple[Entry, ...]:
        return tuple(map(one, entries))

    return replace(inside, running=many(inside.running), ready=many(inside.ready), waiting=many(inside.waiting),
                   queued=many(inside.queued), timers=many(inside.timers), sockets=many(inside.sockets),
                   offloaded=many(inside.offloaded), on_cores=many(inside.on_cores), not_started=(), done=(),
                   loop=None if inside.loop is None else one(inside.loop),
                   gil_holder=None if inside.gil_holder is None else one(inside.gil_holder))
