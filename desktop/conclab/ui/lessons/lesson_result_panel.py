"""What a lesson's run showed, as the lesson page lists it after the run: each claim's verdict (its mark in
colour, the sentence with the measured numbers and what was checked), the prediction's result, one line
on the whole, the lesson's explanation (only after a complete run) and, when some runs could not be made
here, the lesson's saved run — always under a heading that says it was measured elsewhere.

Every verdict and sentence comes from `conclab.model.lesson_result`; this panel only lays them out.
"""

from __future__ import annotations

from html import escape
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QGroupBox, QLabel, QVBoxLayout, QWidget

from conclab.model.claims import Verdict
from conclab.model.lesson_result import LessonResult
from conclab.ui.palette import BEST_HEX, FREEZE_HEX, UNKNOWN_HEX
from conclab.ui.shell.run_handle import RunState

MARK_HEX = {True: BEST_HEX, False: FREEZE_HEX, None: UNKNOWN_HEX}
SAVED_TITLE = "Saved run, measured elsewhere"


def _label(parent: QWidget, name: str, rich: bool = False) -> QLabel:
    label = QLabel("", parent)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setAccessibleName(name)
    return label


def _heading(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    font = label.font()
    font.setBold(True)
    font.setPointSizeF(font.pointSizeF() * 1.1)
    label.setFont(font)
    return label


def verdict_html(verdict: Verdict) -> str:
    """The verdict's sentence, then (in grey) what was checked or why the claim was not checked."""
    grey = f'<span style="color:{UNKNOWN_HEX}">'
    if verdict.held is None:
        return f"not applicable here: {escape(verdict.reason)}<br>{grey}the claim: {escape(verdict.sentence)}</span>"
    return f"{escape(verdict.sentence)}<br>{grey}checked: {escape(verdict.check)}</span>"


class _VerdictList(QWidget):
    """The shown claims' verdicts, one row each: the mark in its colour, then the wrapped text."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setColumnStretch(1, 1)
        self._lines: list[str] = []
        self._marks: list[QLabel] = []
        self.setAccessibleName("Claims")

    def set_verdicts(self, verdicts: tuple[Verdict, ...]) -> None:
        while self._grid.count():
            item = self._grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self._lines = [v.line for v in verdicts]
        self._marks = []
        for row, verdict in enumerate(verdicts):
            mark = QLabel(verdict.mark, self)
            mark.setStyleSheet(f"color: {MARK_HEX[verdict.held]}; font-weight: bold;")
            mark.setToolTip({True: "held", False: "did not hold", None: "not checked"}[verdict.held])
            text = _label(self, verdict.line, rich=True)
            text.setText(verdict_html(verdict))
            self._grid.addWidget(mark, row, 0, Qt.AlignmentFlag.AlignTop)
            self._grid.addWidget(text, row, 1)
            self._marks.append(mark)

    def lines(self) -> list[str]:
        return list(self._lines)

    def mark_colors(self) -> list[str]:
        return [m.palette().color(m.foregroundRole()).name().upper() for m in self._marks]


class LessonResultPanel(QWidget):
    """The results of the page's last run; empty (and hidden by the page) until a run ends."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.heading = _heading("What was measured", self)
        self.verdicts = _VerdictList(self)
        self.prediction = _label(self, "Prediction result")
        self.status = _label(self, "Result")
        self.explanation_heading = _heading("Why", self)
        self.explanation = QLabel("", self)
        self.explanation.setWordWrap(True)
        self.explanation.setTextFormat(Qt.TextFormat.MarkdownText)
        self.explanation.setOpenExternalLinks(True)
        self.explanation.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.explanation.setAccessibleName("Explanation")
        self.saved = QGroupBox(SAVED_TITLE, self)
        self.saved_where = _label(self.saved, "Where the saved run was measured")
        self.saved_verdicts = _VerdictList(self.saved)
        self.saved_prediction = _label(self.saved, "Prediction against the saved run")
        box = QVBoxLayout(self.saved)
        for w in (self.saved_where, self.saved_verdicts, self.saved_prediction):
            box.addWidget(w)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        parts: tuple[QWidget, ...] = (self.heading, self.verdicts, self.prediction, self.status, self.saved,
                                      self.explanation_heading, self.explanation)
        for widget in parts:
            layout.addWidget(widget)
        self.setAccessibleName("Lesson result")
        self.clear()

    def clear(self) -> None:
        self.verdicts.set_verdicts(())
        self.saved_verdicts.set_verdicts(())
        for label in (self.prediction, self.status, self.explanation, self.saved_where, self.saved_prediction):
            label.setText("")
        for w in (self.saved, self.explanation_heading, self.explanation):
            w.hide()

    def show_result(self, result: LessonResult, state: RunState, error: str = "") -> None:
        """Lay out `result` of a run that ended in `state`. Only a run that finished judges the prediction
        and opens the explanation; a stopped or failed one shows what was measured and says so."""
        self.verdicts.set_verdicts(result.shown)
        said = self._said(result)
        if state == RunState.FINISHED:
            self.prediction.setText(result.prediction.sentence if result.prediction is not None else "")
            self.status.setText(result.status)
        else:
            why = "the run was stopped" if state == RunState.STOPPED else "the run failed"
            self.prediction.setText(f"{said}Your prediction is not judged: {why} before every run finished."
                                    if result.prediction is not None else "")
            self.status.setText("Stopped: the claims above use only what was measured before the stop."
                                if state == RunState.STOPPED else
                                f"The run failed ({error}): the claims above use what was measured before it.")
        self.prediction.setVisible(bool(self.prediction.text()))
        explanation = result.lesson.explanation if state == RunState.FINISHED else ""
        self.explanation.setText(explanation)
        self.explanation_heading.setVisible(bool(explanation))
        self.explanation.setVisible(bool(explanation))

    def show_saved(self, result: LessonResult, machine: dict[str, Any], unmade: list[str]) -> None:
        """The lesson's saved run, judged like a run made here but titled and worded as measured elsewhere."""
        cpus = machine.get("cpus")
        where = ", ".join(p for p in (f"{cpus} CPU cores" if cpus else "", str(machine.get("platform", "") or ""),
                                      f"Python {machine['python']}" if machine.get("python") else "") if p)
        self.saved_where.setText(f"{', '.join(unmade)} could not be made on this machine, so here is a run of "
                                 f"this lesson measured on another one{f' ({where})' if where else ''}. Its "
                                 "numbers are that machine's, not this one's.")
        self.saved_verdicts.set_verdicts(result.shown)
        sentence = result.prediction.sentence if result.prediction is not None else ""
        self.saved_prediction.setText(f"Against the saved run: {sentence}" if sentence else "")
        self.saved.show()

    def show_saved_problem(self, problem: str) -> None:
        """Say why the lesson's saved run cannot be shown."""
        self.saved_where.setText(problem)
        self.saved.show()

    @staticmethod
    def _said(result: LessonResult) -> str:
        p = result.prediction
        if p is None or p.chosen is None:
            return ""
        return f"You said “{p.choices[p.chosen]}”. "

    # -- what is shown, as text -------------------------------------------------------------------
    def verdict_texts(self) -> list[str]:
        return self.verdicts.lines()

    def saved_texts(self) -> list[str]:
        return self.saved_verdicts.lines() if self.saved.isVisibleTo(self) else []
