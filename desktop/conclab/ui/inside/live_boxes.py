"""The spans in progress of a live run, kept sorted into the Inside panel's boxes as they come and go.

Each frame changes a few hundred spans of a 10,000-task run at most, so the boxes are kept up to date
change by change: a box's count is a number, its first few tasks come off a heap (entries of spans
that have left are dropped as they surface), and a sleeper moves from its timer's box to the ready
box when its due time passes. A snapshot then costs what changed, not the size of the run.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Hashable
from typing import NamedTuple

from conclab.model.trace import MIN_READY_S, Span

OFFLOADED = "offloaded"


class Open(NamedTuple):
    """An open span, sorted into its box when it arrived: `box` until `due`, `late` after (a sleeper)."""

    span: Span
    box: str
    due: float
    late: str
    order: float  # its place in its box: a sleeper's due time, else its start


class LiveBoxes:
    """Open spans by buffer key and by box; `first(box, n)` in box order, `count(box)`, `tasks()`."""

    def __init__(self) -> None:
        self._items: dict[Hashable, Open] = {}
        self._at: dict[Hashable, tuple[str, int]] = {}  # the box a key is in now, and its entry's number
        self._counts: Counter[str] = Counter()
        self._heaps: dict[str, list[tuple[float, int, Hashable]]] = {}
        self._dues: list[tuple[float, int, Hashable]] = []
        self._tasks: Counter[int] = Counter()
        self._seq = 0

    def put(self, key: Hashable, item: Open) -> None:
        self.remove(key)
        self._items[key] = item
        self._place(key, item.box, item.order)
        if item.late != item.box:
            heapq.heappush(self._dues, (item.due, self._at[key][1], key))
        if item.box != OFFLOADED:
            self._tasks[item.span.task] += 1

    def remove(self, key: Hashable) -> None:
        item = self._items.pop(key, None)
        if item is None:
            return
        box, _ = self._at.pop(key)
        self._counts[box] -= 1
        if item.box != OFFLOADED:
            self._tasks[item.span.task] -= 1
            if not self._tasks[item.span.task]:
                del self._tasks[item.span.task]

    def _place(self, key: Hashable, box: str, order: float) -> None:
        self._seq += 1
        self._at[key] = (box, self._seq)
        self._counts[box] += 1
        heap = self._heaps.setdefault(box, [])
        heapq.heappush(heap, (order, self._seq, key))
        if len(heap) > 64 and len(heap) > 3 * self._counts[box]:
            self._heaps[box] = [e for e in heap if self._at.get(e[2]) == (box, e[1])]
            heapq.heapify(self._heaps[box])

    def advance(self, now: float) -> None:
        """Move every sleeper whose timer fell due by `now` to its ready box."""
        dues = self._dues
        while dues and now - dues[0][0] > MIN_READY_S:
            _, seq, key = heapq.heappop(dues)
            item = self._items.get(key)
            if item is None or self._at.get(key) != (item.box, seq):
                continue
            self._counts[item.box] -= 1
            self._place(key, item.late, item.order)

    def count(self, box: str) -> int:
        return self._counts[box]

    def counts(self) -> dict[str, int]:
        return {box: n for box, n in self._counts.items() if n}

    def tasks(self) -> int:
        """How many tasks have a span in progress (their own: work handed to an offload worker is not)."""
        return len(self._tasks)

    def first(self, box: str, n: int) -> list[tuple[Open, bool]]:
        """The first `n` of a box in its order, each with whether its timer has fallen due."""
        heap = self._heaps.get(box, [])
        out: list[tuple[Open, bool]] = []
        keep: list[tuple[float, int, Hashable]] = []
        while heap and len(out) < n:
            entry = heapq.heappop(heap)
            key = entry[2]
            if self._at.get(key) != (box, entry[1]):
                continue  # the span has left this box since
            keep.append(entry)
            item = self._items[key]
            out.append((item, box != item.box))
        for entry in keep:
            heapq.heappush(heap, entry)
        return out
