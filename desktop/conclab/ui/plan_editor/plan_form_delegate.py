"""Cell editors of the plan form: each one refuses bad values as they are typed.

Count is a spin box (1..MAX_TASKS), the name a line edit with the text form's name rule, durations a
line edit whose validator accepts only what the text form accepts ("200ms", "1.5 s"), kind and offload
combo boxes (each kind with its one-line explanation as tooltip). Combo choices commit at once.

A duration that is not one yet ("1", without its unit) cannot be committed: Enter keeps the editor open
and leaving the cell keeps the old value, and either way `refused` says why ("'1' has no unit — …").
"""

from __future__ import annotations

import re

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRegularExpression,
    Qt,
    Signal,
)
from PySide6.QtGui import QKeyEvent, QRegularExpressionValidator, QValidator
from PySide6.QtWidgets import (
    QComboBox,
    QLineEdit,
    QSpinBox,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from conclab.model.errors import PlanError
from conclab.model.plan import KIND_HELP, KINDS, MAX_TASKS
from conclab.model.plan_text import MAX_NAME_LEN
from conclab.ui.plan_editor.plan_draft import OFFSET_LIMIT_US, STEP_LIMIT_US, parse_duration
from conclab.ui.plan_editor.plan_form_model import (
    COL_AFTER,
    COL_COUNT,
    COL_DURATION,
    COL_EVERY,
    COL_KIND,
    COL_NAME,
    COL_OFFLOAD,
    HEADER_TIPS,
    HEADERS,
    OFFLOAD_LABELS,
)

Index = QModelIndex | QPersistentModelIndex
# What may still grow into a duration while typing: digits, a point, a partial unit.
_PARTIAL_RE = re.compile(r"\s*(?:[0-9]*\.?[0-9]*)\s*(?:u|us|m|ms|s)?\s*\Z")
NAME_PATTERN = rf"(?:[A-Za-z_][A-Za-z0-9_.\-]{{0,{MAX_NAME_LEN - 1}}})?"


class DurationValidator(QValidator):
    """Accepts what the text form accepts as a duration, up to `limit_us`; a partial entry is Intermediate."""

    def __init__(self, *, allow_zero: bool, limit_us: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.allow_zero = allow_zero
        self.limit_us = limit_us

    def validate(self, text: str, pos: int) -> QValidator.State:
        try:
            parse_duration(text, allow_zero=self.allow_zero, limit_us=self.limit_us)
        except PlanError:
            if _PARTIAL_RE.match(text):
                return QValidator.State.Intermediate
            return QValidator.State.Invalid
        return QValidator.State.Acceptable

    def problem(self, text: str) -> str:
        """Why `text` is not an acceptable duration ("" when it is)."""
        try:
            parse_duration(text, allow_zero=self.allow_zero, limit_us=self.limit_us)
        except PlanError as err:
            return str(err)
        return ""


def duration_problem(editor: QObject) -> str:
    """Why a duration editor's text cannot be committed ("" when it can, or when it is no duration editor)."""
    if isinstance(editor, QLineEdit) and isinstance(editor.validator(), DurationValidator):
        validator = editor.validator()
        assert isinstance(validator, DurationValidator)
        return "" if editor.hasAcceptableInput() else validator.problem(editor.text())
    return ""


def duration_edit(parent: QWidget, *, allow_zero: bool, limit_us: int, what: str) -> QLineEdit:
    """A line edit for one duration field, refusing anything the text form would not accept."""
    edit = QLineEdit(parent)
    edit.setValidator(DurationValidator(allow_zero=allow_zero, limit_us=limit_us, parent=edit))
    edit.setPlaceholderText("none" if allow_zero else "200ms")
    edit.setAccessibleName(what)
    edit.setToolTip(f"{what}: a number and a unit — us, ms or s (200ms, 1.5s)")
    return edit


def kind_combo(parent: QWidget) -> QComboBox:
    combo = QComboBox(parent)
    for i, kind in enumerate(KINDS):
        combo.addItem(kind, kind)
        combo.setItemData(i, f"{kind}: {KIND_HELP[kind]}", Qt.ItemDataRole.ToolTipRole)
    combo.setAccessibleName("Step kind")
    combo.setToolTip(HEADER_TIPS[COL_KIND])
    return combo


def offload_combo(parent: QWidget) -> QComboBox:
    combo = QComboBox(parent)
    tips = {
        "": "Run the step where its task runs",
        "thread": "Under asyncio: asyncio.to_thread — a worker thread runs it, the loop stays free",
        "process": "Under asyncio: run_in_executor on a process pool — another core runs it",
    }
    for i, (value, label) in enumerate(OFFLOAD_LABELS.items()):
        combo.addItem(label, value)
        combo.setItemData(i, tips[value], Qt.ItemDataRole.ToolTipRole)
    combo.setAccessibleName("Offload")
    combo.setToolTip(HEADER_TIPS[COL_OFFLOAD])
    return combo


class PlanFormDelegate(QStyledItemDelegate):
    """Creates the right editor for each column of the plan form and writes back only valid values;
    `refused(reason)` when a typed duration cannot be taken."""

    refused = Signal(str)

    def eventFilter(self, editor: QObject, event: QEvent) -> bool:
        enter = isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress and \
            event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter or event.type() == QEvent.Type.FocusOut:
            problem = duration_problem(editor)
            if problem:
                self.refused.emit(problem)
                if enter:
                    return True  # keep the editor open: the user can add the unit
        return super().eventFilter(editor, event)

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: Index) -> QWidget:
        col = index.column()
        if col == COL_COUNT:
            spin = QSpinBox(parent)
            spin.setRange(1, MAX_TASKS)
            spin.setAccessibleName("Count")
            spin.setToolTip(HEADER_TIPS[COL_COUNT])
            return spin
        if col == COL_NAME:
            edit = QLineEdit(parent)
            edit.setValidator(QRegularExpressionValidator(QRegularExpression(NAME_PATTERN), edit))
            edit.setPlaceholderText("unnamed")
            edit.setAccessibleName("Task name")
            edit.setToolTip(HEADER_TIPS[COL_NAME])
            return edit
        if col in (COL_AFTER, COL_EVERY, COL_DURATION):
            step = col == COL_DURATION
            return duration_edit(
                parent,
                allow_zero=not step,
                limit_us=STEP_LIMIT_US if step else OFFSET_LIMIT_US,
                what=HEADERS[col],
            )
        combo = kind_combo(parent) if col == COL_KIND else offload_combo(parent)
        combo.activated.connect(lambda _row, c=combo: self._on_choice_activated(c))
        return combo

    def _on_choice_activated(self, combo: QComboBox) -> None:
        self.commitData.emit(combo)

    def setEditorData(self, editor: QWidget, index: Index) -> None:
        value = index.data(Qt.ItemDataRole.EditRole)
        if isinstance(editor, QSpinBox):
            editor.setValue(int(value))
        elif isinstance(editor, QComboBox):
            editor.setCurrentIndex(max(0, editor.findData(value or "")))
        elif isinstance(editor, QLineEdit):
            editor.setText(str(value or ""))

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: Index) -> None:
        if isinstance(editor, QSpinBox):
            editor.interpretText()
            model.setData(index, editor.value())
        elif isinstance(editor, QComboBox):
            model.setData(index, editor.currentData())
        elif isinstance(editor, QLineEdit) and editor.hasAcceptableInput():
            model.setData(index, editor.text())
        elif duration_problem(editor):
            self.refused.emit(duration_problem(editor))

    def updateEditorGeometry(self, editor: QWidget, option: QStyleOptionViewItem, index: Index) -> None:
        rect = option.rect
        if isinstance(editor, QComboBox | QSpinBox):  # a narrow column must not cut the choice in half
            rect = rect.adjusted(0, 0, max(0, editor.sizeHint().width() - rect.width()), 0)
        editor.setGeometry(rect)
