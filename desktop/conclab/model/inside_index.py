"""The "see inside" index: built once per run, it answers "who is in which state at t" per frame.

A run's spans become per-task *segments*: a task's spans in start order, consecutive spans in the same
state of the same step merged, and each one held until the task's next span starts (the engines leave
gaps of a few microseconds of their own bookkeeping between spans; a task keeps its last state across
them, so every instant of a task's life has exactly one state). Spans on offload lanes (and the offload
queue) under asyncio form a second, "side" track per step: the work an asyncio task handed off.

Segments fall into buckets (running, ready, the kinds of waiting, queued, side), each with an interval
index (`_Stabber`) whose queries run in C-level passes, so a 10,000-task run answers in milliseconds.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterator
from itertools import compress, repeat
from operator import attrgetter, lt

from conclab.model.plan import Plan, Step, TaskSpec
from conclab.model.plan_text import format_duration
from conclab.model.run import ModelRun
from conclab.model.trace import LaneKind, Span, State

RUNNING, READY, WAITING, QUEUED, SIDE = range(5)
# Kinds of waiting (a segment's `sub`): what a waiting task waits on.
TIMER, SOCKET, OFFLOAD, OTHER = range(4)
NO_SUB = -1
NOT_TIMED = float("nan")
# A stabber keeps at most about this many snapshots; a query filters one snapshot plus what began after it.
MAX_SNAPSHOTS = 64
MIN_STRIDE = 256


class _Stabber:
    """Intervals [since, until) given in order of `since`: the ids of those open at an instant.

    Every `stride` intervals it keeps a snapshot of the earlier ones still open there (ids and ends side
    by side); a query filters the nearest snapshot and the intervals begun since, in C-level passes.
    """

    def __init__(self, ids: list[int], since: list[float], until: list[float]) -> None:
        self._ids = ids
        self._since = since
        self._until = until
        n = len(ids)
        self._stride = max(MIN_STRIDE, n // MAX_SNAPSHOTS + 1)
        self._snaps: list[tuple[list[int], list[float]]] = [([], [])]
        for m in range(self._stride, n + 1, self._stride):
            self._snaps.append(self._open(self._snaps[-1], m - self._stride, m, since[m - 1]))

    def _open(self, snap: tuple[list[int], list[float]], lo: int, hi: int, t: float
              ) -> tuple[list[int], list[float]]:
        """The ids (and ends) in `snap` and in [lo, hi) still open at t (until > t), in order."""
        ids, ends = snap
        keep = list(map(lt, repeat(t), ends))
        new = list(map(lt, repeat(t), self._until[lo:hi]))
        out_ids = list(compress(ids, keep))
        out_ids.extend(compress(self._ids[lo:hi], new))
        out_ends = list(compress(ends, keep))
        out_ends.extend(compress(self._until[lo:hi], new))
        return out_ids, out_ends

    def at(self, t: float) -> list[int]:
        """The ids of the intervals open at t, in order of `since`."""
        k = bisect_right(self._since, t)
        j = k // self._stride
        ids, ends = self._snaps[j]
        lo = j * self._stride
        out = list(compress(ids, map(lt, repeat(t), ends)))
        out.extend(compress(self._ids[lo:k], map(lt, repeat(t), self._until[lo:k])))
        return out


_by_start = attrgetter("t0", "t1")


def _same(a: Span, b: Span) -> bool:
    return a.step == b.step and a.state == b.state and a.worker == b.worker and a.cause == b.cause


def track(spans: list[Span]) -> Iterator[tuple[float, float, Span]]:
    """(since, until, span) segments of one task's spans: merged, and held across gaps (see module doc)."""
    spans.sort(key=_by_start)
    cur = spans[0]
    since, end = cur.t0, cur.t1
    for s in spans[1:]:
        if _same(cur, s):
            end = max(end, s.t1)
            continue
        if s.t0 > since:
            yield since, s.t0, cur
        cur, since, end = s, s.t0, s.t1
    if end > since:
        yield since, end, cur


def step_text(step: Step | None) -> str:
    """A step as the plan text writes it: "net 200ms", "cpu 20ms in thread"."""
    if step is None:
        return ""
    where = f" in {step.offload}" if step.offload else ""
    return f"{step.kind} {format_duration(step.duration_us)}{where}"


class Segments:
    """A run's segments in order of `since` (ids are positions), with their bucket, and per-task boundaries."""

    def __init__(self, run: ModelRun, plan: Plan | None) -> None:
        self.model = run.model
        self.specs: list[TaskSpec] = plan.tasks() if plan is not None else []
        self.span: list[Span] = []
        self.since: list[float] = []
        self.until: list[float] = []
        self.bucket: list[int] = []
        self.sub: list[int] = []  # what an io_wait waits on (TIMER, SOCKET, ...), else NO_SUB
        self.due: list[float] = []  # a timer's due time (its start plus the step's duration), else NaN
        self.bounds: dict[int, list[float]] = {}
        self.life: dict[int, tuple[float, float]] = {}
        main, side = self._split(run)
        raw: list[tuple[float, int, float, Span, bool]] = []
        for task, spans in main.items():
            segs = list(track(spans))
            raw.extend((a, task, b, s, False) for a, b, s in segs)
            if task in side:
                raw.extend(self._side(task, side.pop(task), segs))
        for task, spans in side.items():
            raw.extend(self._side(task, spans, []))
        raw.sort()  # by since, then task (ties beyond are harmless)
        self._fill(raw)

    def _split(self, run: ModelRun) -> tuple[dict[int, list[Span]], dict[int, list[Span]]]:
        kinds: dict[str, LaneKind] = {}
        main: dict[int, list[Span]] = defaultdict(list)
        side: dict[int, list[Span]] = defaultdict(list)
        offloading = run.model == "asyncio"
        for s in run.spans:
            kind = kinds.get(s.worker)
            if kind is None:
                kind = kinds[s.worker] = run.lane_kind(s.worker)
            is_side = kind is LaneKind.OFFLOAD or (offloading and kind is LaneKind.QUEUE)
            (side if is_side else main)[s.task].append(s)
        return main, side

    def _side(self, task: int, spans: list[Span], main: list[tuple[float, float, Span]]
              ) -> Iterator[tuple[float, int, float, Span, bool]]:
        """Side segments of one task, per step; a task-level span (the offload queue) takes the step the
        task was awaiting then."""
        starts = [a for a, _, _ in main]
        by_step: dict[int, list[Span]] = defaultdict(list)
        for s in spans:
            if s.step < 0 and starts:
                s = s._replace(step=main[max(0, bisect_right(starts, s.t0) - 1)][2].step)
            by_step[s.step].append(s)
        for group in by_step.values():
            for a, b, s in track(group):
                yield a, task, b, s, True

    def _fill(self, raw: list[tuple[float, int, float, Span, bool]]) -> None:
        bounds: dict[int, list[float]] = defaultdict(list)
        classes: dict[tuple[str, int, bool], tuple[int, int, float | None]] = {}
        steps = [spec.steps for spec in self.specs]
        add_span, add_since, add_until = self.span.append, self.since.append, self.until.append
        add_bucket, add_sub, add_due = self.bucket.append, self.sub.append, self.due.append
        for since, task, until, span, is_side in raw:
            index = span.step
            step = steps[task][index] if 0 <= task < len(steps) and 0 <= index < len(steps[task]) else None
            key = (span.state, id(step), is_side)
            cls = classes.get(key)
            if cls is None:
                cls = classes[key] = self._classify(span.state, step, is_side)
            add_span(span)
            add_since(since)
            add_until(until)
            add_bucket(cls[0])
            add_sub(cls[1])
            add_due(NOT_TIMED if cls[2] is None else since + cls[2])
            b = bounds[task]
            b.append(since)
            b.append(until)
        for task, b in bounds.items():
            self.bounds[task] = sorted(set(b))
            self.life[task] = (b[0], max(b))

    def _classify(self, state: str, step: Step | None, is_side: bool) -> tuple[int, int, float | None]:
        """(bucket, what a wait waits on, a timer's duration) of a span in `state` of `step`."""
        timed = step is not None and step.kind in ("sleep", "block") and state == State.IO_WAIT
        duration = step.duration_s if timed and step is not None else None
        if is_side:
            return SIDE, NO_SUB, duration
        if state != State.IO_WAIT:
            return _bucket(state), NO_SUB, None
        if step is None:
            return WAITING, OTHER, None
        if step.offload is not None and self.model == "asyncio":
            return WAITING, OFFLOAD, None
        if timed:
            return WAITING, TIMER, duration
        return WAITING, SOCKET if step.kind == "net" else OTHER, None

    def step(self, task: int, index: int) -> Step | None:
        """The plan's step, when the plan is known and has it."""
        if 0 <= task < len(self.specs) and 0 <= index < len(self.specs[task].steps):
            return self.specs[task].steps[index]
        return None

    def stabbers(self) -> list[_Stabber]:
        """One interval index per bucket."""
        ids: list[list[int]] = [[] for _ in range(SIDE + 1)]
        for i, b in enumerate(self.bucket):
            ids[b].append(i)
        return [_Stabber(own, [self.since[i] for i in own], [self.until[i] for i in own]) for own in ids]


def _bucket(state: str) -> int:
    if state in (State.RUNNING, State.BLOCKING):
        return RUNNING
    if state == State.READY_WAIT:
        return READY
    if state == State.QUEUED:
        return QUEUED
    return WAITING


def first_after(points: list[float], t: float) -> float | None:
    i = bisect_right(points, t)
    return points[i] if i < len(points) else None


def last_before(points: list[float], t: float) -> float | None:
    i = bisect_left(points, t)
    return points[i - 1] if i > 0 else None
