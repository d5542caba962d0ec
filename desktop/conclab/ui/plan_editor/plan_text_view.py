"""The plan's text tab: a monospace editor that re-parses shortly after typing stops and shows errors inline.

A parse error appears under the editor (line, column, reason and any "did you mean" hint) and the
offending line is tinted with a red wavy underline on the offending token; the last valid plan stays in
force. Text set by the program (`set_text`) is taken as valid and never re-parsed.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor, QTextFormat
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QTextEdit, QVBoxLayout, QWidget

from conclab.model.errors import PlanError
from conclab.model.plan_text import parse
from conclab.ui.fonts import monospace_font

DEBOUNCE_MS = 250
EMPTY_REASON = "the plan has no tasks"
_ERROR_RED = QColor(200, 30, 30)
_LINE_TINT = QColor(255, 220, 220)
_TOKEN_ENDS = " \t,;:#"


class PlanTextView(QWidget):
    """Edits the plan as text; emits `plan_parsed` for each valid parse of typed text."""

    plan_parsed = Signal(object)
    error_changed = Signal(str)
    text_edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = QPlainTextEdit(self)
        self.error_label = QLabel(self)
        self._timer = QTimer(self)
        self._error: PlanError | None = None
        self._setting = False
        self._build()
        self.editor.textChanged.connect(self._on_text_changed)
        self._timer.timeout.connect(self._on_debounce_elapsed)
        self.error_label.linkActivated.connect(self._on_error_link_activated)

    def _build(self) -> None:
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        font = monospace_font()
        self.editor.setFont(font)
        self.editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.editor.setTabChangesFocus(True)
        self.editor.setAccessibleName("Plan text")
        self.editor.setToolTip(
            "One task per line: [COUNT x] [NAME:] [after DUR] [every DUR] KIND DUR [in thread|process], ...\n"
            "Example: 3x fetch: net 200ms, cpu 20ms   (# starts a comment)"
        )
        self.editor.setPlaceholderText("3x fetch: net 200ms, cpu 20ms\n2x crunch: cpu 300ms")
        self.error_label.setAccessibleName("Plan text error")
        self.error_label.setToolTip("Why the text is not a valid plan; the form keeps the last valid plan")
        self.error_label.setWordWrap(True)
        self.error_label.setTextFormat(Qt.TextFormat.RichText)
        self.error_label.setStyleSheet(f"color: {_ERROR_RED.name()};")
        self.error_label.setVisible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.editor, 1)
        layout.addWidget(self.error_label)

    # -- public ----------------------------------------------------------------------------------

    def text(self) -> str:
        return self.editor.toPlainText()

    def set_text(self, text: str, *, undoable: bool) -> None:
        """Replace the text without re-parsing it (the caller vouches for it) and clear any error.

        With `undoable`, the change joins the editor's undo history (an edit made in the form);
        otherwise the history restarts (a newly loaded plan).
        """
        self._timer.stop()
        self._setting = True
        try:
            if not undoable:
                self.editor.setPlainText(text)
            elif text != self.text():
                cursor = QTextCursor(self.editor.document())
                cursor.beginEditBlock()
                cursor.select(QTextCursor.SelectionType.Document)
                cursor.insertText(text)
                cursor.endEditBlock()
        finally:
            self._setting = False
        self._show_error(None)

    def flush(self) -> None:
        """Parse now if a parse is pending (the debounce timer is running); used by tests and on save."""
        if self._timer.isActive():
            self._timer.stop()
            self._reparse()

    def is_pending(self) -> bool:
        return self._timer.isActive()

    def has_error(self) -> bool:
        return self._error is not None

    def error(self) -> PlanError | None:
        return self._error

    def error_text(self) -> str:
        return str(self._error) if self._error is not None else ""

    # -- reactions -------------------------------------------------------------------------------

    def _on_text_changed(self) -> None:
        if self._setting:
            return
        self._timer.start()
        self.text_edited.emit()

    def _on_debounce_elapsed(self) -> None:
        self._reparse()

    def _reparse(self) -> None:
        try:
            plan = parse(self.text())
        except PlanError as err:
            self._show_error(err)
            return
        self._show_error(None)
        self.plan_parsed.emit(plan)

    def _on_error_link_activated(self, link: str) -> None:
        self.focus_error()

    def focus_error(self) -> None:
        """Put the cursor on the error's line and column (if it names one) and focus the editor."""
        if self._error is not None and self._error.line:
            self.editor.setTextCursor(self._cursor_at(self._error.line, self._error.col))
            self.editor.setFocus()

    # -- error display ---------------------------------------------------------------------------

    def _show_error(self, err: PlanError | None) -> None:
        changed = (err is None) != (self._error is None) or (
            err is not None and self._error is not None and str(err) != str(self._error)
        )
        self._error = err
        if err is None:
            self.error_label.clear()
            self.error_label.setVisible(False)
            self.editor.setExtraSelections([])
        else:
            self.error_label.setText(self._error_html(err))
            self.error_label.setVisible(True)
            self.editor.setExtraSelections(self._error_selections(err))
        if changed:
            self.error_changed.emit(self.error_text())

    @staticmethod
    def _error_html(err: PlanError) -> str:
        reason = err.reason.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        if not err.line and reason == EMPTY_REASON:
            return ("The plan is empty — type a task here, such as <code>3x fetch: net 200ms, cpu 20ms</code>, "
                    "or add one in the Form tab. Then press Run.")
        if not err.line:
            return f"Not a valid plan: {reason}"
        where = f"line {err.line}, column {err.col}"
        return f'Not a valid plan — <a href="#error">{where}</a>: {reason}'

    def _cursor_at(self, line: int, col: int) -> QTextCursor:
        block = self.editor.document().findBlockByNumber(max(line - 1, 0))
        cursor = QTextCursor(block)
        cursor.setPosition(block.position() + min(max(col - 1, 0), max(block.length() - 1, 0)))
        return cursor

    def _error_selections(self, err: PlanError) -> list[QTextEdit.ExtraSelection]:
        if not err.line:
            return []
        tint = QTextCharFormat()
        tint.setBackground(_LINE_TINT)
        tint.setProperty(QTextFormat.Property.FullWidthSelection, True)
        line = QTextEdit.ExtraSelection()
        line.format = tint
        line.cursor = self._cursor_at(err.line, err.col)
        wavy = QTextCharFormat()
        wavy.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
        wavy.setUnderlineColor(_ERROR_RED)
        token = QTextEdit.ExtraSelection()
        token.format = wavy
        token.cursor = self._token_cursor(err.line, err.col)
        return [line, token]

    def _token_cursor(self, line: int, col: int) -> QTextCursor:
        """A selection over the offending token; at a line's end, over its last character instead."""
        block = self.editor.document().findBlockByNumber(max(line - 1, 0))
        text = block.text()
        start = min(max(col - 1, 0), len(text))
        end = start
        while end < len(text) and (end == start or text[end] not in _TOKEN_ENDS):
            end += 1
        if start == end and start > 0:
            start -= 1
        cursor = QTextCursor(block)
        cursor.setPosition(block.position() + start)
        cursor.setPosition(block.position() + end, QTextCursor.MoveMode.KeepAnchor)
        return cursor
