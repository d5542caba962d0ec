"""The queue lane: how many tasks waited for a free worker at each instant, from their `queued` spans.

Queued spans overlap (every task submitted at once waits in the queue together), so the lane is drawn
as a depth curve, not as bars; hovering it still finds the queued span under the mouse. No Qt here.
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np

from conclab.model.trace import Span
from conclab.ui.timeline.span_store import SpanStore


class QueueDepth:
    """Queued spans, closed and in progress, and the depth curve they make."""

    def __init__(self) -> None:
        self.spans: list[Span] = []
        self.store = SpanStore()  # closed queued spans, all in row 0, for hit-testing
        self.opened: dict[Hashable, Span] = {}
        self._t0: list[float] = []
        self._t1: list[float] = []
        self.times = np.empty(0)
        self.depth = np.empty(0)
        self.peak = 0
        self.t_max = 0.0

    def __bool__(self) -> bool:
        return bool(self.spans or self.opened)

    def add(self, span: Span) -> None:
        self.store.append([0], [0], [span.t0], [span.t1], [len(self.spans)])
        self.spans.append(span)
        self._t0.append(span.t0)
        self._t1.append(max(span.t1, span.t0))
        self.t_max = max(self.t_max, span.t1)

    def set_open(self, key: Hashable, span: Span | None) -> bool:
        """Set or end (None) the queued span in progress under `key`; whether anything changed."""
        if span is None:
            return self.opened.pop(key, None) is not None
        self.opened[key] = span
        return True

    def update(self, now: float) -> None:
        """Count the depth again, the spans in progress reaching `now`."""
        opened = list(self.opened.values())
        starts = self._t0 + [s.t0 for s in opened]
        ends = self._t1 + [max(now, s.t0) for s in opened]
        if not starts:
            self.times, self.depth, self.peak = np.empty(0), np.empty(0), 0
            return
        times = np.array(starts + ends)
        steps = np.concatenate([np.ones(len(starts)), -np.ones(len(ends))])
        order = np.lexsort((steps, times))  # at equal times leave before joining: no false peaks
        self.times = times[order]
        self.depth = np.cumsum(steps[order])
        self.peak = int(self.depth.max())

    def hit(self, x: float, tol: float, now: float) -> tuple[Span, bool] | None:
        """The queued span under time `x` and whether it is in progress: a closed one (the shortest
        containing `x`), else the latest begun of those in progress."""
        found = self.store.hit(x, 0, tol)
        if found >= 0:
            return self.spans[found], False
        waiting = [s for s in self.opened.values() if s.t0 - tol <= x <= now + tol]
        return (max(waiting, key=lambda s: s.t0), True) if waiting else None
