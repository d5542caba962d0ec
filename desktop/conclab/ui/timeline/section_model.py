"""One run's section of the timeline model: lanes and their rows, spans closed and in progress, queue, lag.

A section is fed by one frame type, `LiveFrame`: the live stream's frames, a replay's frames made from
a saved run, and a finished run (one frame holding all of it) go through the same `apply`. Lanes get
their rows from their kinds; under asyncio the busy spans of the task lanes are copied onto a derived
"event loop" row, as whoever runs or blocks holds the loop. Everything a view shows is computed here
when data arrives, never while drawing. No Qt here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence

from conclab.model.live import LiveFrame
from conclab.model.run import ModelRun
from conclab.model.trace import CAUSES, STATES, LaneKind, Span, State, default_cause, state_label
from conclab.ui.timeline.lag_series import LagSeries
from conclab.ui.timeline.lane_rows import LaneRows
from conclab.ui.timeline.queue_depth import QueueDepth
from conclab.ui.timeline.span_layer import SpanLayer
from conclab.ui.timeline.span_store import state_index

_BUSY = (State.RUNNING, State.BLOCKING)  # what a task does while it holds the event loop
_LOOP_KEY = "loop"
LegendKey = tuple[str, str]  # (state, cause of a ready wait or "")
_LEGEND_ORDER: dict[LegendKey, int] = {(str(s), str(c)): i for i, (s, c) in
                                       enumerate((s, c) for s in STATES for c in CAUSES)}


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


class SectionModel:
    """One run on the timeline: its title, rows, spans, queue depth and lag samples, and a version count."""

    def __init__(self, model: str, title: str, names: Mapping[int, str] | None = None, *, live: bool = True,
                 max_rows: int = 64, kind_of: Callable[[str], LaneKind] | None = None) -> None:
        self.model = model
        self.title = title
        self.names = dict(names or {})
        self.live = live
        self.status = "running…"  # what the title says while the section is live
        self.run: ModelRun | None = None  # the finished run this section shows (None while live)
        self.lanes = LaneRows(loop_lane=model == "asyncio", max_rows=max_rows)
        self.layer = SpanLayer(len(self.lanes))
        self.spans: list[Span] = []  # closed spans, by the id the layer's store gives them
        self.queue = QueueDepth()
        self.lag = LagSeries()
        self.now: float = 0.0
        self.version = 0
        self._kind_of = kind_of or (lambda _name: LaneKind.WORKER)  # lanes no frame announced
        self._present: set[LegendKey] = set()  # (state, cause) pairs as measured
        self._queue_lane: str | None = None
        self._on_loop: set[Hashable] = set()  # keys of spans in progress copied onto the event loop row

    # -- feeding ------------------------------------------------------------------------------------
    def apply(self, frame: LiveFrame) -> None:
        """Take in one frame: new lanes, closed spans, changes of spans in progress, lag samples, now."""
        for name, kind in frame.lanes.items():
            self._add_lane(name, LaneKind(kind))
        if math.isfinite(frame.now):
            self.now = frame.now
            self.layer.now = frame.now
        queue_changed = self._add_spans(frame.spans) if frame.spans else False
        if frame.opened:
            queue_changed |= self._apply_open(frame.opened)
        self.lag.append(frame.lag)
        if queue_changed or self.queue.opened:
            self._update_queue()
        self.layer.n_rows = len(self.lanes)
        self.version += 1

    def finish(self) -> None:
        """The run is over: nothing is in progress any more."""
        self.live = False
        self.version += 1

    def _add_lane(self, name: str, kind: LaneKind) -> None:
        moved = self.lanes.add(name, kind)
        if moved is not None:
            self.layer.remap_rows(moved)
        if kind == LaneKind.QUEUE and self._queue_lane is None:
            self._queue_lane = name

    def _add_unknown_lanes(self, names: Iterable[str]) -> None:
        """Give lanes no frame announced their rows before any span's row is read (rows may move)."""
        kinds = self.lanes.kinds
        for name in dict.fromkeys(n for n in names if n not in kinds):
            self._add_lane(name, self._kind_of(name))

    def _add_spans(self, batch: Iterable[Span]) -> bool:
        spans = [s if type(s) is Span else Span(*s) for s in batch]
        self._add_unknown_lanes(s.worker for s in spans)
        kinds = self.lanes.kinds
        rows: list[int] = []
        states: list[int] = []
        t0: list[float] = []
        t1: list[float] = []
        ids: list[int] = []
        loop = self.lanes.loop_row
        queued = False
        present = self._present
        for span in spans:
            present.add((span.state, span.cause))
            kind = kinds[span.worker]
            if kind == LaneKind.QUEUE:
                self.queue.add(span)
                queued = True
                continue
            sid = len(self.spans)
            self.spans.append(span)
            s = state_index(span.state)
            rows.append(self.lanes.row_of(span.worker))
            states.append(s)
            t0.append(span.t0)
            t1.append(span.t1)
            ids.append(sid)
            if loop >= 0 and kind == LaneKind.TASK and span.state in _BUSY:
                rows.append(loop)
                states.append(s)
                t0.append(span.t0)
                t1.append(span.t1)
                ids.append(sid)
        self.layer.store.append(rows, states, t0, t1, ids)
        return queued

    def _apply_open(self, changes: Sequence[tuple[Hashable, Span | None]]) -> bool:
        self._add_unknown_lanes(s[2] for _, s in changes if s is not None)  # s[2]: the lane, Span or tuple
        kinds, row_of, present = self.lanes.kinds, self.lanes.row_of, self._present
        loop, on_loop, queue = self.lanes.loop_row, self._on_loop, self.queue
        queue_kind, task_kind = LaneKind.QUEUE, LaneKind.TASK
        keys: list[Hashable] = []
        spans: list[Span | None] = []
        rows: list[int] = []
        queue_changed = False
        # The hot loop of a live frame (ten thousand changes at a run's start): no tuple per change.
        for key, span in changes:
            if span is not None and type(span) is not Span:
                span = Span(*span)
            kind = None if span is None else kinds[span.worker]
            if kind is queue_kind:
                queue_changed |= queue.set_open(key, span)
                span = None
            elif queue.opened:
                queue_changed |= queue.set_open(key, None)
            keys.append(key)
            spans.append(span)
            busy = False
            if span is None:
                rows.append(-1)
            else:
                present.add((span.state, span.cause))
                rows.append(row_of(span.worker))
                busy = kind is task_kind and span.state in _BUSY
            # Whoever runs or blocks on a task lane holds the event loop: its row shows them too.
            if loop >= 0 and (busy or key in on_loop):
                keys.append((_LOOP_KEY, key))
                spans.append(span if busy else None)
                rows.append(loop)
                if busy:
                    on_loop.add(key)
                else:
                    on_loop.discard(key)
        self.layer.opened.apply(keys, spans, rows)
        return queue_changed

    def _update_queue(self) -> None:
        self.queue.update(self.now)
        if self._queue_lane is not None:
            self.lanes.set_caption(self._queue_lane, f"queue (max {self.queue.peak})")

    # -- reading ------------------------------------------------------------------------------------
    @property
    def queue_row(self) -> int:
        return -1 if self._queue_lane is None else self.lanes.row_of(self._queue_lane)

    def t_end(self) -> float:
        """The last instant this section shows: its last span's end, last lag sample, or now while live."""
        _, t_max, _ = self.layer.bounds()
        ends = [t_max, self.queue.t_max, self.lag.t_max]
        if self.live or self.queue.opened:
            ends.append(self.now)
        return max(ends)

    @property
    def legend_count(self) -> int:
        """How many entries the legend has (it only ever grows, so a changed count is a changed legend)."""
        return len(self._present)  # raw (state, cause) pairs: at worst a redraw of an unchanged legend

    def legend(self) -> list[tuple[str, str]]:
        """(state, words) of every state present, a ready wait once per measured cause, in a fixed order."""
        default = default_cause(self.model)
        found = {(s, (c or default) if s == State.READY_WAIT else "") for s, c in self._present}
        keys = sorted(found, key=lambda k: (_LEGEND_ORDER.get(k, len(_LEGEND_ORDER)), k))
        return [(state, state_label(state, self.model, cause)) for state, cause in keys]

    def span_at(self, x: float, row: int, tol: float) -> tuple[Span, bool] | None:
        """The span at time `x` in `row` (within `tol` seconds), and whether it is still in progress."""
        if row < 0:
            return None
        if row == self.queue_row:
            return self.queue.hit(x, tol, self.now)
        found = self.layer.store.hit(x, row, tol)
        if found >= 0:
            return self.spans[found], False
        opened = self.layer.hit_open(x, row, tol)
        return None if opened is None else (opened, True)

    def task_name(self, task: int) -> str:
        return self.names.get(task, f"task {task}")

    def describe(self, span: Span, in_progress: bool) -> str:
        """The hover text of a span: whose it is, what it was doing and why, when, and on which lane."""
        task = self.task_name(span.task)
        if span.step >= 0:
            part = f"step {span.step + 1}"
        else:
            part = "waiting to start" if span.state in (State.QUEUED, State.READY_WAIT) else "whole task"
        when = (f"started at {_ms(span.t0)}, still going" if in_progress
                else f"from {_ms(span.t0)} for {_ms(span.duration)}")
        lines = [f"{task} — {part}", state_label(span.state, self.model, span.cause), when]
        if span.worker != task:
            lines.append(f"lane: {span.worker}")
        return "\n".join(lines)

    def describe_lag(self, t: float, tol: float) -> str:
        """The hover text of the lag chart at time `t`: how late the main loop's heartbeat was there."""
        sample = self.lag.sample_near(t, tol)
        if sample is None:
            return ""
        at, late = sample
        text = f"main loop late by {late:.1f} ms at {_ms(at)}"
        if late > self.lag.threshold_ms:
            text += f"\nfrozen: the loop was stuck from {_ms(at - late / 1000)} to {_ms(at)}"
        return text
