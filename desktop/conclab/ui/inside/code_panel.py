"""The code, live: the script "Show as code" writes for the run's model, each task's line highlighted at t.

The line a task is on is the step it is in (`model/code_lines.py`); the line's background takes the
colour of the busiest state on it (running over ready over waiting), and the tasks on it are listed at
its end, each in its state's colour — the link between the code a learner would write and what it
does at this instant.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QTextCursor, QTextFormat
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QTextEdit, QVBoxLayout, QWidget

from conclab.model.code_lines import CodeLines, code_lines
from conclab.model.plan import Plan
from conclab.model.trace import State
from conclab.ui.fonts import monospace_font
from conclab.ui.inside.chip_item import text_color_on
from conclab.ui.inside.picture import Chip
from conclab.ui.palette import state_color

NAMES_PER_LINE = 3
# Which state colours a line when several tasks are on it: the one that uses the CPU first.
_RANK: dict[str, int] = {State.BLOCKING: 0, State.RUNNING: 1, State.READY_WAIT: 2, State.IO_WAIT: 3, State.QUEUED: 4}


@dataclass(frozen=True)
class CodeMark:
    """A task on a line of the script, in a state."""

    line: int
    name: str
    state: str


def code_marks(chips: Iterable[Chip], plan: Plan, lines: CodeLines) -> list[CodeMark]:
    """Where the tasks shown on chips are in the script (their own chips, not their offloaded work)."""
    specs = plan.tasks()
    out: list[CodeMark] = []
    for chip in chips:
        if chip.side or not 0 <= chip.task < len(specs):
            continue
        line = lines.line_of(specs[chip.task].group, chip.step)
        if line is not None:
            out.append(CodeMark(line, chip.name, chip.state))
    return out


class CodeTextView(QPlainTextEdit):
    """A read-only script whose marked lines are tinted and carry their tasks' names at the end."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setFont(monospace_font())
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the stepping arrows stay the panel's
        self.setAccessibleName("the script, with each task's line")
        self._by_line: dict[int, list[CodeMark]] = {}

    def set_marks(self, marks: list[CodeMark]) -> None:
        by_line: dict[int, list[CodeMark]] = {}
        for m in marks:
            by_line.setdefault(m.line, []).append(m)
        if by_line == self._by_line:
            return
        self._by_line = by_line
        selections = []
        for line, on in by_line.items():
            block = self.document().findBlockByNumber(line - 1)
            if not block.isValid():
                continue
            sel = QTextEdit.ExtraSelection()
            color = state_color(min((m.state for m in on), key=lambda s: _RANK.get(s, 9)))
            color.setAlphaF(0.28)
            sel.format.setBackground(color)
            sel.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
            sel.cursor = QTextCursor(block)
            selections.append(sel)
        self.setExtraSelections(selections)
        self.viewport().update()

    def marked_lines(self) -> dict[int, list[str]]:
        """The names on each marked line (1-based), as shown."""
        return {line: [m.name for m in on] for line, on in self._by_line.items()}

    def reveal(self, line: int) -> None:
        """Scroll so that `line` is in view (no scrolling when it already is)."""
        block = self.document().findBlockByNumber(line - 1)
        if not block.isValid():
            return
        top = self.blockBoundingGeometry(block).translated(self.contentOffset()).top()
        if 0 <= top <= self.viewport().height() - self.fontMetrics().height():
            return
        cursor = QTextCursor(block)
        self.setTextCursor(cursor)
        self.centerCursor()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self._by_line:
            return
        painter = QPainter(self.viewport())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        fm = self.fontMetrics()
        offset = self.contentOffset()
        for line, on in self._by_line.items():
            block = self.document().findBlockByNumber(line - 1)
            if not block.isValid():
                continue
            rect = self.blockBoundingGeometry(block).translated(offset)
            if rect.bottom() < 0 or rect.top() > self.viewport().height():
                continue
            names = [(m.name, state_color(m.state)) for m in on[:NAMES_PER_LINE]]
            if len(on) > NAMES_PER_LINE:
                names.append((f"+{len(on) - NAMES_PER_LINE}", QColor("#777777")))
            width = sum(fm.horizontalAdvance(name) + 14 for name, _ in names)
            # After the line's text, or over its end when that is out of view: the names always show.
            x = offset.x() + fm.horizontalAdvance(block.text()) + 3 * fm.horizontalAdvance(" ")
            x = max(0.0, min(x, self.viewport().width() - width - 4))
            for name, color in names:
                w = fm.horizontalAdvance(name) + 10
                chip = QRectF(x, rect.top() + 1, w, rect.height() - 2)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(color)
                painter.drawRoundedRect(chip, 4, 4)
                painter.setPen(text_color_on(color))
                painter.drawText(chip, int(Qt.AlignmentFlag.AlignCenter), name)
                x += w + 4
        painter.end()


class CodePanel(QWidget):
    """The generated script for the model shown inside, with a caption saying which model it is."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.caption = QLabel(self)
        self.caption.setWordWrap(True)
        self.text_view = CodeTextView(self)
        self._key: tuple[object, ...] | None = None
        self.lines: CodeLines | None = None
        self.plan: Plan | None = None
        box = QVBoxLayout(self)
        box.setContentsMargins(4, 4, 4, 4)
        box.addWidget(self.caption)
        box.addWidget(self.text_view, 1)
        self.setAccessibleName("Code panel")

    def show_code(self, plan: Plan | None, model: str, workers: int | None) -> None:
        """Show the script for `plan` under `model` (made again only when one of them changed)."""
        key = (plan, model, workers)
        if key == self._key:
            return
        self._key = key
        self.plan = plan
        if plan is None:
            self.lines = None
            self.text_view.setPlainText("")
            self.caption.setText("No plan: the run's plan text could not be read.")
            return
        try:
            self.lines = code_lines(plan, model, workers)
        except ValueError as exc:
            self.lines = None
            self.text_view.setPlainText("")
            self.caption.setText(f"No script for {model}: {exc}")
            return
        self.text_view.setPlainText(self.lines.script)
        self.text_view.set_marks([])
        self.caption.setText(f"<b>{model}</b> as code (“Show as code”): each task's line at this instant, "
                             "in its state's colour")

    def show_tasks(self, chips: Iterable[Chip]) -> None:
        """Highlight the lines of these tasks; bring the first running one into view."""
        if self.lines is None or self.plan is None:
            self.text_view.set_marks([])
            return
        marks = code_marks(chips, self.plan, self.lines)
        self.text_view.set_marks(marks)
        busy = sorted(marks, key=lambda m: _RANK.get(m.state, 9))
        if busy:
            self.text_view.reveal(busy[0].line)
