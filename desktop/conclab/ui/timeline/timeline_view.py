"""The timeline view: model runs stacked on one shared time axis, each with its lanes, legend and lag lane.

Each section shows one run: a title with a legend of the states present, one row per worker lane
(plus a derived "event loop" row for asyncio and a queue-depth row when tasks queued), and beneath it
the main loop's lateness. Data arrives all at once (`set_runs`) or live (`begin_live`, `append_*`,
`end_live`); live calls only mark the view dirty and a ~30 Hz timer repaints, so a flood of engine
events costs a few frames, not one repaint each.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable

import pyqtgraph as pg
from PySide6.QtCore import QPoint, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QCursor, QKeySequence, QResizeEvent
from PySide6.QtWidgets import QScrollArea, QToolTip, QVBoxLayout, QWidget

from conclab.model.live import LiveFrame
from conclab.model.run import ModelRun, python_label
from conclab.model.trace import Span, state_label
from conclab.ui.timeline.timeline_section import TimelineSection

FRAME_MS = 33
HIT_TOLERANCE_PX = 3.0


class TimelineView(QWidget):
    """Model runs stacked on one linked time axis; live runs follow `now` until the user zooms or pans.

    A click or drag on a section's plot places the time cursor there and emits `cursor_moved(t)`;
    `set_cursor(t)` draws it (a dashed line across every section, apart from the live "now" line).
    """

    cursor_moved = Signal(float)  # seconds from the runs' start, where the user clicked or dragged

    def __init__(self, parent: QWidget | None = None, *, max_rows: int = 64) -> None:
        super().__init__(parent)
        self.max_rows = max_rows
        self.redraw_count = 0
        self._sections: list[TimelineSection] = []
        self._pythons = False
        self._live: TimelineSection | None = None
        self._now: float | None = None
        self._cursor: float | None = None
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
        self._pythons = len({python_label(r.python) for r in runs}) > 1
        for run in runs:
            self._add_section(self._section_for_run(run))
        self._redraw()
        self.fit()

    def clear(self) -> None:
        self._clear_sections()
        self._redraw()

    def _section_for_run(self, run: ModelRun) -> TimelineSection:
        spans = run.spans
        lanes = list(run.lanes) or list(dict.fromkeys(s.worker for s in spans))
        section = TimelineSection(run.model, lanes, self.max_rows, run.task_names(), self._title(run))
        section.add_spans(spans)
        section.lag_item.append(run.lag)
        return section

    def _add_section(self, section: TimelineSection) -> None:
        row = len(self._sections) * 3
        self._graphics.addItem(section.title, row=row, col=0)
        self._graphics.addItem(section.plot, row=row + 1, col=0)
        self._graphics.addItem(section.lag_plot, row=row + 2, col=0)
        if self._sections:
            section.plot.setXLink(self._sections[0].plot)
        section.lag_plot.setXLink(section.plot)
        for plot in (section.plot, section.lag_plot):
            plot.getViewBox().sigRangeChangedManually.connect(self._on_user_range)
            plot.getViewBox().cursor_dragged.connect(self._on_cursor_dragged)
        section.set_cursor(self._cursor)
        self._sections.append(section)

    def _clear_sections(self) -> None:
        self._graphics.clear()
        self._sections.clear()
        self._live = None
        self._now = None
        self._following = True

    # -- live runs ----------------------------------------------------------------------------------
    def _title(self, run: ModelRun) -> str:
        title = run.name if run.runtime != "window" else f"{run.name} · inside this window"
        return f"{title} · {python_label(run.python)}" if self._pythons and run.python else title

    def begin_live(self, model: str, lanes_hint: list[str] | None = None, title: str | None = None,
                   names: dict[int, str] | None = None) -> None:
        """Add a section for a run in progress; the `append_*` and `set_*` calls then feed it."""
        if self._live is not None:
            self._live.live = False
        section = TimelineSection(model, list(lanes_hint or []), self.max_rows, dict(names or {}), title)
        section.live = True
        self._add_section(section)
        self._live = section
        self._now = 0.0
        self._following = True
        self._mark_dirty()

    def apply_frame(self, frame: LiveFrame) -> None:
        """Feed the live section one frame of the stream (closed spans, spans in progress, lag, now)."""
        self.append_spans(frame.spans)
        self.update_open_spans(frame.opened)
        self.append_lag(frame.lag)
        self.set_now(frame.now)

    def append_spans(self, spans: Iterable[Span]) -> None:
        if self._live is not None:
            self._live.add_spans(Span(*s) for s in spans)
            self._mark_dirty()

    def set_open_spans(self, spans: Iterable[Span]) -> None:
        """Replace the live run's spans in progress; each is drawn from its start to "now".

        Only the difference from the previous call is applied, by object identity: a caller that
        passes the same Span objects again (as a replay does) pays only for what changed.
        """
        if self._live is not None:
            self._live.set_open([s if type(s) is Span else Span(*s) for s in spans])
            self._mark_dirty()

    def update_open_spans(self, changes: Iterable[tuple[Hashable, Span | None]]) -> None:
        """Change only some spans in progress: (key, span) pairs as `Recorder.open_changes` gives them.

        A key is the engine buffer the span belongs to; a span of None means that buffer has nothing in
        progress any more. Cheaper than `set_open_spans` when thousands are open and few change.
        """
        if self._live is not None:
            self._live.update_open((k, s if s is None or type(s) is Span else Span(*s)) for k, s in changes)
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

    # -- cursor -------------------------------------------------------------------------------------
    def set_cursor(self, t: float | None) -> None:
        """Draw the time cursor at `t` seconds across every section (None: hide it). Emits nothing."""
        self._cursor = t if t is None or math.isfinite(t) else None
        for section in self._sections:
            section.set_cursor(self._cursor)

    @property
    def cursor_time(self) -> float | None:
        """Where the time cursor is (seconds), or None when it is hidden."""
        return self._cursor

    def _on_cursor_dragged(self, t: float) -> None:
        t = max(t, 0.0)
        self.set_cursor(t)
        self.cursor_moved.emit(t)

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
        return found[1][0] if found and found[1] else None

    def _locate(self, scene_pos: QPointF) -> tuple[TimelineSection, tuple[Span, bool] | None] | None:
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
        section, (span, is_open) = found
        step = "whole task" if span.step < 0 else f"step {span.step + 1}"
        end = "now" if is_open else f"{span.duration * 1000:.1f} ms"
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

