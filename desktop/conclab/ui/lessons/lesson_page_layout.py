"""The lesson page's widgets and their layout: one column that scrolls (down, and across below a readable
width) rather than squeezing its text, from the question at the top to the results at the bottom; and the
texts the page builds from a lesson (its runs, the runs this machine cannot make) and its captions.
"""

from __future__ import annotations

from html import escape

import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from conclab.model.captions import Caption
from conclab.model.lesson_runs import Unmade
from conclab.model.lessons import Lesson
from conclab.model.session_spec import RunSpec, Runtime
from conclab.model.trace import LOOP_LANE
from conclab.ui.lessons.lesson_result_panel import LessonResultPanel
from conclab.ui.lessons.prediction_panel import PredictionPanel
from conclab.ui.palette import FREEZE_HEX, NOW_HEX
from conclab.ui.timeline.metrics_panel import MetricsPanel
from conclab.ui.timeline.timeline_view import TimelineView

READABLE_WIDTH = 340  # below this the page scrolls sideways instead of wrapping text into slivers
TIMELINE_MIN_HEIGHT = 320
SECTION_HEIGHT = 230  # what one run's section reads well in; more runs make a taller timeline, up to
TIMELINE_MAX_HEIGHT = 760


def run_words(spec: RunSpec) -> str:
    """A run in words: "threads, 16 workers, on Python 3.13t, inside this window"."""
    parts = [spec.model]
    if spec.workers is not None:
        parts.append(f"{spec.workers} worker{'s' if spec.workers != 1 else ''}")
    if spec.python:
        parts.append(f"on Python {spec.python}")
    parts.append("inside this window" if spec.runtime == Runtime.WINDOW else "in the lab")
    return ", ".join(parts)


def runs_html(lesson: Lesson) -> str:
    """The lesson's plan and its runs by label — what Run will measure, not what it will find."""
    runs = " · ".join(f"<b>{escape(r.name)}</b> ({escape(run_words(r))})" for r in lesson.runs)
    plan = "<br>".join(escape(line.strip()) for line in lesson.plan_text.splitlines() if line.strip())
    cell = '<td style="padding-right: 6px">'
    return (f"<table><tr>{cell}Plan:</td><td><code>{plan}</code></td></tr>"
            f"<tr>{cell}Runs:</td><td>{runs}</td></tr></table>")


def unmade_text(lesson: Lesson, unmade: list[Unmade]) -> str:
    """What this machine cannot make, why, and what the page does instead."""
    labels = ", ".join(u.label for u in unmade)
    lines = [f"Not made on this machine: {u.label} — {u.why}." for u in unmade]
    if lesson.needs_text:
        lines.append(f"This lesson needs {lesson.needs_text}.")
    lines.append(f"Run measures the other runs here; the claims about {labels} show as not measured.")
    lines.append("After the run, a saved run of this lesson, measured on another machine, is shown beside yours."
                 if lesson.saved_run is not None else "No saved run of this lesson ships with the app.")
    return "\n".join(lines)


def pin_caption(timeline: TimelineView, index: int, caption: Caption, nth_unpinned: int) -> None:
    """Draw a caption on the timeline at its time, on its lane (or the lag plot for the main loop);
    captions of no lane go one row apart so that close ones do not cover each other."""
    lanes_plot, lag_plot = timeline.plots(index)
    fill = pg.mkBrush(255, 255, 255, 210)
    text = pg.TextItem(caption.text, color=QColor("#202020"), fill=fill, anchor=(0, 0.5))
    if caption.lane == LOOP_LANE:
        plot, y = lag_plot, 0.0
        text.setAnchor((0, 1))
    else:
        labels = timeline.lane_labels(index)
        row = labels.index(caption.lane) if caption.lane in labels else nth_unpinned % max(len(labels), 1)
        plot, y = lanes_plot, float(row) + 0.5
    arrow = pg.ArrowItem(pos=(caption.t, y), angle=-90 if caption.lane == LOOP_LANE else 90,
                         headLen=9, brush=pg.mkBrush(NOW_HEX), pen=pg.mkPen(NOW_HEX))
    text.setPos(caption.t, y)
    plot.addItem(arrow)
    plot.addItem(text)


def _wrapped(parent: QWidget, name: str, fmt: Qt.TextFormat = Qt.TextFormat.PlainText) -> QLabel:
    label = QLabel("", parent)
    label.setWordWrap(True)
    label.setTextFormat(fmt)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setAccessibleName(name)
    return label


class LessonPageBaseView(QWidget):
    """The page's widgets in reading order inside one scroll area; the page view adds what they do."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.content = QWidget()
        self.content.setMinimumWidth(READABLE_WIDTH)
        self._build_texts()
        self._build_controls()
        self.timeline = TimelineView(self.content)
        self.timeline.setMinimumHeight(TIMELINE_MIN_HEIGHT)
        self.caption_label = _wrapped(self.content, "Captions")
        self.results = LessonResultPanel(self.content)
        self.metrics = MetricsPanel(self.content)
        self.metrics.setMinimumHeight(self.metrics.table_height())
        self._build_layout()

    def _build_texts(self) -> None:
        self.title = _wrapped(self.content, "Lesson title")
        self.title.setText("Choose a lesson")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        self.title.setFont(font)
        self.question = _wrapped(self.content, "Question", Qt.TextFormat.MarkdownText)
        self.runs_label = _wrapped(self.content, "Runs", Qt.TextFormat.RichText)
        self.unmade_label = _wrapped(self.content, "Runs not made here")
        self.unmade_label.setStyleSheet(f"color: {FREEZE_HEX};")
        self.unmade_label.hide()
        self.prediction = PredictionPanel(self.content)
        self.prediction.hide()

    def _build_controls(self) -> None:
        self.switch_label = QLabel("GIL switch interval", self.content)
        self.switch_ms = QDoubleSpinBox(self.content)
        self.switch_ms.setRange(0.1, 100.0)
        self.switch_ms.setDecimals(1)
        self.switch_ms.setSuffix(" ms")
        self.switch_ms.setToolTip("sys.setswitchinterval: how long a thread may hold the GIL before handing "
                                  "it over. Change it and run again.")
        self.switch_ms.setAccessibleName("GIL switch interval in milliseconds")
        self.switch_label.setBuddy(self.switch_ms)
        self.run_button = QPushButton("&Run lesson", self.content)
        self.stop_button = QPushButton("S&top", self.content)
        self.code_button = QPushButton("Show as &code…", self.content)
        self.code_button.setToolTip("A standalone Python script that runs this lesson's plan")
        self.status = _wrapped(self.content, "Lesson status")
        self.show_switch(None)

    def _build_layout(self) -> None:
        buttons = QHBoxLayout()
        for button in (self.run_button, self.stop_button, self.code_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        switch = QHBoxLayout()
        switch.addWidget(self.switch_label)
        switch.addWidget(self.switch_ms)
        switch.addStretch(1)
        column = QVBoxLayout(self.content)
        column.setContentsMargins(8, 8, 8, 8)
        top: tuple[QWidget, ...] = (self.title, self.question, self.runs_label, self.unmade_label, self.prediction)
        for widget in top:
            column.addWidget(widget)
        column.addLayout(switch)
        column.addLayout(buttons)
        column.addWidget(self.status)
        column.addWidget(self.timeline, 1)
        results: tuple[QWidget, ...] = (self.caption_label, self.results, self.metrics)
        for widget in results:
            column.addWidget(widget)
        column.addStretch(0)
        self.scroll_area = QScrollArea(self)
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setWidget(self.content)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.scroll_area)

    def minimumSizeHint(self) -> QSize:
        """Room for the readable column and its scroll bar: a layout that has less scrolls the page sideways."""
        bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        return QSize(READABLE_WIDTH + bar, 200)

    @property
    def verdict_list(self) -> QWidget:
        """The results (verdicts, prediction, explanation) as one widget, for the page's export."""
        return self.results

    def show_switch(self, interval_ms: float | None) -> None:
        """Offer the GIL switch interval only to lessons that set one, at the lesson's value."""
        self.switch_label.setVisible(interval_ms is not None)
        self.switch_ms.setVisible(interval_ms is not None)
        if interval_ms is not None:
            self.switch_ms.setValue(interval_ms)

    def fit_timeline(self) -> None:
        """Give the timeline room for every run it shows (the page scrolls; the timeline then needs not)."""
        wanted = SECTION_HEIGHT * self.timeline.section_count()
        self.timeline.setMinimumHeight(min(max(TIMELINE_MIN_HEIGHT, wanted), TIMELINE_MAX_HEIGHT))

    def scroll_to_top(self) -> None:
        self.scroll_area.verticalScrollBar().setValue(0)

    def scroll_to_results(self) -> None:
        """Bring the results' first lines into view (after a run they are what the learner reads next)."""
        if self.results.isVisible():
            self.scroll_area.verticalScrollBar().setValue(self.results.y() - 8)
