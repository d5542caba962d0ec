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
from PySide6.QtGui import QPainter

from conclab.model.trace import QUEUE_LANE, STATES
from conclab.ui.palette import state_brush

N_STATES = len(STATES) + 1  # the last index takes states the palette does not know
ROW_PAD = 0.12  # gap between lanes, in row units
_MERGE_FACTOR = 2
LOOP_LABEL = "event loop"


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

    def rects(self, x0: float, x1: float, px: float, n_rows: int) -> list[np.ndarray]:
        """Per state index, an (n, 4) array of x, y, w, h rects covering the spans seen in [x0, x1].

        `px` is the width of one pixel in seconds; spans narrower than it are merged per pixel column.
        """
        self.flush()
        n_rows = max(n_rows, self.max_row + 1, 1)
        if px <= 0 or x1 <= x0:
            return [np.empty((0, 4)) for _ in range(N_STATES)]
        inv = 1.0 / px
        cols = int((x1 - x0) * inv) + 2
        occ = np.zeros(N_STATES * n_rows * cols, dtype=np.bool_)
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
            group = block.state[sl][narrow].astype(np.intp) * n_rows + block.row[sl][narrow]
            occ[group * cols + c0] = True
            wide = seen & ~narrow
            if wide.any():
                wide_parts.append((t0[wide], t1[wide], block.row[sl][wide], block.state[sl][wide]))
        return self._assemble(occ, cols, wide_parts, x0, px, n_rows)

    @staticmethod
    def _assemble(occ: np.ndarray, cols: int, wide_parts: list[tuple[np.ndarray, ...]], x0: float,
                  px: float, n_rows: int) -> list[np.ndarray]:
        on = np.flatnonzero(occ)
        # A run of lit pixels breaks where the columns stop being consecutive or a new lane starts.
        brk = np.flatnonzero((np.diff(on) != 1) | (on[1:] % cols == 0))
        starts = on[np.concatenate(([0], brk + 1))] if on.size else on
        ends = on[np.concatenate((brk, [on.size - 1]))] + 1 if on.size else on
        group, c_start = np.divmod(starts, cols)
        c_end = ends - group * cols
        r_state, r_row = np.divmod(group, n_rows)
        if wide_parts:
            w_t0, w_t1, w_row, w_state = (np.concatenate(c) for c in zip(*wide_parts, strict=True))
        out: list[np.ndarray] = []
        for s in range(N_STATES):
            pick = r_state == s
            parts = [np.column_stack([x0 + c_start[pick] * px, r_row[pick] + ROW_PAD,
                                      (c_end[pick] - c_start[pick]) * px,
                                      np.full(int(pick.sum()), 1 - 2 * ROW_PAD)])]
            if wide_parts:
                wp = w_state == s
                parts.append(np.column_stack([w_t0[wp], w_row[wp] + ROW_PAD, w_t1[wp] - w_t0[wp],
                                              np.full(int(wp.sum()), 1 - 2 * ROW_PAD)]))
            out.append(np.concatenate(parts) if len(parts) > 1 else parts[0])
        return out

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

    def rects_for(self, x0: float, x1: float, px: float) -> list[np.ndarray]:
        """The rects drawn for a view of [x0, x1] at `px` seconds per pixel, open spans included."""
        rects = self.store.rects(x0, x1, px, self._n_rows)
        rows, states, t0 = self._open
        if rows.size:
            t1 = np.maximum(t0 + px, self._now)
            for s in np.unique(states):
                m = states == s
                extra = np.column_stack([t0[m], rows[m] + ROW_PAD, t1[m] - t0[m],
                                         np.full(int(m.sum()), 1 - 2 * ROW_PAD)])
                idx = min(int(s), N_STATES - 1)
                rects[idx] = np.concatenate([rects[idx], extra])
        return rects

    def paint(self, painter: QPainter, *args: Any) -> None:
        self.paint_count += 1
        scale = painter.transform().m11()
        view = self.viewRect()
        if scale <= 0 or view is None:
            return
        rects = self.rects_for(view.left(), view.right(), 1.0 / scale)
        painter.setPen(Qt.PenStyle.NoPen)
        for s, arr in enumerate(rects):
            if arr.shape[0] == 0:
                continue
            prim = self._arrays[s]
            prim.resize(arr.shape[0])
            prim.ndarray()[:] = arr
            painter.setBrush(self._brushes[s])
            painter.drawRects(*prim.drawargs())


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
