"""The timeline view: model runs stacked on one shared time axis, each with its lanes, legend and lag lane.

Each section shows one run: a title with a legend of the states present, one row per worker lane
(plus a derived "event loop" row for asyncio and a queue-depth row when tasks queued), and beneath it
the main loop's lateness. Data arrives all at once (`set_runs`) or live (`begin_live`, `append_*`,
`end_live`); live calls only mark the view dirty and a ~30 Hz timer repaints, so a flood of engine
events costs a few frames, not one repaint each.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QPointF, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QCursor, QKeySequence, QResizeEvent
from PySide6.QtWidgets import QScrollArea, QToolTip, QVBoxLayout, QWidget

from conclab.model.run import ModelRun
from conclab.model.trace import QUEUE_LANE, STATES, Span, state_label
from conclab.ui.lag_item import LagItem
from conclab.ui.palette import FREEZE_HEX, NOW_HEX, STATE_HEX, legend_swatch_html, state_index
from conclab.ui.span_item import ROW_PAD, LaneMap, SpanItem, SpanStore

ROW_PX = 18
LAG_PX = 70
AXIS_PX = 150
FRAME_MS = 33
HIT_TOLERANCE_PX = 3.0
_BUSY_STATES = ("running", "blocking")


class _Section:
    """One model's rows on the shared axis: its plots, items and the spans they index."""

    def __init__(self, model: str, lanes: list[str], max_rows: int, names: dict[int, str]) -> None:
        self.model = model
        self.live = False
        self.names = names
        self.lanes = LaneMap(lanes, loop_lane=model == "asyncio", max_rows=max_rows)
        self.queue_row = self.lanes.row_of(QUEUE_LANE) if QUEUE_LANE in lanes else -1
        self.spans: list[Span] = []
        self.open_spans: list[Span] = []
        self._open_queued: list[Span] = []
        self.queue_spans: list[Span] = []
        self.queue_store = SpanStore()
        self.states: set[str] = set()
        self.item = SpanItem()
        self.lag_item = LagItem()
        self.title = pg.LabelItem(justify="left")
        self.plot = pg.PlotItem()
        self.lag_plot = pg.PlotItem()
        self.queue_curve = pg.PlotDataItem()
        self.now_lines = [pg.InfiniteLine(angle=90, pen=pg.mkPen(NOW_HEX, width=2)) for _ in range(2)]
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
        for plot, line in zip((self.plot, self.lag_plot), self.now_lines, strict=True):
            line.setVisible(False)
            plot.addItem(line)

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

    def set_open(self, spans: list[Span]) -> None:
        self.open_spans = [s for s in spans if s.worker != QUEUE_LANE]
        self.states.update(s.state for s in spans)
        self.item.set_open([self.lanes.row_of(s.worker) for s in self.open_spans],
                           [state_index(s.state) for s in self.open_spans], [s.t0 for s in self.open_spans])
        self._open_queued = [s for s in spans if s.worker == QUEUE_LANE]
        if self._open_queued and self.queue_row < 0:
            self.queue_row = self.lanes.row_of(QUEUE_LANE)

    def t_end(self) -> float:
        lag_t = self.lag_item.samples()[0]
        ends = [self.item.boundingRect().right(), float(lag_t.max(initial=0.0))]
        ends += [s.t1 for s in self.queue_spans[-1:]] + [self.queue_store.t_max]
        return max(ends)

    # -- drawing ------------------------------------------------------------------------------------
    def wrap_title(self, width: float) -> None:
        """Wrap the title and legend to the view's width, so long legends never widen the scene."""
        self.title.item.setTextWidth(max(width, 100.0))
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
        ticks = [(r + 0.5, label) for r, label in enumerate(self.lanes.labels)]
        self.plot.getAxis("left").setTicks([ticks, []])
        self.plot.setYRange(0, max(n_rows, 1), padding=0)
        self.plot.setFixedHeight(max(n_rows, 2) * ROW_PX + 8)
        self.lag_plot.setYRange(0, max(self.lag_item.max_ms * 1.15, 20.0), padding=0)
        self.lag_plot.setFixedHeight(LAG_PX + 30)
        self.title.setText(self._title_html())

    def _refresh_queue(self, now: float | None) -> None:
        closed, opened = self.queue_spans, self._open_queued
        if self.queue_row < 0 or not (closed or opened):
            self.queue_curve.setData([], [])
            return
        until = now if now is not None else 0.0
        starts = [s.t0 for s in closed] + [s.t0 for s in opened]
        ends = [max(s.t1, s.t0) for s in closed] + [max(until, s.t0) for s in opened]
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
        return f"<b>{self.model}</b>{suffix} &nbsp;&nbsp; " + " &nbsp; ".join(parts)

    # -- lookup -------------------------------------------------------------------------------------
    def span_at(self, x: float, row: int, tol: float) -> Span | None:
        if row == self.queue_row:
            found = self.queue_store.hit(x, row, tol)
            return self.queue_spans[found] if found >= 0 else None
        found = self.item.store.hit(x, row, tol)
        if found >= 0:
            return self.spans[found]
        opened = self.item.hit_open(x, row, tol)
        return self.open_spans[opened] if opened >= 0 else None

    def task_name(self, task: int) -> str:
        return self.names.get(task, f"task {task}")


class TimelineView(QWidget):
    """Model runs stacked on one linked time axis; live runs follow `now` until the user zooms or pans."""

    def __init__(self, parent: QWidget | None = None, *, max_rows: int = 64) -> None:
        super().__init__(parent)
        self.max_rows = max_rows
        self.redraw_count = 0
        self._sections: list[_Section] = []
        self._live: _Section | None = None
        self._now: float | None = None
        self._following = True
        self._dirty = False
        self._graphics = pg.GraphicsLayoutWidget()
        self._graphics.setBackground(None)
        self._graphics.setAccessibleName("Timeline")
        self._graphics.setToolTip("What ran when: hover a bar for details, wheel to zoom, drag to pan")
        self._scroll = QScrollArea(self)
        self._scroll.setWidgetResizable(True)
        self._scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._scroll.setWidget(self._graphics)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._scroll)
        self.setAccessibleName("Timeline view")
        self.setAccessibleDescription("Spans of every task per worker lane, and the main loop's lag, "
                                      "for each model run on a shared time axis")
        self.fit_action = QAction("Fit timeline", self)
        self.fit_action.setShortcut(QKeySequence("Ctrl+0"))
        self.fit_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.fit_action.setToolTip("Show the whole run (Ctrl+0) and follow the live run again")
        self.addAction(self.fit_action)
        self._timer = QTimer(self)
        self._timer.setInterval(FRAME_MS)
        self._connect()

    def _connect(self) -> None:
        self.fit_action.triggered.connect(self.fit)
        self._timer.timeout.connect(self._on_frame_due)
        self._graphics.scene().sigMouseMoved.connect(self._on_mouse_moved)

    # -- whole runs ---------------------------------------------------------------------------------
    def set_runs(self, runs: list[ModelRun]) -> None:
        """Replace everything by these finished runs and fit the view."""
        self._clear_sections()
        for run in runs:
            self._add_section(self._section_for_run(run))
        self._redraw()
        self.fit()

    def clear(self) -> None:
        self._clear_sections()
        self._redraw()

    def _section_for_run(self, run: ModelRun) -> _Section:
        spans: list[Span] = [Span(*s) for s in run.spans]
        lanes = list(dict.fromkeys(s.worker for s in spans))
        section = _Section(run.model, lanes, self.max_rows, {t.id: t.name for t in run.tasks})
        section.add_spans(spans)
        section.lag_item.append(run.lag)
        return section

    def _add_section(self, section: _Section) -> None:
        row = len(self._sections) * 3
        self._graphics.addItem(section.title, row=row, col=0)
        self._graphics.addItem(section.plot, row=row + 1, col=0)
        self._graphics.addItem(section.lag_plot, row=row + 2, col=0)
        if self._sections:
            section.plot.setXLink(self._sections[0].plot)
        section.lag_plot.setXLink(section.plot)
        for plot in (section.plot, section.lag_plot):
            plot.getViewBox().sigRangeChangedManually.connect(self._on_user_range)
        self._sections.append(section)

    def _clear_sections(self) -> None:
        self._graphics.clear()
        self._sections.clear()
        self._live = None
        self._now = None
        self._following = True

    # -- live runs ----------------------------------------------------------------------------------
    def begin_live(self, model: str, lanes_hint: list[str] | None = None) -> None:
        """Add a section for a run in progress; the `append_*` and `set_*` calls then feed it."""
        if self._live is not None:
            self._live.live = False
        section = _Section(model, list(lanes_hint or []), self.max_rows, {})
        section.live = True
        self._add_section(section)
        self._live = section
        self._now = 0.0
        self._following = True
        self._mark_dirty()

    def append_spans(self, spans: Iterable[Span]) -> None:
        if self._live is not None:
            self._live.add_spans(Span(*s) for s in spans)
            self._mark_dirty()

    def set_open_spans(self, spans: Iterable[Span]) -> None:
        if self._live is not None:
            self._live.set_open([Span(*s) for s in spans])
            self._mark_dirty()

    def append_lag(self, samples: Iterable[tuple[float, float]]) -> None:
        if self._live is not None:
            self._live.lag_item.append(list(samples))
            self._mark_dirty()

    def set_now(self, t: float) -> None:
        """Move the "now" line; while following, the view shows the run from 0 to now."""
        if self._live is not None and math.isfinite(t):
            self._now = t
            self._mark_dirty()

    def end_live(self, run: ModelRun) -> None:
        """Replace the live section by the finished run."""
        if self._live is None:
            return
        keep = [s for s in self._sections if s is not self._live]
        following = self._following
        x_range = self._sections[0].plot.viewRange()[0] if self._sections else None
        self._clear_sections()
        for section in keep:
            self._add_section(section)
        self._add_section(self._section_for_run(run))
        self._redraw()
        if following or x_range is None:
            self.fit()
        else:
            self._sections[0].plot.setXRange(*x_range, padding=0)
            self._following = False

    @property
    def following(self) -> bool:
        """True while a live run keeps `now` in view (until the user zooms or pans)."""
        return self._following

    @property
    def graphics(self) -> pg.GraphicsLayoutWidget:
        """The graphics view all sections are drawn in (for exports and tests)."""
        return self._graphics

    @property
    def is_live(self) -> bool:
        return self._live is not None

    # -- view ---------------------------------------------------------------------------------------
    def fit(self) -> None:
        """Show every section from 0 to its end, and follow the live run again."""
        self._following = True
        if not self._sections:
            return
        end = max([s.t_end() for s in self._sections] + [self._now or 0.0])
        self._sections[0].plot.setXRange(0.0, max(end, 1e-3), padding=0.02)

    def section_count(self) -> int:
        return len(self._sections)

    def lane_labels(self, index: int) -> list[str]:
        """The row labels of section `index`, top to bottom."""
        return list(self._sections[index].lanes.labels)

    def plots(self, index: int) -> tuple[pg.PlotItem, pg.PlotItem]:
        """The lanes plot and the lag plot of section `index`."""
        section = self._sections[index]
        return section.plot, section.lag_plot

    def legend_text(self, index: int) -> str:
        return str(self._sections[index].title.text)

    def _mark_dirty(self) -> None:
        self._dirty = True
        if not self._timer.isActive():
            self._timer.start()

    def _on_frame_due(self) -> None:
        if not self._dirty:
            self._timer.stop()
            return
        self._redraw()

    def _redraw(self) -> None:
        self._dirty = False
        self.redraw_count += 1
        width = self.width() - 40
        for section in self._sections:
            section.refresh(self._now if section is self._live else None)
            section.wrap_title(width)
        total = sum(s.plot.maximumHeight() + s.lag_plot.maximumHeight() + 30 for s in self._sections)
        self._graphics.setMinimumHeight(int(min(total, 1_000_000)))
        if self._live is not None and self._following:
            self._sections[0].plot.setXRange(0.0, max((self._now or 0.0) * 1.05, 0.5), padding=0)

    def _on_user_range(self, *_: object) -> None:
        self._following = False

    # -- hover --------------------------------------------------------------------------------------
    def span_at(self, pos: QPoint | QPointF) -> Span | None:
        """The span under a point given in this widget's coordinates, or None."""
        point = pos.toPoint() if isinstance(pos, QPointF) else pos
        viewport = self._graphics.viewport()
        return self.span_at_scene(self._graphics.mapToScene(viewport.mapFrom(self, point)))

    def span_at_scene(self, scene_pos: QPointF) -> Span | None:
        """The span under a point in the graphics scene, or None."""
        found = self._locate(scene_pos)
        return found[1] if found else None

    def _locate(self, scene_pos: QPointF) -> tuple[_Section, Span | None] | None:
        for section in self._sections:
            vb = section.plot.getViewBox()
            if not vb.sceneBoundingRect().contains(scene_pos):
                continue
            data = vb.mapSceneToView(scene_pos)
            tol = HIT_TOLERANCE_PX * vb.viewPixelSize()[0]
            return section, section.span_at(data.x(), math.floor(data.y()), tol)
        return None

    def tooltip_at(self, pos: QPoint | QPointF) -> str:
        """The hover text for a point in this widget's coordinates ("" when no span is there)."""
        point = pos.toPoint() if isinstance(pos, QPointF) else pos
        scene = self._graphics.mapToScene(self._graphics.viewport().mapFrom(self, point))
        return self._tooltip_for_scene(scene)

    def _tooltip_for_scene(self, scene_pos: QPointF) -> str:
        found = self._locate(scene_pos)
        if not found or found[1] is None:
            return ""
        section, span = found
        step = "whole task" if span.step < 0 else f"step {span.step + 1}"
        end = "now" if span in section.open_spans else f"{span.duration * 1000:.1f} ms"
        return (f"{section.task_name(span.task)} — {step}\n{state_label(span.state, section.model)}\n"
                f"start {span.t0 * 1000:.1f} ms · duration {end}\nlane: {span.worker}")

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        text = self._tooltip_for_scene(scene_pos)
        if text:
            QToolTip.showText(QCursor.pos(), text, self._graphics)
        else:
            QToolTip.hideText()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        for section in self._sections:
            section.wrap_title(self.width() - 40)

    def closeEvent(self, event: QCloseEvent) -> None:
        self._timer.stop()
        super().closeEvent(event)

