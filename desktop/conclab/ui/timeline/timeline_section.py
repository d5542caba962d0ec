"""One section of the timeline on screen: a title with the legend, the lanes plot and the lag plot of one run.

A `SectionView` draws a `SectionModel` and never writes to it. `refresh()` reads what changed since
the last call (the model counts versions) and touches only that — ticks, ranges and text are set again
only when they differ, as re-setting them re-lays out and repaints them every frame.
"""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPalette, QPen
from PySide6.QtWidgets import QApplication

from conclab.ui.palette import FREEZE_HEX, LAG_HEX, NOW_HEX, STATE_HEX, legend_swatch_html
from conclab.ui.timeline.cursor_box import CursorBoxItem
from conclab.ui.timeline.lag_item import LagItem
from conclab.ui.timeline.section_model import SectionModel
from conclab.ui.timeline.span_item import SpanItem
from conclab.ui.timeline.span_store import ROW_PAD
from conclab.ui.timeline.timeline_layout import LAG_TICKS, PLOT_PAD_PX, TIME_AXIS_PX, nice_step


def ink() -> QColor:
    """The window's text colour: titles, labels and the cursor read on light and dark themes alike."""
    return QApplication.palette().color(QPalette.ColorRole.WindowText)


def cursor_pen() -> QPen:
    """The cursor's pen: the text colour, dashed, apart from the live "now" line's colour."""
    pen = QPen(ink(), 1.5, Qt.PenStyle.DashLine)
    pen.setCosmetic(True)
    return pen


class SectionView:
    """The graphics items of one section: title, lanes plot, lag plot; filled from a SectionModel."""

    def __init__(self, section: SectionModel) -> None:
        self.section = section
        self.item = SpanItem(section.layer)
        self.lag_item = LagItem(section.lag)
        self.title = pg.LabelItem(justify="left", color=ink())
        self.plot = pg.PlotItem(viewBox=CursorBoxItem())
        self.lag_plot = pg.PlotItem(viewBox=CursorBoxItem())
        self.queue_curve = pg.PlotDataItem()
        self.now_lines = [pg.InfiniteLine(angle=90, pen=pg.mkPen(NOW_HEX, width=2)) for _ in range(2)]
        self.cursor_lines = [pg.InfiniteLine(angle=90, pen=cursor_pen()) for _ in range(2)]
        self._shown: dict[str, object] = {}
        self._setup_plots()

    def _setup_plots(self) -> None:
        for plot in (self.plot, self.lag_plot):
            for side in ("left", "bottom"):
                plot.getAxis(side).setTextPen(ink())
            plot.setMouseEnabled(x=True, y=False)
            plot.hideButtons()
            plot.setMenuEnabled(False)
            plot.getViewBox().setLimits(xMin=0.0, minXRange=1e-6)
        self.plot.invertY(True)
        self.plot.hideAxis("bottom")
        self.plot.addItem(self.item)
        self.plot.addItem(self.queue_curve)
        self.lag_plot.addItem(self.lag_item)
        self.lag_plot.setLabel("left", "lag (ms)")
        self.lag_plot.setLabel("bottom", "time", units="s")
        lag_axis = self.lag_plot.getAxis("left")
        lag_axis.setToolTip("How late the main loop ran its 10 ms heartbeat")
        threshold = pg.InfiniteLine(pos=self.section.lag.threshold_ms, angle=0,
                                    pen=pg.mkPen(FREEZE_HEX, style=Qt.PenStyle.DashLine))
        self.lag_plot.addItem(threshold)
        for plot, now, cursor in zip((self.plot, self.lag_plot), self.now_lines, self.cursor_lines, strict=True):
            for line in (now, cursor):
                line.setVisible(False)
                plot.addItem(line)

    def rebind(self, section: SectionModel) -> None:
        """Draw `section` with these same items from now on: making a section's plots costs a tenth of a
        second on the window's loop, too much to pay while a run is measured, and reusing them is free."""
        self.section = section
        self.item.layer = section.layer
        self.lag_item.series = section.lag
        for key in ("live", "lanes", "queue", "lag_top", "legend", "label_width_of"):
            self._shown.pop(key, None)

    @property
    def boxes(self) -> tuple[CursorBoxItem, CursorBoxItem]:
        return self.plot.getViewBox(), self.lag_plot.getViewBox()

    def _changed(self, what: str, value: object) -> bool:
        """Whether `value` differs from what was last shown for `what` (and remember it)."""
        if self._shown.get(what, self) == value:
            return False
        self._shown[what] = value
        return True

    # -- geometry -----------------------------------------------------------------------------------
    def label_width(self) -> float:
        """Pixels the longest lane label needs."""
        lanes = self.section.lanes
        if self._shown.get("label_width_of") != lanes.version:
            metrics = QFontMetricsF(self.plot.getAxis("left").font())
            self._shown["label_width"] = max((metrics.horizontalAdvance(t) for t in lanes.labels), default=0.0)
            self._shown["label_width_of"] = lanes.version
        return float(self._shown["label_width"])  # type: ignore[arg-type]

    def set_widths(self, axis_px: int, title_width: float) -> None:
        """Make the left axes `axis_px` wide (the same in every section, so time lines up) and wrap the title."""
        if self._changed("axis", axis_px):
            for plot in (self.plot, self.lag_plot):
                plot.getAxis("left").setWidth(axis_px)
        if self._changed("width", max(round(title_width), 100)):
            self._wrap_title()

    def set_heights(self, row_px: float, lag_px: float) -> None:
        """Give each lane `row_px` and the lag chart `lag_px` (plus its time axis)."""
        rows = max(len(self.section.lanes), 1)
        if self._changed("heights", (rows, round(row_px), round(lag_px))):
            self.plot.setFixedHeight(rows * round(row_px) + PLOT_PAD_PX)
            self.lag_plot.setFixedHeight(round(lag_px) + TIME_AXIS_PX)

    def _wrap_title(self) -> None:
        self.title.item.setTextWidth(float(self._shown.get("width", 100)))  # type: ignore[arg-type]
        self.title.updateMin()

    # -- drawing ------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Show what changed in the section since the last refresh."""
        section = self.section
        self.item.refresh()
        self.lag_item.refresh()
        live = section.live
        show_now = self._changed("live", live)
        for line in self.now_lines:
            if live:
                line.setValue(section.now)
            if show_now:
                line.setVisible(live)
        if self._changed("lanes", section.lanes.version):
            labels = section.lanes.labels
            self.plot.getAxis("left").setTicks([[(r + 0.5, label) for r, label in enumerate(labels)], []])
            self.plot.setYRange(0, max(len(labels), 1), padding=0)
        if self._changed("queue", id(section.queue.times)):
            self._draw_queue()
        lag_top = max(section.lag.max_ms * 1.15, 20.0)
        if self._changed("lag_top", lag_top):
            self.lag_plot.setYRange(0, lag_top, padding=0)
            step = nice_step(lag_top, LAG_TICKS)  # a short chart: a few numbers, not a pile
            self.lag_plot.getAxis("left").setTickSpacing(step, step)
        lag = section.lag
        if self._changed("legend", (section.title, section.live, section.status, section.legend_count,
                                    lag.max_ms > lag.threshold_ms, len(lag) > 0)):
            self.title.setText(self._title_html())
            self._wrap_title()

    def _draw_queue(self) -> None:
        queue, row = self.section.queue, self.section.queue_row
        if row < 0 or not queue.times.size:
            self.queue_curve.setData([], [])
            return
        base = row + 1 - ROW_PAD
        heights = (1 - 2 * ROW_PAD) * queue.depth / max(queue.peak, 1)
        self.queue_curve.setData(queue.times, base - heights, stepMode="right", fillLevel=base,
                                 brush=pg.mkBrush(STATE_HEX["queued"]), pen=pg.mkPen(STATE_HEX["queued"]))

    def _title_html(self) -> str:
        section = self.section
        parts = [legend_swatch_html(state, words) for state, words in section.legend()]
        if section.lag.max_ms > section.lag.threshold_ms:
            parts.append(f'<span style="color:{FREEZE_HEX}">&#9632;</span>&nbsp;frozen — loop late '
                         f"by more than {section.lag.threshold_ms:.0f} ms")
        if len(section.lag):
            parts.append(f'<span style="color:{LAG_HEX}">&#8212;</span>&nbsp;lag — how late the main loop ran')
        suffix = f" ({section.status})" if section.live else ""
        return f"<b>{html.escape(section.title)}</b>{html.escape(suffix)} &nbsp;&nbsp; " + " &nbsp; ".join(parts)

    def set_cursor(self, t: float | None) -> None:
        for line in self.cursor_lines:
            if t is not None:
                line.setValue(t)
            line.setVisible(t is not None)

    def set_x_limits(self, end: float) -> None:
        """Keep panning and zooming within [0, end] seconds."""
        if self._changed("x_limit", end):
            for box in self.boxes:
                box.setLimits(xMin=0.0, xMax=end)

    def row_at(self, y: float) -> int:
        """The lane row at a y in the lanes plot's data coordinates (-1 outside the rows)."""
        row = int(np.floor(y))
        return row if 0 <= row < len(self.section.lanes) else -1
