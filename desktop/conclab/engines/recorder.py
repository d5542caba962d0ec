"""The recorder: per-lane span buffers written without locks, merged and made relative when read.

A lane buffer has a single writer at any moment (its worker thread, or the event loop for asyncio
task lanes), so appends need no lock; `list.append` is atomic in CPython, which also makes a concurrent
`drain` from the GUI thread safe. Timestamps are raw `perf_counter` values; they become seconds from the
run's origin only when read.

The live view reads every ~33 ms while a run may have ten thousand lanes, so the readers find what
changed with C-level passes over all lanes (`map(len, ...)`, `map(operator.is_not, ...)`) instead of
Python loops, and never add work to the writers' hot path.

A raw span is `(task, step, state, t0, t1, cause)`: the cause says what a `ready_wait` was waiting for
(see `trace.Cause`), as measured by the step body that wrote it. Every lane carries its `LaneKind`.
"""

from __future__ import annotations

import operator
import threading
from itertools import compress
from time import perf_counter
from typing import NamedTuple

from conclab.model.trace import Cause, LaneKind, Span, State, lane_kind_of

RawSpan = tuple[int, int, str, float, float, str]
OpenRaw = tuple[int, int, str, float]
_get_open = operator.attrgetter("open")


class OpenChange(NamedTuple):
    """One buffer's span in progress as it is now; `key` tells buffers apart (names may repeat)."""

    key: int
    span: Span | None


class Lane:
    """One lane's buffer: closed spans plus the span in progress (`open`), for live drawing."""

    __slots__ = ("detail", "kind", "name", "open", "spans")

    def __init__(self, name: str, kind: LaneKind = LaneKind.WORKER) -> None:
        self.name = name
        self.kind = kind
        self.detail = True
        # Readers keep a reference to this list: it is only ever appended to or edited in place.
        self.spans: list[RawSpan] = []
        self.open: OpenRaw | None = None

    def add(self, task: int, step: int, state: str, t0: float, t1: float, cause: str = Cause.NONE) -> None:
        self.spans.append((task, step, state, t0, t1, cause))


class TaskLane(Lane):
    """The no-trace mode's buffer: one `running` span per task, from its first to its last moment."""

    __slots__ = ()

    def __init__(self, name: str, kind: LaneKind = LaneKind.WORKER) -> None:
        super().__init__(name, kind)
        self.detail = False

    def add(self, task: int, step: int, state: str, t0: float, t1: float, cause: str = Cause.NONE) -> None:
        if state == State.QUEUED:
            return
        spans = self.spans
        if spans and spans[-1][0] == task:
            spans[-1] = (task, -1, State.RUNNING, spans[-1][3], t1, Cause.NONE)
        else:
            spans.append((task, -1, State.RUNNING, t0, t1, Cause.NONE))


class Recorder:
    """Owns the lanes of one run. `detail=False` keeps only task-level spans (the no-trace mode)."""

    def __init__(self, detail: bool = True) -> None:
        self.detail = detail
        self.origin = perf_counter()
        self.started = False
        self._lanes: list[Lane] = []
        self._buffers: list[list[RawSpan]] = []
        self._by_name: dict[str, Lane] = {}
        self._cursors: list[int] = []
        self._seen_open: list[OpenRaw | None] = []
        self._lock = threading.Lock()
        # Heartbeat samples (t, late_s) of this run, appended on the loop while it runs.
        self.lag: list[tuple[float, float]] = []
        self.done: list[int] = []

    def start(self) -> None:
        """Set the run's time origin: every span is reported relative to this moment. Start-up (pools,
        calibration) is over: `started` says so to anyone watching from another thread."""
        self.origin = perf_counter()
        self.started = True

    def _make(self, name: str, kind: LaneKind | None) -> Lane:
        # Callers that do not say the kind get the one its name implies (the names this app makes).
        k = lane_kind_of(name) if kind is None else kind
        return Lane(name, k) if self.detail else TaskLane(name, k)

    def new_lane(self, name: str, kind: LaneKind | None = None) -> Lane:
        """A fresh buffer (several buffers may share a display name, e.g. per-worker queue buffers)."""
        lane = self._make(name, kind)
        with self._lock:
            self._register(lane)
        return lane

    def _register(self, lane: Lane) -> None:
        self._lanes.append(lane)
        self._buffers.append(lane.spans)
        self._cursors.append(0)

    def lane(self, name: str, kind: LaneKind | None = None) -> Lane:
        """The buffer registered under `name`, created on first use (single-writer lanes).

        `kind` says what the lane stands for; left out, it is the kind the name implies.
        """
        lane = self._by_name.get(name)
        if lane is None:
            with self._lock:
                lane = self._by_name.get(name)
                if lane is None:
                    lane = self._make(name, kind)
                    self._register(lane)
                    self._by_name[name] = lane
        return lane

    def lane_kinds(self) -> dict[str, LaneKind]:
        """Every lane's name and kind, in the order the lanes were made (buffers sharing a name once)."""
        with self._lock:
            lanes = self._lanes[:]
        out: dict[str, LaneKind] = {}
        for lane in lanes:
            out.setdefault(lane.name, lane.kind)
        return out

    def lanes_since(self, start: int) -> tuple[list[tuple[str, LaneKind]], int]:
        """The (name, kind) of the buffers made since the first `start` ones, and how many there are now:
        a reader that asks every frame pays for the new lanes only, not for all ten thousand."""
        with self._lock:
            fresh = self._lanes[start:]
            count = len(self._lanes)
        return [(lane.name, lane.kind) for lane in fresh], count

    def _rel(self, lane: Lane, raw: RawSpan) -> Span:
        o = self.origin
        return Span(raw[0], raw[1], lane.name, raw[2], raw[3] - o, raw[4] - o, raw[5])

    def drain(self) -> list[Span]:
        """Spans closed since the previous drain (one reader only: the GUI's redraw timer)."""
        out: list[Span] = []
        with self._lock:
            lanes = self._lanes[:]
            buffers = self._buffers[:]
        cursors = self._cursors
        lengths = list(map(len, buffers))
        for i in compress(range(len(lengths)), map(operator.ne, lengths, cursors)):
            start, end = cursors[i], lengths[i]
            lane = lanes[i]
            out.extend(self._rel(lane, r) for r in buffers[i][start:end])
            cursors[i] = end
        return out

    def open_spans(self, now: float | None = None) -> list[Span]:
        """Spans in progress, drawn up to `now` (seconds from origin; default: this instant)."""
        t = (perf_counter() if now is None else now + self.origin) - self.origin
        out: list[Span] = []
        with self._lock:
            lanes = list(self._lanes)
        for lane in lanes:
            op = lane.open
            if op is not None:
                out.append(Span(op[0], op[1], lane.name, op[2], op[3] - self.origin, t))
        return out

    def open_changes(self, now: float | None = None) -> list[OpenChange]:
        """The spans in progress that changed since the previous call (one reader only), keyed by buffer.

        The first call reports every span in progress; later ones only buffers whose span started,
        changed or ended (`span` None). Each span is drawn up to `now` (default: this instant).
        """
        o = self.origin
        t = (perf_counter() - o) if now is None else now
        with self._lock:
            lanes = self._lanes[:]
        opens = list(map(_get_open, lanes))
        seen = self._seen_open
        seen.extend([None] * (len(opens) - len(seen)))
        out: list[OpenChange] = []
        # A tuple stays referenced by `seen` until replaced, so an identity test cannot be fooled.
        for i in compress(range(len(opens)), map(operator.is_not, opens, seen)):
            op = opens[i]
            seen[i] = op
            span = None if op is None else Span(op[0], op[1], lanes[i].name, op[2], op[3] - o, max(t, op[3] - o))
            out.append(OpenChange(i, span))
        return out

    def spans(self) -> list[Span]:
        """Every closed span of the run, relative to the origin, sorted by start."""
        with self._lock:
            lanes = list(self._lanes)
        out = [self._rel(lane, r) for lane in lanes for r in list(lane.spans)]
        out.sort(key=lambda s: (s.t0, s.t1))
        return out

    def elapsed(self) -> float:
        """Seconds since the run's origin."""
        return perf_counter() - self.origin
