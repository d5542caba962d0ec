"""A run in progress, as its live frames arrive: what the Inside panel shows at "now" while it streams.

Indexing a whole run costs a few hundred milliseconds at 10,000 tasks, far too much per frame. At
"now", though, every task in progress has exactly one span open, its current state: a live snapshot
sorts the open spans into the panel's boxes (counting all of them), indexes only the few each box
shows, and takes the totals from the counts. An instant before "now" (the user clicked on the
timeline while the run goes on) indexes everything recorded so far, once per change.

What "now" can show is what the engines have said by then. They record a ready wait when it ends, so
a sleeper whose timer is past due is shown ready (for the loop, or for the GIL or a core) from its
due time; and a queued wait is recorded when a worker takes the task, so a task submitted but not seen
in any span yet is shown queued (under asyncio: waiting for its first turn, or for its limit's slot).
"""

from __future__ import annotations

import heapq
from collections.abc import Hashable
from operator import attrgetter

from conclab.model.inside import Inside, InsideIndex
from conclab.model.live import LiveFrame
from conclab.model.plan import Plan, Step
from conclab.model.run import ModelRun, TaskOutcome
from conclab.model.trace import MIN_READY_S, QUEUE_LANE, Cause, LaneKind, Span, State, default_cause, lane_kind_of
from conclab.ui.inside.picture import Counts

_T0 = attrgetter("t0")
# An open span is drawn to just past "now" so that the instant "now" falls inside it.
_PAST_NOW = 1e-6


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
        specs = plan.tasks() if plan is not None else []
        self._steps: list[tuple[Step, ...]] = [s.steps for s in specs]
        self._names = {s.id: s.name for s in specs}
        self._kinds: dict[str, LaneKind] = {}
        self._starts = sorted((spec.start_s, spec.id) for spec in specs)
        self._limited = {spec.id for spec in specs if spec.limit}
        self._lane_of = {spec.id: spec.name for spec in specs}
        self._seen: set[int] = set()
        self._index: tuple[tuple[int, int, float], InsideIndex] | None = None

    def apply(self, frame: LiveFrame) -> None:
        """Take in one frame of the stream."""
        closed = [Span(*s) for s in frame.spans]
        self.spans.extend(closed)
        self._seen.update(s.task for s in closed)
        for key, span in frame.opened:
            if span is None:
                self.open.pop(key, None)
            else:
                self.open[key] = span if type(span) is Span else Span(*span)
                self._seen.add(span[0])
        self.lag.extend(frame.lag)
        self.lanes.update(frame.lanes)
        self.done = max(self.done, frame.done)
        self.now = max(self.now, frame.now)

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
        """The index of everything recorded so far (built again only when something new has arrived)."""
        key = (len(self.spans), len(self.lag), self.now)
        if self._index is None or self._index[0] != key:
            self._index = (key, InsideIndex(self.as_run(), self.plan))
        return self._index[1]

    def _side(self, lane: str) -> bool:
        kind = self._kinds.get(lane)
        if kind is None:
            kind = self._kinds[lane] = self.lanes.get(lane) or lane_kind_of(lane)
        return kind is LaneKind.OFFLOAD or (self.model == "asyncio" and kind is LaneKind.QUEUE)

    def _step(self, span: Span) -> Step | None:
        steps = self._steps[span.task] if 0 <= span.task < len(self._steps) else ()
        return steps[span.step] if 0 <= span.step < len(steps) else None

    def _now_states(self) -> list[Span]:
        """Every task's state at "now" as far as the stream has told it (see the module doc)."""
        now = self.now
        out = [self._past_due(s, now) for s in self.open.values()]
        asyncio = self.model == "asyncio"
        default = default_cause(self.model)
        for start, task in self._starts:
            if start > now:
                break
            if task in self._seen:
                continue
            if not asyncio:
                out.append(Span(task, -1, QUEUE_LANE, State.QUEUED, start, now))
            elif task in self._limited:
                out.append(Span(task, -1, self._lane_of[task], State.QUEUED, start, now))
            else:
                out.append(Span(task, -1, self._lane_of[task], State.READY_WAIT, start, now, default))
        return out

    def _past_due(self, s: Span, now: float) -> Span:
        """A sleeper whose timer fell due but has not been resumed is ready, since its due time."""
        if s.state != State.IO_WAIT:
            return s
        step = self._step(s)
        if step is None or step.kind not in ("sleep", "block") or step.offload:
            return s
        due = s.t0 + step.duration_s
        if now - due <= MIN_READY_S:
            return s
        return Span(s.task, s.step, s.worker, State.READY_WAIT, due, now, default_cause(self.model))

    def _sort(self, spans: list[Span]) -> dict[str, list[Span]]:
        """The tasks' states at "now" by the panel box they belong to (see picture.py for the keys)."""
        asyncio = self.model == "asyncio"
        default = default_cause(self.model)
        out: dict[str, list[Span]] = {}
        for s in spans:
            if self._side(s.worker):
                key = "offloaded"
            elif s.state in (State.RUNNING, State.BLOCKING):
                key = "loop" if asyncio else "cores"
            elif s.state == State.READY_WAIT and asyncio:
                # Ready for something other than the loop: the loop's holder itself, off its core.
                key = "ready" if s.cause in (Cause.NONE, Cause.LOOP) else "loop"
            elif s.state == State.READY_WAIT:
                key = _READY_KEY.get(s.cause or default, "ready_other")
                if self.model == "processes" and key != "ready_core":
                    key = "ready_other"
            elif s.state == State.QUEUED:
                key = "queued"
            elif not asyncio:
                key = "waiting"
            else:
                step = self._step(s)
                kind = step.kind if step is not None else ""
                key = ("awaits" if step is not None and step.offload else
                       "timers" if kind in ("sleep", "block") else "sockets" if kind == "net" else "awaits")
            out.setdefault(key, []).append(s)
        return out

    def _due(self, s: Span) -> float:
        step = self._step(s)
        return s.t0 + step.duration_s if step is not None and step.kind in ("sleep", "block") else s.t0

    def snapshot(self, cap: int) -> tuple[Inside, Counts]:
        """What the run is doing at "now": the first `cap` tasks of every box indexed, all of them counted."""
        now = self.now
        groups = self._sort(self._now_states())
        shown: list[Span] = []
        for key, spans in groups.items():
            order = self._due if key in ("timers", "waiting") else _T0
            shown.extend(heapq.nsmallest(cap, spans, key=order))
        spans = sorted((s._replace(t0=min(s.t0, now), t1=now + _PAST_NOW) for s in shown), key=_T0)
        tasks = [TaskOutcome(t, self._names.get(t, f"task {t}"), "") for t in sorted({s.task for s in spans})]
        run = ModelRun(self.model, 0, {}, tasks, spans, [], dict(self.lanes))
        inside = InsideIndex(run, self.plan).at(now, self.cpus)
        active = {s.task for key, group in groups.items() if key != "offloaded" for s in group}
        total = max(self.task_count, len(active) + self.done)
        not_started = sum(1 for start, task in self._starts if start > now and task not in self._seen)
        counts = Counts({key: len(group) for key, group in groups.items()}, not_started=not_started,
                        done=max(self.done, total - len(active) - not_started) if self.task_count else self.done,
                        lag_s=self.lag[-1][1] if self.lag else None, tasks=total)
        return inside, counts


_READY_KEY: dict[str, str] = {Cause.GIL: "ready_gil", Cause.CORE: "ready_core", Cause.GIL_OR_CORE: "ready_either"}
