"""The plan editor: a form tab and a text tab over the same plan, kept in step both ways.

Editing the form rewrites the text at once (the form is then the source, so the text is replaced);
typing in the text updates the form after a short pause, and only when the text parses. While the text
has an error the last valid plan stays in force: `plan()` returns it and the form keeps showing it.
Above the tabs, notes about the plan (an example's title and description) wrap to the panel's width.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QTabWidget, QToolButton, QVBoxLayout, QWidget

from conclab.model.errors import PlanError
from conclab.model.plan import Group, Plan, Step
from conclab.model.plan_text import format_plan, parse, validate_plan
from conclab.ui.plan_editor.plan_form_view import PlanFormView
from conclab.ui.plan_editor.plan_text_view import PlanTextView

DEFAULT_PLAN = Plan(
    (
        Group((Step("sleep", 1_000_000),), name="task1"),
        Group((Step("sleep", 2_000_000),), name="task2"),
    )
)
FORM_TAB, TEXT_TAB = 0, 1


class PlanEditorPanel(QWidget):
    """Edits one plan as a form and as text.

    Signals: `plan_changed(Plan)` for every new valid plan (from either tab, or a different plan given
    to `set_plan`); `validity_changed(bool)`, True when the text parses again, False when it stops
    parsing; `modified_changed(bool)` when the text starts or stops differing from the last loaded or
    saved one.
    """

    plan_changed = Signal(object)
    validity_changed = Signal(bool)
    modified_changed = Signal(bool)

    def __init__(self, plan: Plan | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        start = plan if plan is not None else DEFAULT_PLAN
        validate_plan(start)
        self._plan = start
        self._valid = True
        self._modified = False
        self.tabs = QTabWidget(self)
        self.form_view = PlanFormView(start, self)
        self.text_view = PlanTextView(self)
        self.form_banner = QLabel(self)
        self.notes = QLabel(self)
        self.notes_box = QFrame(self)
        self._build()
        self._saved_text = format_plan(start, multiline=True)
        self.text_view.set_text(self._saved_text, undoable=False)
        self._connect()

    def _build(self) -> None:
        self.form_banner.setAccessibleName("Text error notice")
        self.form_banner.setToolTip("The Text tab holds text that is not a valid plan")
        self.form_banner.setWordWrap(True)
        self.form_banner.setVisible(False)
        form_page = QWidget(self)
        form_layout = QVBoxLayout(form_page)
        form_layout.setContentsMargins(4, 4, 4, 4)
        form_layout.addWidget(self.form_banner)
        form_layout.addWidget(self.form_view, 1)
        self.tabs.addTab(form_page, "Form")
        self.tabs.addTab(self.text_view, "Text")
        self.tabs.setTabToolTip(FORM_TAB, "Edit the plan as a table of tasks and their steps")
        self.tabs.setTabToolTip(TEXT_TAB, "Edit the plan as text: one task per line")
        self.tabs.setAccessibleName("Plan editor")
        self.tabs.setToolTip("The plan: edit it as a form or as text; both stay in step")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._build_notes())
        layout.addWidget(self.tabs, 1)
        self.setAccessibleName("Plan editor")

    def _build_notes(self) -> QFrame:
        self.notes.setWordWrap(True)
        self.notes.setTextFormat(Qt.TextFormat.RichText)
        self.notes.setAccessibleName("About this plan")
        self.notes.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton(self.notes_box)
        close.setText("×")
        close.setAutoRaise(True)
        close.setToolTip("Hide these notes")
        close.setAccessibleName("Hide the notes")
        close.clicked.connect(lambda: self.notes_box.setVisible(False))
        self.notes_box.setFrameShape(QFrame.Shape.StyledPanel)
        self.notes_box.setObjectName("plan_notes")
        row = QHBoxLayout(self.notes_box)
        row.setContentsMargins(6, 4, 2, 4)
        row.addWidget(self.notes, 1)
        row.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.notes_box.setVisible(False)
        return self.notes_box

    def _connect(self) -> None:
        self.form_view.plan_edited.connect(self._on_form_edited)
        self.text_view.plan_parsed.connect(self._on_text_parsed)
        self.text_view.error_changed.connect(self._on_text_error_changed)
        self.text_view.text_edited.connect(self._on_text_edited)

    # -- public ----------------------------------------------------------------------------------

    def plan(self) -> Plan:
        """The last valid plan: typing bad text never loses it."""
        return self._plan

    def set_plan(self, plan: Plan, *, text: str | None = None) -> None:
        """Load a plan (and optionally its own text, comments and all) without marking it modified.

        Raises PlanError if the plan breaks the plan rules, or if `text` does not parse to `plan`.
        """
        validate_plan(plan)
        if text is None:
            text = format_plan(plan, multiline=True)
        elif parse(text) != plan:
            raise PlanError("the text given with the plan describes a different plan")
        changed = plan != self._plan
        self._plan = plan
        self.form_view.set_plan(plan)
        self.text_view.set_text(text, undoable=False)
        self._saved_text = text
        self._update_modified()
        if changed:
            self.plan_changed.emit(plan)

    def set_notes(self, title: str, about: str) -> None:
        """Show notes about the plan above it (word-wrapped); both empty hides them."""
        if not title and not about:
            self.notes.clear()
            self.notes_box.setVisible(False)
            return
        head = f"<b>{escape(title)}</b>" + (" — " if title and about else "")
        self.notes.setText(head + escape(about))
        self.notes_box.setVisible(True)

    def notes_text(self) -> str:
        """The notes shown above the plan, as plain text ("" when hidden)."""
        return self.notes.text() if self.notes_box.isVisibleTo(self) else ""

    def show_form(self) -> None:
        """Bring the form tab forward with the first task's name ready to edit."""
        self.tabs.setCurrentIndex(FORM_TAB)
        self.form_view.select((0, None))
        self.form_view.tree.setFocus()

    def ideal_width(self) -> int:
        """The width that shows every column of the form whole."""
        return self.form_view.ideal_width() + 2 * self.tabs.style().pixelMetric(
            self.tabs.style().PixelMetric.PM_DefaultFrameWidth) + 8 + 4

    def text(self) -> str:
        """The text tab's current text, valid or not."""
        return self.text_view.text()

    def is_modified(self) -> bool:
        return self._modified

    def mark_saved(self) -> None:
        """The current text is now the saved one: clears the modified flag."""
        self._saved_text = self.text()
        self._update_modified()

    def has_error(self) -> bool:
        return self.text_view.has_error()

    def error_text(self) -> str:
        """The text's parse error as "line L, col C: reason", or "" when it parses."""
        return self.text_view.error_text()

    def flush(self) -> None:
        """Parse typed text now instead of after the pause (before saving or running, and in tests)."""
        self.text_view.flush()

    def show_error(self) -> None:
        """Bring the text tab forward with the cursor on the error, if there is one."""
        self.tabs.setCurrentIndex(TEXT_TAB)
        self.text_view.focus_error()

    # -- reactions -------------------------------------------------------------------------------

    def _on_form_edited(self, plan: Plan) -> None:
        self._plan = plan
        self.text_view.set_text(format_plan(plan, multiline=True), undoable=True)
        self._update_modified()
        self.plan_changed.emit(plan)

    def _on_text_parsed(self, plan: Plan) -> None:
        if plan == self._plan:
            return
        self._plan = plan
        self.form_view.set_plan(plan)
        self.plan_changed.emit(plan)

    def _on_text_edited(self) -> None:
        self._update_modified()

    def _on_text_error_changed(self, message: str) -> None:
        valid = not message
        if valid:
            self.form_banner.setVisible(False)
        else:
            self.form_banner.setText(
                f"The text has an error ({message}). The form shows the last valid plan; "
                "editing it here replaces the text."
            )
            self.form_banner.setVisible(True)
        if valid != self._valid:
            self._valid = valid
            self.validity_changed.emit(valid)

    def _update_modified(self) -> None:
        modified = self.text() != self._saved_text
        if modified != self._modified:
            self._modified = modified
            self.modified_changed.emit(modified)
