"""The rows of one run's timeline picture and the rectangles its spans become.

Rows are ordered as in the window: the event loop (asyncio), the queue, then each task's or worker's
lane in natural order ("thread 2" before "thread 10"), then offload workers; lanes past `max_rows`
share one "+N more lanes" row. Spans at least a pixel wide are drawn as they are (touching spans of one
state in one row joined); narrower ones are rasterised onto the pixel columns of their row, a later span
winning a shared column, as the window draws them. A run of any size thus becomes at most a few
rectangles per pixel column and row.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from conclab.model.run import ModelRun
from conclab.model.trace import STATES, LaneKind, State

LOOP_LABEL = "event loop"
MAX_ROWS = 64
_BUSY = (State.RUNNING, State.BLOCKING)
_JOIN_PX = 0.25  # spans of one state closer than this in one row are drawn as one rectangle


_DIGITS = re.compile(r"(\d+)")


def natural_key(name: str) -> tuple[Any, ...]:
    """Sort key that puts "thread 2" before "thread 10"."""
    parts = _DIGITS.split(name)
    # split() puts the digit runs at the odd places; comparing (text, number) pairs keeps types apart.
    return tuple((parts[i], int(parts[i + 1]) if i + 1 < len(parts) else -1) for i in range(0, len(parts), 2))


@dataclass
class Lanes:
    """Row labels top to bottom, the row of every lane, and the derived rows (-1 where there is none)."""

    labels: list[str] = field(default_factory=list)
    row_of: dict[str, int] = field(default_factory=dict)
    loop_row: int = -1
    queue_row: int = -1
    fold_row: int = -1
    folded: int = 0

    def add(self, lane: str, max_rows: int) -> None:
        if lane in self.row_of:
            return
        own = len(self.row_of) - self.folded
        if own < max_rows:
            self.row_of[lane] = len(self.labels)
            self.labels.append(lane)
            return
        if self.fold_row < 0:
            self.fold_row = len(self.labels)
            self.labels.append("")
        self.folded += 1
        self.row_of[lane] = self.fold_row
        self.labels[self.fold_row] = f"+{self.folded} more lanes"

    def __len__(self) -> int:
        return len(self.labels)


def _group(run: ModelRun, lane: str) -> int:
    kind = run.lane_kind(lane)
    return 0 if kind is LaneKind.QUEUE else 2 if kind is LaneKind.OFFLOAD else 1


def lanes_for(run: ModelRun, max_rows: int = MAX_ROWS) -> Lanes:
    """The rows of `run`'s picture."""
    lanes = Lanes()
    if run.model == "asyncio":
        lanes.loop_row = 0
        lanes.labels.append(LOOP_LABEL)
    names = list(dict.fromkeys([*run.lanes, *(s.worker for s in run.spans)]))
    for lane in sorted(names, key=lambda n: (_group(run, n), natural_key(n))):
        if _group(run, lane) == 0:
            lanes.queue_row = len(lanes.labels)
            lanes.row_of[lane] = lanes.queue_row
            lanes.labels.append(lane)
        else:
            lanes.add(lane, max_rows)
    return lanes


@dataclass(frozen=True)
class Scale:
    """Maps seconds to x: the plot area starts at `left` and is `width` pixels wide for `t_end` seconds."""

    left: float
    width: float
    t_end: float

    def x(self, t: float) -> float:
        return self.left + self.width * t / self.t_end

    def xs(self, t: np.ndarray) -> np.ndarray:
        return self.left + self.width * t / self.t_end


Box = tuple[float, float, float, float]


def _joined(rows: np.ndarray, states: np.ndarray, x0: np.ndarray, x1: np.ndarray, span_w: float) -> list[
        tuple[int, int, float, float]]:
    """(row, state, x0, x1) of the union of the intervals per row and state."""
    if x0.size == 0:
        return []
    order = np.lexsort((x0, states, rows))
    rows, states, x0, x1 = rows[order], states[order], x0[order], x1[order]
    group = rows.astype(np.int64) * (len(STATES) + 1) + states
    offset = (np.unique(group, return_inverse=True)[1] * (span_w + 10.0)).astype(np.float64)
    a, b = x0 + offset, x1 + offset
    reach = np.maximum.accumulate(b)
    starts = np.ones(a.size, bool)
    starts[1:] = a[1:] > reach[:-1] + _JOIN_PX
    first = np.flatnonzero(starts)
    last = np.append(first[1:], a.size) - 1
    return [(int(rows[i]), int(states[i]), float(x0[i]), float(reach[j] - offset[i])) for i, j in zip(first, last,
                                                                                                       strict=True)]


def span_boxes(run: ModelRun, lanes: Lanes, scale: Scale, top: float, row_px: float,
               pad: float) -> dict[int, list[Box]]:
    """Rectangles per state index (positions in `STATES`) for every span of `run` but the queue's."""
    rows_l: list[int] = []
    states_l: list[int] = []
    t0_l: list[float] = []
    t1_l: list[float] = []
    for span in run.spans:
        row = lanes.row_of.get(span.worker, -1)
        if row < 0 or row == lanes.queue_row:
            continue
        state = STATES.index(span.state) if span.state in STATES else len(STATES)
        targets = [row]
        if lanes.loop_row >= 0 and span.state in _BUSY and run.lane_kind(span.worker) is LaneKind.TASK:
            targets.append(lanes.loop_row)
        for r in targets:
            rows_l.append(r)
            states_l.append(state)
            t0_l.append(span.t0)
            t1_l.append(max(span.t1, span.t0))
    out: dict[int, list[Box]] = {}
    if not rows_l:
        return out
    rows, states = np.asarray(rows_l, np.int64), np.asarray(states_l, np.int64)
    x0, x1 = scale.xs(np.asarray(t0_l)) - scale.left, scale.xs(np.asarray(t1_l)) - scale.left
    height = row_px * (1 - 2 * pad)
    wide = (x1 - x0) >= 1.0
    for row, state, a, b in _joined(rows[wide], states[wide], x0[wide], x1[wide], scale.width):
        out.setdefault(state, []).append((scale.left + a, top + (row + pad) * row_px, b - a, height))
    for row, state, col, n in _raster_runs(rows[~wide], states[~wide], x0[~wide], int(scale.width) + 2):
        out.setdefault(state, []).append((scale.left + col, top + (row + pad) * row_px, float(n), height))
    return out


def _raster_runs(rows: np.ndarray, states: np.ndarray, x0: np.ndarray, cols: int) -> list[tuple[int, int, int, int]]:
    """Narrow spans on pixel columns: (row, state, first column, column count) of each run of one state."""
    if rows.size == 0:
        return []
    order = np.argsort(x0, kind="stable")
    used = np.unique(rows)
    index = {int(r): i for i, r in enumerate(used)}
    raster = np.zeros((used.size, cols), np.int16)
    col = np.clip(np.floor(x0[order]).astype(np.int64), 0, cols - 1)
    raster[np.searchsorted(used, rows[order]), col] = states[order] + 1
    out: list[tuple[int, int, int, int]] = []
    for row, i in index.items():
        line = raster[i]
        change = np.flatnonzero(np.diff(np.concatenate([[0], line, [0]])))
        for a, b in itertools.pairwise(change):
            if line[a]:
                out.append((row, int(line[a]) - 1, int(a), int(b - a)))
    return out


def queue_depth(run: ModelRun, lanes: Lanes) -> tuple[np.ndarray, np.ndarray]:
    """Times and the number of tasks queued from each time on (a step function), for the queue row."""
    spans = [s for s in run.spans if lanes.queue_row >= 0 and lanes.row_of.get(s.worker) == lanes.queue_row]
    if not spans:
        return np.zeros(0), np.zeros(0)
    starts = np.array([s.t0 for s in spans])
    ends = np.array([max(s.t1, s.t0) for s in spans])
    times = np.concatenate([starts, ends])
    steps = np.concatenate([np.ones(starts.size), -np.ones(ends.size)])
    order = np.lexsort((steps, times))  # at equal times leave before joining: no false peaks
    return times[order], np.cumsum(steps[order])


def run_end(run: ModelRun) -> float:
    """The last moment anything of `run` was recorded (a span's end or a lag sample)."""
    ends = [s.t1 for s in run.spans] + [t for t, _late in run.lag]
    return max(ends, default=0.0)
