"""A fast timeline bar item: spans kept in numpy arrays, culled and merged per frame, one drawRects per state.

`SpanStore` holds the data (rows, state indices, start, end, id) in a few time-sorted blocks.
Appends land in a pending list and are sorted into a new block lazily; small blocks merge like a
log-structured tree, so appending stays amortised O(log n) per span. For a view it returns the rects
to draw: spans at least a pixel wide as they are, narrower ones rasterised onto the pixel columns of
their row and merged into runs, so a million spans become at most rows x width rectangles.
`SpanItem` draws a store (plus "open" spans that grow until `now`) with one drawRects call per colour.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyqtgraph as pg
from pyqtgraph.Qt import internals
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QImage, QPainter

from conclab.model.trace import QUEUE_LANE, STATES
from conclab.ui.palette import state_brush, state_color

N_STATES = len(STATES) + 1  # the last index takes states the palette does not know
ROW_PAD = 0.12  # gap between lanes, in row units
_MERGE_FACTOR = 2
LOOP_LABEL = "event loop"
_SUB = 8  # image rows per lane for sub-pixel spans; 1 of 8 clear on each side ~ ROW_PAD


@dataclass
class _Block:
    """One time-sorted chunk of spans; `reach` is the running max of t1, for culling long spans."""

    t0: np.ndarray
    t1: np.ndarray
    dur: np.ndarray
    row: np.ndarray
    state: np.ndarray
    ids: np.ndarray
    reach: np.ndarray

    @classmethod
    def build(cls, t0: np.ndarray, t1: np.ndarray, row: np.ndarray, state: np.ndarray,
              ids: np.ndarray) -> _Block:
        order = np.argsort(t0, kind="stable")
        t0, t1 = t0[order], t1[order]
        return cls(t0, t1, t1 - t0, row[order], state[order], ids[order], np.maximum.accumulate(t1))

    def __len__(self) -> int:
        return int(self.t0.size)

    def window(self, x0: float, x1: float) -> slice:
        """The index range that can hold spans overlapping [x0, x1] (long spans included)."""
        lo = int(np.searchsorted(self.reach, x0, side="left"))
        hi = int(np.searchsorted(self.t0, x1, side="right"))
        return slice(lo, max(lo, hi))


def _merge(a: _Block, b: _Block) -> _Block:
    return _Block.build(np.concatenate([a.t0, b.t0]), np.concatenate([a.t1, b.t1]),
                        np.concatenate([a.row, b.row]), np.concatenate([a.state, b.state]),
                        np.concatenate([a.ids, b.ids]))


@dataclass
class Frame:
    """One view's drawing: per state an (n, 4) x, y, w, h rect array, and a raster of sub-pixel spans.

    `raster[row, col]` is 0 for nothing or 1 + the state index of the span lit in pixel column `col`,
    which starts at time `x0 + col * px`.
    """

    rects: list[np.ndarray]
    raster: np.ndarray
    x0: float
    px: float


def _rect_rows(t0: np.ndarray, t1: np.ndarray, rows: np.ndarray) -> np.ndarray:
    return np.column_stack([t0, rows + ROW_PAD, t1 - t0, np.full(t0.size, 1 - 2 * ROW_PAD)])


def _wide_rects(parts: list[tuple[np.ndarray, ...]]) -> list[np.ndarray]:
    if not parts:
        return [np.empty((0, 4)) for _ in range(N_STATES)]
    t0, t1, row, state = (np.concatenate(c) for c in zip(*parts, strict=True))
    return [_rect_rows(t0[state == s], t1[state == s], row[state == s]) for s in range(N_STATES)]


def _merged_open(rows: np.ndarray, states: np.ndarray, t0: np.ndarray, now: float,
                 px: float) -> tuple[np.ndarray, ...]:
    """Open spans as rects (rows, states, t0, t1), one per row and state for those already begun.

    Every span begun by `now` covers `now`, so those sharing a row and a colour form one interval:
    ten thousand waits on the folded row are one rect, not ten thousand overlapping ones.
    """
    t1 = np.maximum(t0 + px, now)
    begun = t0 <= now
    if np.count_nonzero(begun) < 2:
        return rows, states, t0, t1
    key = rows[begun].astype(np.int64) * N_STATES + np.minimum(states[begun], N_STATES - 1)
    groups, inverse = np.unique(key, return_inverse=True)
    lo = np.full(groups.size, np.inf)
    hi = np.full(groups.size, -np.inf)
    np.minimum.at(lo, inverse, t0[begun])
    np.maximum.at(hi, inverse, t1[begun])
    later = ~begun
    return (np.concatenate([(groups // N_STATES).astype(np.int32), rows[later]]),
            np.concatenate([(groups % N_STATES).astype(np.int8), states[later]]),
            np.concatenate([lo, t0[later]]), np.concatenate([hi, t1[later]]))


class SpanStore:
    """Spans as numpy arrays in time-sorted blocks, with cheap appends, culling and hit-testing."""

    def __init__(self) -> None:
        self._blocks: list[_Block] = []
        self._pending: list[tuple[np.ndarray, ...]] = []
        self.max_row = -1
        self.t_min = 0.0
        self.t_max = 0.0
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def clear(self) -> None:
        self.__init__()  # type: ignore[misc]

    def append(self, rows: Any, states: Any, t0: Any, t1: Any, ids: Any) -> None:
        """Queue spans for the next flush; arrays of equal length (row, state index, start, end, id)."""
        arrays = (np.asarray(t0, dtype=np.float64), np.asarray(t1, dtype=np.float64),
                  np.asarray(rows, dtype=np.int32), np.asarray(states, dtype=np.int8),
                  np.asarray(ids, dtype=np.int64))
        n = arrays[0].size
        if n == 0:
            return
        if any(a.size != n for a in arrays):
            raise ValueError("span arrays differ in length")
        start = arrays[0]
        end = np.maximum(arrays[1], start)  # a reversed span is drawn as empty, never negative
        arrays = (start, end, *arrays[2:])
        lo, hi = float(start.min()), float(end.max())
        self.t_min = lo if self._count == 0 else min(self.t_min, lo)
        self.t_max = hi if self._count == 0 else max(self.t_max, hi)
        self.max_row = max(self.max_row, int(arrays[2].max()))
        self._count += n
        self._pending.append(arrays)

    def flush(self) -> None:
        """Sort pending spans into a block, merging blocks whose sizes have become comparable."""
        if not self._pending:
            return
        cols = [np.concatenate(c) for c in zip(*self._pending, strict=True)]
        self._pending.clear()
        self._blocks.append(_Block.build(cols[0], cols[1], cols[2], cols[3], cols[4]))
        while len(self._blocks) > 1 and len(self._blocks[-2]) <= _MERGE_FACTOR * len(self._blocks[-1]):
            last = self._blocks.pop()
            self._blocks[-1] = _merge(self._blocks[-1], last)

    @property
    def block_count(self) -> int:
        return len(self._blocks)

    def frame(self, x0: float, x1: float, px: float, n_rows: int) -> Frame:
        """What to draw for a view of [x0, x1] at `px` seconds per pixel.

        Spans at least a pixel wide become rects; narrower ones are rasterised into one pixel column
        each (a later span wins a shared pixel, which it would also do when painted on top).
        """
        self.flush()
        n_rows = max(n_rows, self.max_row + 1, 1)
        if px <= 0 or x1 <= x0:
            return Frame([np.empty((0, 4)) for _ in range(N_STATES)], np.zeros((n_rows, 0), np.uint8), x0, px)
        inv = 1.0 / px
        cols = int((x1 - x0) * inv) + 2
        raster = np.zeros(n_rows * cols, dtype=np.uint8)
        wide_parts: list[tuple[np.ndarray, ...]] = []
        for block in self._blocks:
            sl = block.window(x0, x1)
            if sl.start == sl.stop:
                continue
            t0, t1, dur = block.t0[sl], block.t1[sl], block.dur[sl]
            seen = t1 >= x0
            narrow = seen & (dur < px)
            c0 = ((t0[narrow] - x0) * inv).astype(np.intp)
            np.clip(c0, 0, cols - 1, out=c0)
            raster[block.row[sl][narrow] * cols + c0] = block.state[sl][narrow] + 1
            wide = seen & ~narrow
            if wide.any():
                wide_parts.append((t0[wide], t1[wide], block.row[sl][wide], block.state[sl][wide]))
        return Frame(_wide_rects(wide_parts), raster.reshape(n_rows, cols), x0, px)

    def hit(self, x: float, row: int, tol: float = 0.0) -> int:
        """The id of the span in `row` nearest to time `x` (within `tol` seconds), or -1.

        Among spans that all contain `x` (the queue lane overlaps), the shortest wins.
        """
        self.flush()
        best: tuple[float, float, int] | None = None
        for block in self._blocks:
            sl = block.window(x - tol, x + tol)
            if sl.start == sl.stop:
                continue
            t0, t1 = block.t0[sl], block.t1[sl]
            cand = np.nonzero((block.row[sl] == row) & (t1 >= x - tol))[0]
            if cand.size == 0:
                continue
            dist = np.maximum(np.maximum(t0[cand] - x, x - t1[cand]), 0.0)
            key = np.lexsort((t1[cand] - t0[cand], dist))[0]
            found = (float(dist[key]), float(t1[cand][key] - t0[cand][key]),
                     int(block.ids[sl][cand[key]]))
            if best is None or found[:2] < best[:2]:
                best = found
        return -1 if best is None else best[2]


class SpanItem(pg.GraphicsObject):  # type: ignore[misc]
    """Draws a SpanStore (row r occupies y in [r, r+1]) plus open spans that end at `now`."""

    def __init__(self, n_rows: int = 0) -> None:
        super().__init__()
        self.store = SpanStore()
        self._n_rows = n_rows
        self._open = (np.empty(0, np.int32), np.empty(0, np.int8), np.empty(0))
        self._now = 0.0
        self._arrays = [internals.PrimitiveArray(QRectF, 4) for _ in range(N_STATES)]
        self._brushes = [state_brush(s) for s in (*STATES, "?")]
        self._bounds = QRectF()
        self._lut = np.array([0, *(0xFF000000 | state_color(s).rgb() for s in (*STATES, "?"))], np.uint32)
        self.paint_count = 0

    # -- data ---------------------------------------------------------------------------------------
    def set_rows(self, n_rows: int) -> None:
        self._n_rows = n_rows
        self._refresh_bounds()

    def append(self, rows: Any, states: Any, t0: Any, t1: Any, ids: Any) -> None:
        """Add closed spans; the item repaints on the next `refresh()` (callers throttle)."""
        self.store.append(rows, states, t0, t1, ids)

    def set_open(self, rows: Any, states: Any, t0: Any) -> None:
        """Replace the in-progress spans: each is drawn from its start to `now`."""
        self._open = (np.asarray(rows, np.int32), np.asarray(states, np.int8), np.asarray(t0, np.float64))

    def set_now(self, now: float) -> None:
        self._now = now

    def clear(self) -> None:
        self.store.clear()
        self.set_open([], [], [])
        self.refresh()

    def refresh(self) -> None:
        """Apply appended data: update the bounds and schedule a repaint."""
        self.store.flush()
        self._refresh_bounds()
        self.update()

    def hit_open(self, x: float, row: int, tol: float = 0.0) -> int:
        """The index of the open span under (x, row), or -1."""
        rows, _, t0 = self._open
        found = np.nonzero((rows == row) & (t0 <= x + tol) & (x - tol <= max(self._now, 0.0)))[0]
        return int(found[-1]) if found.size else -1

    def _refresh_bounds(self) -> None:
        rows = max(self._n_rows, self.store.max_row + 1, int(self._open[0].max(initial=-1)) + 1)
        t_max = max(self.store.t_max, self._now if self._open[0].size else self.store.t_max)
        bounds = QRectF(min(self.store.t_min, 0.0), 0.0, max(t_max, 1e-9), float(rows))
        if bounds != self._bounds:
            self.prepareGeometryChange()
            self._bounds = bounds

    # -- drawing ------------------------------------------------------------------------------------
    def boundingRect(self) -> QRectF:
        return QRectF(self._bounds)

    def frame_for(self, x0: float, x1: float, px: float) -> Frame:
        """What is drawn for a view of [x0, x1] at `px` seconds per pixel, open spans included."""
        frame = self.store.frame(x0, x1, px, self._n_rows)
        rows, states, t0, t1 = _merged_open(*self._open, self._now, px)
        for s in np.unique(states):
            m = states == s
            idx = min(int(s), N_STATES - 1)
            frame.rects[idx] = np.concatenate([frame.rects[idx], _rect_rows(t0[m], t1[m], rows[m])])
        return frame

    def paint(self, painter: QPainter, *args: Any) -> None:
        self.paint_count += 1
        scale = painter.transform().m11()
        view = self.viewRect()
        if scale <= 0 or view is None:
            return
        frame = self.frame_for(view.left(), view.right(), 1.0 / scale)
        self._paint_raster(painter, frame)
        painter.setPen(Qt.PenStyle.NoPen)
        for s, arr in enumerate(frame.rects):
            if arr.shape[0] == 0:
                continue
            prim = self._arrays[s]
            prim.resize(arr.shape[0])
            prim.ndarray()[:] = arr
            painter.setBrush(self._brushes[s])
            painter.drawRects(*prim.drawargs())

    def _paint_raster(self, painter: QPainter, frame: Frame) -> None:
        n_rows, cols = frame.raster.shape
        if cols == 0 or not frame.raster.any():
            return
        # Each lane becomes _SUB image rows, the outer ones left clear as the gap between lanes.
        pixels = np.zeros((n_rows, _SUB, cols), dtype=np.uint32)
        pixels[:, 1:-1, :] = self._lut[frame.raster][:, None, :]
        image = QImage(pixels.data, cols, n_rows * _SUB, cols * 4, QImage.Format.Format_ARGB32_Premultiplied)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        painter.drawImage(QRectF(frame.x0, 0.0, cols * frame.px, float(n_rows)), image)


def _natural_key(name: str) -> tuple[Any, ...]:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name))


def _lane_group(name: str) -> int:
    if name == QUEUE_LANE:
        return 0
    return 2 if name.startswith("offload") else 1


class LaneMap:
    """Which row each lane name occupies: derived lanes first, then up to `max_rows` worker lanes.

    Lanes past the cap share one "+N more" row, so ten thousand asyncio tasks cost one row, not
    ten thousand items. Rows never move once given, so live appends stay cheap.
    """

    def __init__(self, lanes: list[str], *, loop_lane: bool, max_rows: int = 64) -> None:
        self.max_rows = max(2, max_rows)
        self.labels: list[str] = [LOOP_LABEL] if loop_lane else []
        self.loop_row = 0 if loop_lane else -1
        self._rows: dict[str, int] = {}
        self.fold_row = -1
        self.folded = 0
        for lane in sorted(dict.fromkeys(lanes), key=lambda n: (_lane_group(n), _natural_key(n))):
            self.row_of(lane)

    def row_of(self, lane: str) -> int:
        """The row of a lane, giving it one (or the fold row) the first time it is seen."""
        row = self._rows.get(lane)
        if row is not None:
            return row
        if len(self._rows) - self.folded < self.max_rows:
            row = len(self.labels)
            self.labels.append(lane)
        else:
            if self.fold_row < 0:
                self.fold_row = len(self.labels)
                self.labels.append("")
            row = self.fold_row
            self.folded += 1
            self.labels[row] = f"+{self.folded} more lanes"
        self._rows[lane] = row
        return row

    @property
    def lane_names(self) -> list[str]:
        """Lanes that have a row of their own (folded lanes excluded)."""
        return [n for n, r in self._rows.items() if r != self.fold_row]

    def __len__(self) -> int:
        return len(self.labels)
