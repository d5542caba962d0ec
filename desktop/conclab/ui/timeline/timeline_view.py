"""The timeline view: the runs of a `TimelineModel` stacked on one shared time axis, each with its lanes,
legend and lag lane.

The view observes its model and never writes to it: sections added or replaced are built at once,
data changes only mark the view dirty and a ~30 Hz timer redraws, so a flood of frames costs a few
repaints, not one each. All sections share one x axis, from 0 to the end of the longest run; while a
run is live the view follows it (and scrolls its section into view) until the user zooms or pans. Rows
and lag charts take the height there is, between a readable minimum and a maximum, and the sections
scroll when they need more. A click or drag on a plot places the time cursor; Shift+drag, a middle
drag or a drag on the time axis pans; the wheel zooms.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QHelpEvent, QKeySequence, QResizeEvent, QShowEvent
from PySide6.QtWidgets import QLabel, QScrollArea, QToolTip, QVBoxLayout, QWidget

from conclab.model.live import LiveFrame
from conclab.model.run import ModelRun
from conclab.model.trace import LaneKind, Span
from conclab.ui.timeline.hover import hover_text, locate
from conclab.ui.timeline.section_model import SectionModel
from conclab.ui.timeline.timeline_layout import MARGIN_PX, SPACING_PX, fit_heights
from conclab.ui.timeline.timeline_model import Change, TimelineModel
from conclab.ui.timeline.timeline_section import SectionView

FRAME_MS = 33
MIN_AXIS_PX = 64.0
AXIS_ROOM_PX = 18.0  # beside the longest lane label: the tick and a gap
TITLE_MARGIN_PX = 12
LIVE_MIN_S = 0.5  # a live run starts on an axis this long, so its first bars are not a screen wide
EMPTY_TEXT = "Nothing measured yet: press Run (Ctrl+R) to see what ran when."
HINT = ("What ran when. Hover a bar for its details.\nClick or drag: place the cursor. Wheel: zoom.\n"
        "Shift+drag or middle-drag: pan. Ctrl+0: fit.")


class TimelineView(QWidget):
    """Model runs stacked on one linked time axis; live runs follow `now` until the user zooms or pans.

    A click or drag on a section's plot places the time cursor there and emits `section_clicked(index)`
    then `cursor_moved(t)`; `set_cursor(t)` draws it (a dashed line across every section, apart from the
    live "now" line).
    """

    cursor_moved = Signal(float)  # seconds from the runs' start, where the user clicked or dragged
    section_clicked = Signal(int)  # the section (run) whose plot was clicked or dragged on

    def __init__(self, parent: QWidget | None = None, *, max_rows: int = 64,
                 model: TimelineModel | None = None, empty_text: str = EMPTY_TEXT) -> None:
        super().__init__(parent)
        self.model = model if model is not None else TimelineModel(max_rows)
        self.redraw_count = 0
        self._views: list[SectionView] = []
        self._cursor: float | None = None
        self._following = True
        self._dirty = False
        self._laid_out: object = None  # what the geometry was last fitted to
        self._reveal: int | None = None  # the section kept in view: the live one, until the user scrolls
        self._graphics = pg.GraphicsLayoutWidget()
        self._graphics.setBackground(None)
        self._graphics.ci.setContentsMargins(MARGIN_PX, MARGIN_PX, MARGIN_PX, MARGIN_PX)
        self._graphics.ci.setSpacing(SPACING_PX)
        self._graphics.setAccessibleName("Timeline")
        self._graphics.setFocusPolicy(Qt.FocusPolicy.WheelFocus)
        self._graphics.setAccessibleDescription(HINT)
        self._scroll = QScrollArea(self)
        self._scroll.setWidgetResizable(True)
        self._scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._scroll.setWidget(self._graphics)
        self._empty = QLabel(empty_text, self)
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._empty.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._scroll)
        layout.addWidget(self._empty)
        self.setAccessibleName("Timeline view")
        self.setAccessibleDescription("Spans of every task per worker lane, and the main loop's lag, "
                                      "for each model run on a shared time axis")
        self.fit_action = QAction("Fit timeline", self)
        self.fit_action.setShortcut(QKeySequence("Ctrl+0"))
        self.fit_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.fit_action.setToolTip("Show every run whole (Ctrl+0) and follow the live run again")
        self.addAction(self.fit_action)
        self._timer = QTimer(self)
        self._timer.setInterval(FRAME_MS)
        self._connect()
        self._rebuild()

    def _connect(self) -> None:
        self.model.subscribe(self._on_model_changed)
        self.fit_action.triggered.connect(self.fit)
        self._timer.timeout.connect(self._on_frame_due)
        self._scroll.verticalScrollBar().actionTriggered.connect(self._on_user_scrolled)
        self._graphics.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self._graphics.viewport().installEventFilter(self)

    # -- feeding the model --------------------------------------------------------------------------
    def set_runs(self, runs: list[ModelRun]) -> None:
        """Show exactly these finished runs, whole."""
        self.model.set_runs(runs)
        self.fit()

    def clear(self) -> None:
        self.model.clear()

    def reserve(self, runs: list[tuple[str, str]]) -> None:
        """Show sections for runs about to start, as (model, title), before they are measured (see
        `TimelineModel.reserve`: making their plots then would cost the window while they run)."""
        self.model.reserve(runs)

    def end_session(self) -> None:
        """The session is over: sections reserved for runs that never began go."""
        self.model.drop_reserved()

    def begin_live(self, model: str, lanes_hint: Mapping[str, LaneKind] | None = None, title: str | None = None,
                   names: Mapping[int, str] | None = None) -> None:
        """Add a section for a run that is starting; `apply_frame` then feeds it, `end_live` ends it."""
        self.model.begin_run(model, title, names, lanes_hint)

    def apply_frame(self, frame: LiveFrame) -> None:
        """Feed the live section one frame of the stream."""
        self.model.apply(frame)

    def end_live(self, run: ModelRun) -> None:
        """Replace the live section by the finished run as recorded."""
        self.model.end_run(run)

    # -- model changes ------------------------------------------------------------------------------
    def _on_model_changed(self, change: Change, index: int) -> None:
        if change is Change.UPDATED:
            self._mark_dirty()
            return
        if change is Change.RESET:
            self._following = True
            self._rebuild()
            return
        section = self.model.sections[index]
        if change is Change.REPLACED and index < len(self._views):
            self._views[index].rebind(section)  # a placeholder's or a live section's items serve on
            if section.live and self._following:
                self._reveal = index
            self._redraw()
            return
        view = self._new_view(section)
        self._views.insert(index, view)
        self._relayout()
        if change is Change.ADDED and self._following and self.model.sections[index].live:
            self._reveal = index  # from the next frame on, once the new section is laid out
        if index == self._reveal:
            self._mark_dirty()

    def _new_view(self, section: SectionModel) -> SectionView:
        view = SectionView(section)
        view.set_cursor(self._cursor)
        for box in view.boxes:
            box.sigRangeChangedManually.connect(self._on_user_range)
            box.cursor_dragged.connect(lambda t, v=view: self._on_cursor_dragged(t, v))
        return view

    def _rebuild(self) -> None:
        self._views = [self._new_view(s) for s in self.model.sections]
        self._relayout()

    def _relayout(self) -> None:
        """Lay every section's items out again, link their time axes, and draw them."""
        self._graphics.clear()
        for i, view in enumerate(self._views):
            self._graphics.addItem(view.title, row=3 * i, col=0)
            self._graphics.addItem(view.plot, row=3 * i + 1, col=0)
            self._graphics.addItem(view.lag_plot, row=3 * i + 2, col=0)
            if i:
                view.plot.setXLink(self._views[0].plot)
            view.lag_plot.setXLink(view.plot)
        self._scroll.setVisible(bool(self._views))
        self._empty.setVisible(not self._views)
        self._redraw()

    # -- drawing ------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Draw pending changes now rather than on the next frame (for pictures and measurements)."""
        self._redraw()

    def _mark_dirty(self) -> None:
        self._dirty = True
        if not self._timer.isActive() and self.isVisible():  # a hidden view catches up when shown
            self._timer.start()

    def _on_frame_due(self) -> None:
        if not self._dirty:
            self._timer.stop()
            return
        self._redraw()

    def _redraw(self) -> None:
        self._dirty = False
        self.redraw_count += 1
        if self._reveal is not None:
            self._scroll_to(self._reveal)
        for view in self._views:
            view.refresh()
        self._fit_geometry()
        extent = self._x_extent()
        limit = extent
        if self.model.live is not None:  # a growing run: move the limit in steps, not every frame
            limit = LIVE_MIN_S * 2 ** math.ceil(math.log2(max(extent, LIVE_MIN_S) / LIVE_MIN_S))
        for view in self._views:
            view.set_x_limits(limit)
        if self._views and self._following:
            self._views[0].plot.setXRange(0.0, extent, padding=0)

    def _x_extent(self) -> float:
        """Where the shared time axis ends: the longest run, the live run's now with some room ahead."""
        end = self.model.axis_end()
        live = self.model.live
        if live is not None:
            end = max(end, live.now * 1.05, LIVE_MIN_S)
        return max(end * 1.02, 1e-3)

    def _fit_geometry(self) -> None:
        """Share the height there is among rows and lag charts; the sections scroll when they need more."""
        if not self._views:
            return
        viewport = self._scroll.viewport()
        width = viewport.width()
        key = (width, viewport.height(), tuple((v.section.lanes.version, v.title.text) for v in self._views))
        if key == self._laid_out:
            return
        self._laid_out = key
        labels = max(v.label_width() for v in self._views)
        axis_px = round(min(max(labels + AXIS_ROOM_PX, MIN_AXIS_PX), max(width * 0.4, MIN_AXIS_PX)))
        for view in self._views:
            view.set_widths(axis_px, width - TITLE_MARGIN_PX)
        titles = [view.title.minimumHeight() for view in self._views]
        rows = [len(view.section.lanes) for view in self._views]
        row_px, lag_px = fit_heights(viewport.height(), rows, titles)
        for view in self._views:
            view.set_heights(row_px, lag_px)
        needed = self._graphics.ci.effectiveSizeHint(Qt.SizeHint.MinimumSize).height()
        self._graphics.setFixedHeight(math.ceil(needed))

    def _on_user_scrolled(self, *_: object) -> None:
        self._reveal = None

    def _scroll_to(self, index: int) -> None:
        """Scroll so that section `index` is in view (its top when it is taller than the view); a live
        section stays in view as it grows, a finished one once more, as laid out at last."""
        if not 0 <= index < len(self._views):
            self._reveal = None
            return
        if not self._views[index].section.live:
            self._reveal = None
        view = self._views[index]
        top = int(self._graphics.mapFromScene(view.title.sceneBoundingRect().topLeft()).y())
        bottom = int(self._graphics.mapFromScene(view.lag_plot.sceneBoundingRect().bottomLeft()).y())
        bar = self._scroll.verticalScrollBar()
        bar.setValue(min(top, max(bar.value(), bottom - self._scroll.viewport().height())))

    # -- view ---------------------------------------------------------------------------------------
    def fit(self) -> None:
        """Show every run whole, on the shared axis from 0 to the longest, and follow the live run again."""
        self._following = True
        self._redraw()

    @property
    def following(self) -> bool:
        """True while the view shows every run whole and keeps a live run's now in view."""
        return self._following

    def _on_user_range(self, *_: object) -> None:
        self._following = False

    @property
    def graphics(self) -> pg.GraphicsLayoutWidget:
        """The graphics view all sections are drawn in (for exports and tests)."""
        return self._graphics

    @property
    def is_live(self) -> bool:
        return self.model.live is not None

    def section_count(self) -> int:
        return len(self._views)

    def lane_labels(self, index: int) -> list[str]:
        """The row labels of section `index`, top to bottom."""
        return list(self._views[index].section.lanes.labels)

    def lane_row(self, index: int, lane: str) -> int | None:
        """The row of lane `lane` (its name, as spans and captions give it) in section `index`; None when
        the section has no such lane. Folded lanes share the "+N more lanes" row."""
        lanes = self._views[index].section.lanes
        return lanes.row_of(lane) if lane in lanes else None

    def plots(self, index: int) -> tuple[pg.PlotItem, pg.PlotItem]:
        """The lanes plot and the lag plot of section `index`."""
        view = self._views[index]
        return view.plot, view.lag_plot

    def legend_text(self, index: int) -> str:
        return str(self._views[index].title.text)

    def scroll_position(self) -> tuple[int, int]:
        """(value, maximum) of the vertical scroll bar: where the view is scrolled to, and how far it can."""
        bar = self._scroll.verticalScrollBar()
        return bar.value(), bar.maximum()

    def section_visible(self, index: int) -> bool:
        """Whether the top of section `index`'s lanes is inside the visible part of the view."""
        view = self._views[index]
        top = int(self._graphics.mapFromScene(view.plot.sceneBoundingRect().topLeft()).y())
        value = self._scroll.verticalScrollBar().value()
        return value <= top < value + self._scroll.viewport().height()

    # -- cursor -------------------------------------------------------------------------------------
    def set_cursor(self, t: float | None) -> None:
        """Draw the time cursor at `t` seconds across every section (None: hide it). Emits nothing."""
        self._cursor = t if t is None or math.isfinite(t) else None
        for view in self._views:
            view.set_cursor(self._cursor)

    @property
    def cursor_time(self) -> float | None:
        """Where the time cursor is (seconds), or None when it is hidden."""
        return self._cursor

    def _on_cursor_dragged(self, t: float, view: SectionView) -> None:
        t = max(t, 0.0)
        self.set_cursor(t)
        if view in self._views:
            self.section_clicked.emit(self._views.index(view))
        self.cursor_moved.emit(t)

    # -- hover --------------------------------------------------------------------------------------
    def _scene_at(self, pos: QPoint | QPointF) -> QPointF:
        point = pos.toPoint() if isinstance(pos, QPointF) else pos
        scene: QPointF = self._graphics.mapToScene(self._graphics.viewport().mapFrom(self, point))
        return scene

    def span_at(self, pos: QPoint | QPointF) -> Span | None:
        """The span under a point given in this widget's coordinates, or None."""
        found = self._locate(self._scene_at(pos))
        return found[1][0] if found is not None and found[1] is not None else None

    def tooltip_at(self, pos: QPoint | QPointF) -> str:
        """The hover text for a point in this widget's coordinates ("" when no span is there)."""
        return self._tooltip_for_scene(self._scene_at(pos))

    def _locate(self, scene_pos: QPointF) -> tuple[SectionView, tuple[Span, bool] | None] | None:
        return locate(self._views, scene_pos)

    def _tooltip_for_scene(self, scene_pos: QPointF) -> str:
        return hover_text(self._views, scene_pos)

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        text = self._tooltip_for_scene(scene_pos)
        if not text and QToolTip.isVisible():
            text = HINT  # off a bar: say how to use the view rather than hide and flicker
        if text:
            viewport = self._graphics.viewport()
            QToolTip.showText(viewport.mapToGlobal(self._graphics.mapFromScene(scene_pos)), text, viewport)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Qt's own tooltip, due once the mouse rests, would replace a span's details by the scene's
        # (none) or the widget's: answer it here with the span's details, or the hint where none is.
        if event.type() == QEvent.Type.Wheel:
            # Zooming gives the timeline the keyboard, so Ctrl+0 (Fit) undoes the zoom at once.
            self._graphics.setFocus(Qt.FocusReason.MouseFocusReason)
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            text = self._tooltip_for_scene(self._graphics.mapToScene(event.pos())) or HINT
            QToolTip.showText(event.globalPos(), text, self._graphics.viewport())
            return True
        return super().eventFilter(watched, event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._views:
            self._mark_dirty()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._dirty:
            self._mark_dirty()

    def closeEvent(self, event: QCloseEvent) -> None:
        self._timer.stop()
        super().closeEvent(event)
