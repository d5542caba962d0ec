"""One lesson's page: the introduction, a prediction to answer, Run/Stop, the timeline with captions,
the metrics side by side, and every claim checked against what was just measured.

The page runs its lesson on the window's one RunController and reacts only to the runs it started.
A lesson that asks for a different worker count per model runs in several batches, one after another.
"""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from conclab.model.captions import Caption, captions_for
from conclab.model.claims import Verdict, evaluate_all
from conclab.model.errors import ConclabError
from conclab.model.lessons import Lesson
from conclab.model.plan import Plan
from conclab.model.run import ModelRun, RunDocument
from conclab.model.session_spec import RunSpec, SessionRequest
from conclab.model.trace import LOOP_LANE
from conclab.ui.lessons.lessons_panel import PredictionPanel, judgement
from conclab.ui.palette import BEST_HEX, FREEZE_HEX, NOW_HEX, UNKNOWN_HEX
from conclab.ui.plan_editor.code_dialog import CodeDialog
from conclab.ui.shell.run_controller import RunController
from conclab.ui.shell.run_handle import RunHandle, RunState
from conclab.ui.shell.run_titles import spec_title
from conclab.ui.timeline.metrics_panel import MetricsPanel
from conclab.ui.timeline.timeline_view import TimelineView

MARK_HEX = {True: BEST_HEX, False: FREEZE_HEX, None: UNKNOWN_HEX}


def verdict_text(verdict: Verdict) -> str:
    """The mark and the sentence with its measured numbers; inapplicable claims say so."""
    if verdict.held is None:
        return f"{verdict.mark} not applicable here: {verdict.sentence.removeprefix('Not checked: ')}"
    return f"{verdict.mark} {verdict.sentence}"


def _label(parent: QWidget, name: str = "") -> QLabel:
    label = QLabel("", parent)
    label.setWordWrap(True)
    label.setAccessibleName(name)
    return label


def _column(parent: QWidget, *items: QWidget | tuple[QWidget, int]) -> QWidget:
    """A widget stacking `items` top to bottom; a (widget, stretch) pair takes spare height."""
    box = QWidget(parent)
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    for item in items:
        widget, stretch = item if isinstance(item, tuple) else (item, 0)
        layout.addWidget(widget, stretch)
    return box


class LessonPageView(QWidget):
    """Shows one lesson; `lesson_completed(id)` is emitted when every model of its run finished."""

    lesson_completed = Signal(str)

    def __init__(self, controller: RunController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self._lesson: Lesson | None = None
        self._plan: Plan | None = None
        self._handle: RunHandle | None = None
        self._runs: list[ModelRun] = []
        self._machine: dict[str, Any] = {}
        self._captions: list[str] = []
        self._verdicts: list[Verdict] = []
        self._code_dialog: CodeDialog | None = None
        self._build_widgets()
        self._build_layout()
        self._connect()
        self._update_buttons()

    # -- construction ---------------------------------------------------------------------------
    def _build_widgets(self) -> None:
        self.title = QLabel("Choose a lesson", self)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.title.setFont(font)
        self.intro = QTextBrowser(self)
        self.intro.setOpenExternalLinks(True)
        self.intro.setAccessibleName("Lesson introduction")
        self.prediction = PredictionPanel(self)
        self.switch_label = QLabel("GIL switch interval", self)
        self.switch_ms = QDoubleSpinBox(self)
        self.switch_ms.setRange(0.1, 100.0)
        self.switch_ms.setDecimals(1)
        self.switch_ms.setSuffix(" ms")
        self.switch_ms.setToolTip("sys.setswitchinterval: how long a thread may hold the GIL before handing "
                                  "it over. Change it and run again.")
        self.switch_ms.setAccessibleName("GIL switch interval in milliseconds")
        self.run_button = QPushButton("&Run lesson", self)
        self.stop_button = QPushButton("S&top", self)
        self.code_button = QPushButton("Show as &code…", self)
        self.code_button.setToolTip("A standalone Python script that runs this lesson's plan")
        self.status = _label(self)
        self.timeline = TimelineView(self)
        self.caption_label = _label(self, "Captions")
        self.verdict_list = QListWidget(self)
        self.verdict_list.setAccessibleName("Claims")
        self.verdict_list.setWordWrap(True)
        self.judgement_label = _label(self, "Prediction result")
        self.metrics = MetricsPanel(self)

    def _build_layout(self) -> None:
        controls = QWidget(self)
        row = QHBoxLayout(controls)
        row.setContentsMargins(0, 0, 0, 0)
        for w in (self.switch_label, self.switch_ms, self.run_button, self.stop_button, self.code_button):
            row.addWidget(w)
        row.addStretch(1)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(_column(self, self.title, (self.intro, 1), self.prediction, controls, self.status))
        split.addWidget(_column(self, (self.timeline, 1), self.caption_label))
        split.addWidget(_column(self, (self.verdict_list, 1), self.judgement_label, (self.metrics, 1)))
        split.setSizes([260, 360, 300])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(split)

    def _connect(self) -> None:
        c = self.controller
        self.prediction.answered.connect(self._on_answered)
        self.run_button.clicked.connect(self.run)
        self.stop_button.clicked.connect(self.stop)
        self.code_button.clicked.connect(self.show_code)
        # Any run (this page's or the main window's) holds the lab: Run is offered again when it ends.
        c.run_started.connect(lambda handle: handle.finished.connect(lambda _d: self._update_buttons()))
        c.run_started.connect(lambda _handle: self._update_buttons())

    # -- the lesson -----------------------------------------------------------------------------
    def lesson(self) -> Lesson | None:
        return self._lesson

    def plan(self) -> Plan | None:
        """The open lesson's plan."""
        return self._plan

    def set_lesson(self, lesson: Lesson) -> bool:
        """Open a lesson; refused (False) while this page's run is going."""
        if self.running:
            self.status.setText("Stop the running lesson first.")
            return False
        self._lesson = lesson
        self._plan = lesson.plan()
        self.title.setText(lesson.title)
        self.intro.setMarkdown(f"{lesson.intro}\n\n**Plan:** `{lesson.plan_text}` — "
                               f"run under {', '.join(lesson.models)}.")
        self.prediction.set_prediction(lesson.prediction)
        has_switch = lesson.switch_interval_ms is not None
        self.switch_label.setVisible(has_switch)
        self.switch_ms.setVisible(has_switch)
        if lesson.switch_interval_ms is not None:
            self.switch_ms.setValue(lesson.switch_interval_ms)
        self._clear_results()
        self.status.setText("Answer the prediction, then run." if lesson.prediction else "Ready to run.")
        self._update_buttons()
        return True

    def choose_prediction(self, index: int) -> None:
        """Answer the prediction with choice `index`."""
        self.prediction.choose(index)

    def skip_prediction(self) -> None:
        self.prediction.skip()

    def chosen(self) -> int | None:
        return self.prediction.chosen()

    def _on_answered(self) -> None:
        skipped = self.prediction.chosen() is None
        self.status.setText("Prediction skipped. Ready to run." if skipped
                            else "Prediction noted. Run the lesson to check it.")
        self._update_buttons()

    # -- running --------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """True while this page's lesson run is going."""
        return self._handle is not None

    def can_run(self) -> bool:
        return self._lesson is not None and self.prediction.is_answered and not self.controller.running

    def run(self) -> bool:
        """Run the lesson's plan under its runs; False when it cannot start now."""
        if not self.can_run() or self._lesson is None:
            return False
        try:
            handle = self.controller.start(self._request(self._lesson))
        except ConclabError as exc:
            self.status.setText(str(exc))
            return False
        if handle is None:
            return False
        self._handle = handle
        self._runs = []
        self._clear_results()
        self.status.setText("Running…")
        names = {t.id: t.name for t in self._lesson.plan().tasks()}
        handle.run_started.connect(lambda _i, spec: self.timeline.begin_live(spec.model, title=spec_title(spec),
                                                                              names=names))
        handle.frame_arrived.connect(self.timeline.apply_frame)
        handle.run_finished.connect(self._on_run_measured)
        handle.failed.connect(self.status.setText)
        handle.finished.connect(self._on_finished)
        self._update_buttons()
        return True

    def _request(self, lesson: Lesson) -> SessionRequest:
        switch = self.switch_ms.value() if lesson.switch_interval_ms is not None else None
        runs = tuple(RunSpec(m, lesson.workers_for(m)) for m in lesson.models)
        return SessionRequest(lesson.plan_text, runs, switch)

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.stop()

    def _on_run_measured(self, _index: int, run: ModelRun) -> None:
        self._runs.append(run)
        self.timeline.end_live(run)
        self._show_captions(self.timeline.section_count() - 1, run)

    def _on_finished(self, doc: RunDocument) -> None:
        handle, self._handle = self._handle, None
        self._machine = dict(doc.machine)
        self._finish(complete=handle is not None and handle.state == RunState.FINISHED)
        self._update_buttons()

    def _finish(self, complete: bool) -> None:
        lesson = self._lesson
        if lesson is None:
            return
        self.metrics.set_runs(self._runs)
        self._verdicts = evaluate_all(lesson.claims, {r.model: r.metrics for r in self._runs}, self._machine)
        self.verdict_list.clear()
        for claim, verdict in zip(lesson.claims, self._verdicts, strict=True):
            if claim.hidden:
                continue
            item = QListWidgetItem(verdict_text(verdict))
            item.setForeground(QBrush(QColor(MARK_HEX[verdict.held])))
            self.verdict_list.addItem(item)
        self.judgement_label.setText(judgement(lesson.prediction, self.chosen(), self._verdicts) if complete else "")
        shown = [v for c, v in zip(lesson.claims, self._verdicts, strict=True) if not c.hidden]
        held = sum(1 for v in shown if v.held is True)
        applicable = sum(1 for v in shown if v.held is not None)
        if complete:
            self.status.setText(f"Done: {held} of {applicable} applicable claims held on this machine.")
            self.lesson_completed.emit(lesson.id)
        else:
            self.status.setText("Stopped: the claims below use what was measured before the stop.")

    # -- results --------------------------------------------------------------------------------
    def _clear_results(self) -> None:
        self.timeline.clear()
        self.metrics.clear()
        self.verdict_list.clear()
        self.judgement_label.setText("")
        self._captions = []
        self._verdicts = []
        self.caption_label.setText("")

    def _show_captions(self, index: int, run: ModelRun) -> None:
        unpinned = 0
        for caption in captions_for(run, self._plan):
            self._pin_caption(index, caption, unpinned)
            unpinned += caption.lane is None
            self._captions.append(f"{run.model}: {caption.text} (at {caption.t:.2f} s)")
        self.caption_label.setText("\n".join(f"• {c}" for c in self._captions))

    def _pin_caption(self, index: int, caption: Caption, nth_unpinned: int) -> None:
        """Draw a caption on the timeline at its time, on its lane (or the lag plot for the main loop);
        captions of no lane go one row apart so that close ones do not cover each other."""
        lanes_plot, lag_plot = self.timeline.plots(index)
        fill = pg.mkBrush(255, 255, 255, 210)
        text = pg.TextItem(caption.text, color=QColor("#202020"), fill=fill, anchor=(0, 0.5))
        if caption.lane == LOOP_LANE:
            plot, y = lag_plot, 0.0
            text.setAnchor((0, 1))
        else:
            labels = self.timeline.lane_labels(index)
            row = labels.index(caption.lane) if caption.lane in labels else nth_unpinned % max(len(labels), 1)
            plot, y = lanes_plot, float(row) + 0.5
        arrow = pg.ArrowItem(pos=(caption.t, y), angle=-90 if caption.lane == LOOP_LANE else 90,
                             headLen=9, brush=pg.mkBrush(NOW_HEX), pen=pg.mkPen(NOW_HEX))
        text.setPos(caption.t, y)
        plot.addItem(arrow)
        plot.addItem(text)

    def caption_texts(self) -> list[str]:
        return list(self._captions)

    def verdict_texts(self) -> list[str]:
        return [self.verdict_list.item(i).text() for i in range(self.verdict_list.count())]

    def verdicts(self) -> list[Verdict]:
        return list(self._verdicts)

    def judgement_text(self) -> str:
        return self.judgement_label.text()

    def runs(self) -> list[ModelRun]:
        return list(self._runs)

    def show_code(self) -> CodeDialog | None:
        """Open "Show as code" for this lesson's plan, on its first model other than sequential."""
        if self._lesson is None or self._plan is None:
            return None
        if self._code_dialog is not None:
            self._code_dialog.close()
            self._code_dialog.deleteLater()
        model = next((m for m in self._lesson.models if m != "sequential"), self._lesson.models[0])
        self._code_dialog = CodeDialog(self._plan, model, self._lesson.workers, self)
        self._code_dialog.show()
        return self._code_dialog

    def _update_buttons(self) -> None:
        self.run_button.setEnabled(self.can_run())
        self.stop_button.setEnabled(self.running)
        self.code_button.setEnabled(self._lesson is not None)
        self.prediction.set_locked(self.running)
        self.switch_ms.setEnabled(not self.running)
        waiting = self._lesson is not None and not self.prediction.is_answered
        self.run_button.setToolTip("Answer the prediction (or skip it) first" if waiting
                                   else "Run the lesson's plan under its models and check its claims")
