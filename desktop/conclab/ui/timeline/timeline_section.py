"""One model's section of the timeline: its lanes plot, lag plot and title, and the spans they index.

A live section is fed every ~33 ms, so it keeps what it needs in forms that are cheap to update:
closed spans go into a `SpanStore`, spans in progress into an `OpenSpanTable` (one slot per engine
buffer, changed in place), and the axis ticks, heights and title are only touched when they change.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Hashable, Iterable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette, QPen
from PySide6.QtWidgets import QApplication

from conclab.model.trace import QUEUE_LANE, STATES, Span, state_label
from conclab.ui.palette import FREEZE_HEX, NOW_HEX, STATE_HEX, legend_swatch_html, state_index
from conclab.ui.timeline.cursor_box import CursorBoxItem
from conclab.ui.timeline.lag_item import LagItem
from conclab.ui.timeline.span_item import ROW_PAD, LaneMap, SpanItem, SpanStore

ROW_PX = 18


def cursor_pen() -> QPen:
    """The cursor's pen: the window's text colour, dashed, so it reads on light and dark themes alike."""
    pen = QPen(QApplication.palette().color(QPalette.ColorRole.WindowText), 1.5, Qt.PenStyle.DashLine)
    pen.setCosmetic(True)
    return pen
LAG_PX = 70
AXIS_PX = 150
_BUSY_STATES = ("running", "blocking")


class OpenSpanTable:
    """Spans in progress, one slot per key (an engine buffer), as parallel arrays updated in place."""

    def __init__(self) -> None:
        self._slots: dict[Hashable, int] = {}
        self.spans: list[Span | None] = []
        self._rows = np.zeros(0, np.int32)
        self._states = np.zeros(0, np.int8)
        self._t0 = np.zeros(0)
        self._active = np.zeros(0, bool)
        self._cache: tuple[np.ndarray, ...] | None = None

    def __len__(self) -> int:
        return int(np.count_nonzero(self._active))

    def apply(self, changes: Iterable[tuple[Hashable, Span | None]], row_of: Callable[[Span], int]) -> None:
        """Set each key's span (None: that key has nothing in progress any more)."""
        slots: list[int] = []
        rows: list[int] = []
        states: list[int] = []
        t0: list[float] = []
        for key, span in changes:
            slot = self._slots.get(key)
            if slot is None:
                if span is None:
                    continue
                slot = self._slots[key] = len(self.spans)
                self.spans.append(None)
            self.spans[slot] = span
            slots.append(slot)
            rows.append(-1 if span is None else row_of(span))
            states.append(0 if span is None else state_index(span.state))
            t0.append(0.0 if span is None else span.t0)
        if not slots:
            return
        self._grow(len(self.spans))
        at = np.asarray(slots, np.intp)
        row_arr = np.asarray(rows, np.int32)
        self._rows[at] = row_arr
        self._states[at] = states
        self._t0[at] = t0
        self._active[at] = row_arr >= 0
        self._cache = None

    def _grow(self, n: int) -> None:
        if n <= self._rows.size:
            return
        size = max(n, 2 * self._rows.size, 64)
        for name in ("_rows", "_states", "_t0", "_active"):
            old = getattr(self, name)
            new = np.zeros(size, old.dtype)
            new[: old.size] = old
            setattr(self, name, new)

    def arrays(self) -> tuple[np.ndarray, ...]:
        """(rows, state indices, starts, slots) of the spans in progress, in slot order."""
        if self._cache is None:
            slots = np.flatnonzero(self._active)
            self._cache = (self._rows[slots], self._states[slots], self._t0[slots], slots)
        return self._cache

    def active(self) -> list[Span]:
        return [s for s in self.spans if s is not None]

    def clear(self) -> None:
        self.__init__()  # type: ignore[misc]


class TimelineSection:
    """One model's rows on the shared axis: its plots, items and the spans they index."""

    def __init__(self, model: str, lanes: list[str], max_rows: int, names: dict[int, str],
                 heading: str | None = None) -> None:
        self.model = model
        self.heading = heading or model
        self.live = False
        self.names = names
        self.lanes = LaneMap(lanes, loop_lane=model == "asyncio", max_rows=max_rows)
        self.queue_row = self.lanes.row_of(QUEUE_LANE) if QUEUE_LANE in lanes else -1
        self.spans: list[Span] = []
        self.opened = OpenSpanTable()
        self._open_queued: dict[Hashable, Span] = {}
        self._whole_open: dict[int, Span] | None = None  # the last set_open's spans by id
        self.queue_spans: list[Span] = []
        self._queue_t0: list[float] = []
        self._queue_t1: list[float] = []
        self.queue_store = SpanStore()
        self.states: set[str] = set()
        self.item = SpanItem()
        self.lag_item = LagItem()
        self.title = pg.LabelItem(justify="left")
        self.plot = pg.PlotItem(viewBox=CursorBoxItem())
        self.lag_plot = pg.PlotItem(viewBox=CursorBoxItem())
        self.queue_curve = pg.PlotDataItem()
        self.now_lines = [pg.InfiniteLine(angle=90, pen=pg.mkPen(NOW_HEX, width=2)) for _ in range(2)]
        self.cursor_lines = [pg.InfiniteLine(angle=90, pen=cursor_pen()) for _ in range(2)]
        self._shown: dict[str, object] = {}
        self._setup_plots()

    def _setup_plots(self) -> None:
        for plot in (self.plot, self.lag_plot):
            plot.setMouseEnabled(x=True, y=False)
            plot.hideButtons()
            plot.getAxis("left").setWidth(AXIS_PX)
            plot.setMenuEnabled(False)
        self.plot.invertY(True)
        self.plot.hideAxis("bottom")
        self.plot.addItem(self.item)
        self.plot.addItem(self.queue_curve)
        self.lag_plot.addItem(self.lag_item)
        self.lag_plot.setLabel("left", "loop lag (ms)")
        self.lag_plot.setLabel("bottom", "time", units="s")
        threshold = pg.InfiniteLine(pos=self.lag_item.threshold_ms, angle=0,
                                    pen=pg.mkPen(FREEZE_HEX, style=Qt.PenStyle.DashLine))
        self.lag_plot.addItem(threshold)
        for plot, now, cursor in zip((self.plot, self.lag_plot), self.now_lines, self.cursor_lines, strict=True):
            for line in (now, cursor):
                line.setVisible(False)
                plot.addItem(line)

    def set_cursor(self, t: float | None) -> None:
        for line in self.cursor_lines:
            if t is not None:
                line.setValue(t)
            line.setVisible(t is not None)

    # -- data ---------------------------------------------------------------------------------------
    def add_spans(self, spans: Iterable[Span]) -> None:
        rows: list[int] = []
        states: list[int] = []
        t0: list[float] = []
        t1: list[float] = []
        ids: list[int] = []
        loop = self.lanes.loop_row
        for span in spans:
            self.states.add(span.state)
            if span.worker == QUEUE_LANE:
                self._add_queued(span)
                continue
            sid = len(self.spans)
            self.spans.append(span)
            s = state_index(span.state)
            rows.append(self.lanes.row_of(span.worker))
            states.append(s)
            t0.append(span.t0)
            t1.append(span.t1)
            ids.append(sid)
            if loop >= 0 and span.state in _BUSY_STATES and span.worker.startswith("task"):
                rows.append(loop)
                states.append(s)
                t0.append(span.t0)
                t1.append(span.t1)
                ids.append(sid)
        self.item.append(rows, states, t0, t1, ids)

    def _add_queued(self, span: Span) -> None:
        if self.queue_row < 0:
            self.queue_row = self.lanes.row_of(QUEUE_LANE)
        self.queue_store.append([self.queue_row], [0], [span.t0], [span.t1], [len(self.queue_spans)])
        self.queue_spans.append(span)
        self._queue_t0.append(span.t0)
        self._queue_t1.append(max(span.t1, span.t0))

    def set_open(self, spans: list[Span]) -> None:
        """Replace every span in progress; spans passed again as the same objects cost next to nothing."""
        fresh = {id(s): s for s in spans}
        old = self._whole_open
        if old is None or not fresh.keys() & old.keys():
            self._clear_open()
            self._apply_open(fresh.items())
        else:
            gone: list[tuple[Hashable, Span | None]] = [(k, None) for k in old.keys() - fresh.keys()]
            self._apply_open(gone + [(k, s) for k, s in fresh.items() if k not in old])
        # Holding the spans keeps their ids from being reused while they serve as keys.
        self._whole_open = fresh

    def update_open(self, changes: Iterable[tuple[Hashable, Span | None]]) -> None:
        """Apply per-key changes to the spans in progress (None: the key's span ended)."""
        if self._whole_open is not None:
            self._clear_open()
        self._apply_open(changes)

    def _clear_open(self) -> None:
        self.opened.clear()
        self._open_queued.clear()
        self._whole_open = None

    def _apply_open(self, changes: Iterable[tuple[Hashable, Span | None]]) -> None:
        table: list[tuple[Hashable, Span | None]] = []
        for key, span in changes:
            self._open_queued.pop(key, None)
            if span is not None:
                self.states.add(span.state)
                if span.worker == QUEUE_LANE:
                    self._open_queued[key] = span
                    span = None
            table.append((key, span))
        self.opened.apply(table, self._row_of)
        if self._open_queued and self.queue_row < 0:
            self.queue_row = self.lanes.row_of(QUEUE_LANE)
        rows, states, t0, _ = self.opened.arrays()
        self.item.set_open(rows, states, t0)

    def _row_of(self, span: Span) -> int:
        return self.lanes.row_of(span.worker)

    def t_end(self) -> float:
        lag_t = self.lag_item.samples()[0]
        ends = [self.item.boundingRect().right(), float(lag_t.max(initial=0.0))]
        ends += [s.t1 for s in self.queue_spans[-1:]] + [self.queue_store.t_max]
        return max(ends)

    # -- drawing ------------------------------------------------------------------------------------
    def _changed(self, what: str, value: object) -> bool:
        """Whether `value` differs from what was last shown for `what` (and remember it)."""
        if self._shown.get(what, self) == value:
            return False
        self._shown[what] = value
        return True

    def wrap_title(self, width: float) -> None:
        """Wrap the title and legend to the view's width, so long legends never widen the scene."""
        if self._changed("width", max(width, 100.0)):
            self._apply_wrap()

    def _apply_wrap(self) -> None:
        self.title.item.setTextWidth(self._shown.get("width", 100.0))
        self.title.updateMin()

    def refresh(self, now: float | None) -> None:
        n_rows = len(self.lanes)
        self.item.set_rows(n_rows)
        if now is not None:
            self.item.set_now(now)
            for line in self.now_lines:
                line.setValue(now)
                line.setVisible(True)
        self.item.refresh()
        self.lag_item.refresh()
        self._refresh_queue(now)
        # Re-setting unchanged ticks, ranges or text would re-layout and repaint them every frame.
        if self._changed("labels", tuple(self.lanes.labels)):
            self.plot.getAxis("left").setTicks([[(r + 0.5, label) for r, label in enumerate(self.lanes.labels)], []])
        if self._changed("rows", n_rows):
            self.plot.setYRange(0, max(n_rows, 1), padding=0)
            self.plot.setFixedHeight(max(n_rows, 2) * ROW_PX + 8)
            self.lag_plot.setFixedHeight(LAG_PX + 30)
        lag_top = max(self.lag_item.max_ms * 1.15, 20.0)
        if self._changed("lag_top", lag_top):
            self.lag_plot.setYRange(0, lag_top, padding=0)
        title = self._title_html()
        if self._changed("title", title):
            self.title.setText(title)
            self._apply_wrap()

    def _refresh_queue(self, now: float | None) -> None:
        closed, opened = self.queue_spans, list(self._open_queued.values())
        if self.queue_row < 0 or not (closed or opened):
            if self._changed("queue", 0):
                self.queue_curve.setData([], [])
            return
        self._shown["queue"] = len(closed) + len(opened)
        until = now if now is not None else 0.0
        starts = self._queue_t0 + [s.t0 for s in opened]
        ends = self._queue_t1 + [max(until, s.t0) for s in opened]
        times = np.array(starts + ends)
        steps = np.concatenate([np.ones(len(starts)), -np.ones(len(ends))])
        order = np.lexsort((steps, times))  # at equal times leave before joining: no false peaks
        depth = np.cumsum(steps[order])
        peak = max(float(depth.max()), 1.0)
        base = self.queue_row + 1 - ROW_PAD
        self.queue_curve.setData(times[order], base - (1 - 2 * ROW_PAD) * depth / peak, stepMode="right",
                                 fillLevel=base, brush=pg.mkBrush(STATE_HEX["queued"]),
                                 pen=pg.mkPen(STATE_HEX["queued"]))
        self.lanes.labels[self.queue_row] = f"queue (max {int(peak)})"

    def _title_html(self) -> str:
        present = [s for s in STATES if s in self.states]
        parts = [legend_swatch_html(s, state_label(s, self.model)) for s in present]
        if self.lag_item.freezes().size:
            parts.append(f'<span style="color:{FREEZE_HEX}">&#9632;</span>&nbsp;frozen — loop late '
                         f"by more than {self.lag_item.threshold_ms:.0f} ms")
        suffix = " (running…)" if self.live else ""
        return f"<b>{html.escape(self.heading)}</b>{suffix} &nbsp;&nbsp; " + " &nbsp; ".join(parts)

    # -- lookup -------------------------------------------------------------------------------------
    def span_at(self, x: float, row: int, tol: float) -> tuple[Span, bool] | None:
        """The span at time `x` in `row`, and whether it is still in progress."""
        if row == self.queue_row:
            found = self.queue_store.hit(x, row, tol)
            return (self.queue_spans[found], False) if found >= 0 else None
        found = self.item.store.hit(x, row, tol)
        if found >= 0:
            return self.spans[found], False
        opened = self.item.hit_open(x, row, tol)
        if opened < 0:
            return None
        span = self.opened.spans[int(self.opened.arrays()[3][opened])]
        return (span, True) if span is not None else None

    def task_name(self, task: int) -> str:
        return self.names.get(task, f"task {task}")
