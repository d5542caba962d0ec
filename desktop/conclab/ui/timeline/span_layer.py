"""One section's bars as drawing data: closed spans in a `SpanStore`, spans in progress in an `OpenSpanTable`.

A live section changes every ~33 ms, so spans in progress live in parallel arrays with one slot per
key (an engine buffer), changed in place; a key that ends frees its slot for the next one. `SpanLayer`
puts both together with "now" and answers what to draw for a view and what lies under the mouse. No
Qt here.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np

from conclab.model.trace import Span
from conclab.ui.timeline.span_store import N_STATES, Frame, SpanStore, merged_open, rect_rows, state_index

OpenKey = Hashable


class OpenSpanTable:
    """Spans in progress, one slot per key, as parallel arrays (row, state index, start) updated in place."""

    def __init__(self) -> None:
        self._slots: dict[OpenKey, int] = {}
        self._free: list[int] = []
        self.spans: list[Span | None] = []
        self._rows = np.zeros(0, np.int32)
        self._states = np.zeros(0, np.int8)
        self._t0 = np.zeros(0)
        self._cache: tuple[np.ndarray, ...] | None = None

    def __len__(self) -> int:
        return len(self._slots)

    def apply(self, keys: Sequence[OpenKey], spans: Sequence[Span | None], rows: Sequence[int]) -> bool:
        """Set each key's span and its row, given as parallel lists (span None: that key has nothing in
        progress any more); whether anything changed. Parallel lists, not tuples: a frame at a run's
        start carries ten thousand changes, and tuples that many would wake the garbage collector."""
        at: dict[int, int] = {}  # slot -> its place in the lists below (a key may change twice in a batch)
        slot_list: list[int] = []
        row_list: list[int] = []
        state_list: list[int] = []
        t0_list: list[float] = []
        slots, free, table = self._slots, self._free, self.spans
        for key, span, row in zip(keys, spans, rows, strict=True):
            slot = slots.get(key)
            if span is None:
                if slot is None:
                    continue
                del slots[key]
                free.append(slot)
                table[slot] = None
                row, state, t0 = -1, 0, 0.0
            else:
                if slot is None:
                    slot = slots[key] = free.pop() if free else len(table)
                    if slot == len(table):
                        table.append(None)
                table[slot] = span
                state, t0 = state_index(span.state), span.t0
            place = at.get(slot)
            if place is None:
                at[slot] = len(slot_list)
                slot_list.append(slot)
                row_list.append(row)
                state_list.append(state)
                t0_list.append(t0)
            else:
                row_list[place], state_list[place], t0_list[place] = row, state, t0
        if not slot_list:
            return False
        self._grow(len(table))
        index = np.asarray(slot_list, np.intp)
        self._rows[index] = row_list
        self._states[index] = state_list
        self._t0[index] = t0_list
        self._cache = None
        return True

    def _grow(self, n: int) -> None:
        if n <= self._rows.size:
            return
        size = max(n, 2 * self._rows.size, 64)
        for name, fill in (("_rows", -1), ("_states", 0), ("_t0", 0.0)):
            old = getattr(self, name)
            new = np.full(size, fill, old.dtype)
            new[: old.size] = old
            setattr(self, name, new)

    def remap_rows(self, new_row: np.ndarray) -> None:
        """Move every span in progress from row r to row `new_row[r]`."""
        used = self._rows >= 0
        self._rows[used] = new_row[self._rows[used]]
        self._cache = None

    def arrays(self) -> tuple[np.ndarray, ...]:
        """(rows, state indices, starts, slots) of the spans in progress, in slot order."""
        if self._cache is None:
            slots = np.flatnonzero(self._rows >= 0)
            self._cache = (self._rows[slots], self._states[slots], self._t0[slots], slots)
        return self._cache


class SpanLayer:
    """What one section's bar item draws: closed spans, spans in progress reaching `now`, and the row count."""

    def __init__(self, n_rows: int = 0) -> None:
        self.store = SpanStore()
        self.opened = OpenSpanTable()
        self.now = 0.0
        self.n_rows = n_rows

    def frame(self, x0: float, x1: float, px: float) -> Frame:
        """What is drawn for a view of [x0, x1] at `px` seconds per pixel, spans in progress included."""
        frame = self.store.frame(x0, x1, px, self.n_rows)
        rows, states, t0, _ = self.opened.arrays()
        rows, states, t0, t1 = merged_open(rows, states, t0, self.now, px)
        for s in np.unique(states):
            m = states == s
            idx = min(int(s), N_STATES - 1)
            frame.rects[idx] = np.concatenate([frame.rects[idx], rect_rows(t0[m], t1[m], rows[m])])
        return frame

    def hit_open(self, x: float, row: int, tol: float = 0.0) -> Span | None:
        """The span in progress under (x, row) (the latest begun), or None."""
        rows, _, t0, slots = self.opened.arrays()
        found = np.nonzero((rows == row) & (t0 <= x + tol) & (x - tol <= max(self.now, 0.0)))[0]
        if not found.size:
            return None
        latest = found[np.argmax(t0[found])]
        return self.opened.spans[int(slots[latest])]

    def bounds(self) -> tuple[float, float, int]:
        """(first start, last end, rows) of everything drawn: the bar item's bounding box."""
        rows, _, _, _ = self.opened.arrays()
        n_rows = max(self.n_rows, self.store.max_row + 1, int(rows.max(initial=-1)) + 1)
        t_max = max(self.store.t_max, self.now if rows.size else self.store.t_max)
        return min(self.store.t_min, 0.0), t_max, n_rows

    def remap_rows(self, new_row: np.ndarray) -> None:
        self.store.remap_rows(new_row)
        self.opened.remap_rows(new_row)
