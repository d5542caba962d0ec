"""Spans as numpy arrays for drawing: time-sorted blocks with cheap appends, culling and hit-testing.

`SpanStore` holds the data (rows, state indices, start, end, id) in a few time-sorted blocks.
Appends land in a pending list and are sorted into a new block lazily; small blocks merge like a
log-structured tree, so appending stays amortised O(log n) per span. For a view it returns the rects
to draw: spans at least a pixel wide as they are, narrower ones rasterised onto the pixel columns of
their row and merged into runs, so a million spans become at most rows x width rectangles. Spans in
progress are merged per row and state (`merged_open`), as all of them reach "now". No Qt here: the
timeline's bar item only paints what these return.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from conclab.model.trace import STATES

N_STATES = len(STATES) + 1  # the last index takes states the palette does not know
ROW_PAD = 0.12  # gap between lanes, in row units
_MERGE_FACTOR = 2
_STATE_INDEX: dict[str, int] = {state: i for i, state in enumerate(STATES)}


def state_index(state: str) -> int:
    """The position of a state in `STATES`; states this version does not know map past the end."""
    return _STATE_INDEX.get(state, len(STATES))


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


def rect_rows(t0: np.ndarray, t1: np.ndarray, rows: np.ndarray) -> np.ndarray:
    return np.column_stack([t0, rows + ROW_PAD, t1 - t0, np.full(t0.size, 1 - 2 * ROW_PAD)])


def _wide_rects(parts: list[tuple[np.ndarray, ...]]) -> list[np.ndarray]:
    if not parts:
        return [np.empty((0, 4)) for _ in range(N_STATES)]
    t0, t1, row, state = (np.concatenate(c) for c in zip(*parts, strict=True))
    return [rect_rows(t0[state == s], t1[state == s], row[state == s]) for s in range(N_STATES)]


def merged_open(rows: np.ndarray, states: np.ndarray, t0: np.ndarray, now: float,
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

    def remap_rows(self, new_row: np.ndarray) -> None:
        """Move every span from row r to row `new_row[r]` (lanes were inserted above it)."""
        self.flush()
        for block in self._blocks:
            block.row = new_row[block.row].astype(np.int32)
        if self._count:
            self.max_row = max(int(b.row.max(initial=-1)) for b in self._blocks)

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
