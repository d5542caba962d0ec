"""The form's item model: tasks (groups) as top-level rows, their steps as child rows, over a PlanDraft.

Task rows edit name, count, `after` and `every`; step rows edit kind, duration and offload. Values come
in as the text form spells them ("200ms", "thread"), are checked by the draft, and a refused value
leaves the model unchanged and reports why through `edit_refused`. Structural edits (add, remove,
duplicate, move) reset the model: simple, and cheap even at the plan's group limit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QFont, QPalette
from PySide6.QtWidgets import QApplication

from conclab.model.errors import PlanError
from conclab.model.plan import KIND_HELP, KINDS, OFFLOADS, Offload, Plan, Step, StepKind
from conclab.model.plan_text import format_duration
from conclab.ui.plan_editor.plan_draft import OFFSET_LIMIT_US, STEP_LIMIT_US, PlanDraft, parse_duration

COL_NAME, COL_COUNT, COL_AFTER, COL_EVERY, COL_KIND, COL_DURATION, COL_OFFLOAD = range(7)
HEADERS = ("Task / step", "Count", "After", "Every", "Kind", "Duration", "Offload")
HEADER_TIPS = (
    "The task's name (optional): letters, digits, '_', '-', '.'",
    "How many identical copies of this task run",
    "Start offset: the first copy starts this long after the run starts (200ms, 1.5s)",
    "Spacing: each further copy starts this long after the previous one (empty: all at once)",
    "What the step does: sleep, block, net, cpu or hash",
    "How long the step lasts (200ms, 1.5s, 250us)",
    "Under asyncio, hand the step to a worker thread or a process pool",
)
TASK_COLUMNS = (COL_NAME, COL_COUNT, COL_AFTER, COL_EVERY)
STEP_COLUMNS = (COL_KIND, COL_DURATION, COL_OFFLOAD)
OFFLOAD_LABELS: dict[str, str] = {"": "none", "thread": "in thread", "process": "in process"}

Index = QModelIndex | QPersistentModelIndex
T = TypeVar("T")
_DISPLAY = Qt.ItemDataRole.DisplayRole
_TOP = 0  # internal id of task rows; step rows carry their task's row + 1


def _kind(text: str) -> StepKind:
    for k in KINDS:
        if k == text:
            return k
    raise PlanError(f"unknown step kind '{text}' — expected one of {', '.join(KINDS)}")


def _offload(text: str) -> Offload | None:
    word = text.strip().removeprefix("in ").strip()
    if word in ("", "none"):
        return None
    for o in OFFLOADS:
        if o == word:
            return o
    raise PlanError(f"unknown offload '{text}' — expected none, thread or process")


class PlanFormModel(QAbstractItemModel):
    """A two-level tree model over the form's draft plan; every accepted edit emits `plan_edited`."""

    plan_edited = Signal(object)
    edit_refused = Signal(str)

    def __init__(self, plan: Plan, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._draft = PlanDraft(plan)

    # -- reading ---------------------------------------------------------------------------------

    def plan(self) -> Plan:
        return self._draft.plan()

    def draft(self) -> PlanDraft:
        return self._draft

    @staticmethod
    def position(index: Index) -> tuple[int, int | None]:
        """(task row, step row or None) of a valid index."""
        owner = index.internalId()
        return (owner - 1, index.row()) if owner != _TOP else (index.row(), None)

    def task_index(self, gi: int, column: int = 0) -> QModelIndex:
        return self.index(gi, column)

    def step_index(self, gi: int, si: int, column: int = COL_KIND) -> QModelIndex:
        return self.index(si, column, self.index(gi, 0))

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        if not self.hasIndex(row, column, parent):
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, _TOP)
        return self.createIndex(row, column, parent.row() + 1)

    def parent(self, child: Index | None = None) -> Any:
        if child is None:
            return QObject.parent(self)
        if not child.isValid() or child.internalId() == _TOP:
            return QModelIndex()
        return self.createIndex(child.internalId() - 1, 0, _TOP)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if not parent.isValid():
            return self._draft.group_count()
        if parent.internalId() == _TOP and parent.column() == 0:
            return len(self._draft.group(parent.row()).steps)
        return 0

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(HEADERS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return HEADER_TIPS[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        editable = STEP_COLUMNS if self.position(index)[1] is not None else TASK_COLUMNS
        return base | Qt.ItemFlag.ItemIsEditable if index.column() in editable else base

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        gi, si = self.position(index)
        if si is None:
            return self._task_data(gi, index.column(), role)
        return self._step_data(gi, si, index.column(), role)

    def _task_data(self, gi: int, col: int, role: int) -> Any:
        group = self._draft.group(gi)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            edit = role == Qt.ItemDataRole.EditRole
            if col == COL_NAME:
                return group.name or ("" if edit else f"task{gi + 1}")
            if col == COL_COUNT:
                return group.count if edit else f"{group.count}×"
            if col in (COL_AFTER, COL_EVERY):
                us = group.after_us if col == COL_AFTER else group.every_us
                return format_duration(us) if us else ""
            if col == COL_KIND and not edit:
                n = len(group.steps)
                return f"{n} step" if n == 1 else f"{n} steps"
            if col == COL_DURATION and not edit:
                return format_duration(sum(s.duration_us for s in group.steps))
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == COL_DURATION:
                return "Length of one copy of this task: the sum of its steps"
            if col == COL_NAME and group.name is None:
                return "Unnamed task: runs as " + f"'task{gi + 1}'. Press F2 to name it."
            return HEADER_TIPS[col] if col in TASK_COLUMNS else None
        if role == Qt.ItemDataRole.FontRole and col == COL_NAME:
            font = QFont()
            font.setBold(True)
            font.setItalic(group.name is None)
            return font
        if role == Qt.ItemDataRole.ForegroundRole and (
            col in (COL_KIND, COL_DURATION) or (col == COL_NAME and group.name is None)
        ):
            return QBrush(QApplication.palette().color(QPalette.ColorRole.PlaceholderText))
        return None

    def _step_data(self, gi: int, si: int, col: int, role: int) -> Any:
        step = self._draft.group(gi).steps[si]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            edit = role == Qt.ItemDataRole.EditRole
            if col == COL_NAME and not edit:
                return f"step {si + 1}"
            if col == COL_KIND:
                return step.kind
            if col == COL_DURATION:
                return format_duration(step.duration_us)
            if col == COL_OFFLOAD:
                return (step.offload or "") if edit else OFFLOAD_LABELS[step.offload or ""]
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == COL_KIND:
                return f"{step.kind}: {KIND_HELP[step.kind]}"
            return HEADER_TIPS[col] if col in STEP_COLUMNS else None
        if role == Qt.ItemDataRole.ForegroundRole and col == COL_NAME:
            return QBrush(QApplication.palette().color(QPalette.ColorRole.PlaceholderText))
        return None

    # -- editing ---------------------------------------------------------------------------------

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not self.flags(index) & Qt.ItemFlag.ItemIsEditable:
            return False
        gi, si = self.position(index)
        try:
            if si is None:
                changed = self._set_task_value(gi, index.column(), value)
            else:
                changed = self._set_step_value(gi, si, index.column(), value)
        except PlanError as err:
            self.edit_refused.emit(str(err))
            return False
        if not changed:
            return True
        last = len(HEADERS) - 1
        if si is None:
            self.dataChanged.emit(self.task_index(gi, 0), self.task_index(gi, last))
        else:  # the task row shows the summed length of its steps, so it changes too
            self.dataChanged.emit(self.step_index(gi, si, 0), self.step_index(gi, si, last))
            self.dataChanged.emit(self.task_index(gi, 0), self.task_index(gi, last))
        self.plan_edited.emit(self.plan())
        return True

    def _set_task_value(self, gi: int, col: int, value: Any) -> bool:
        old = group = self._draft.group(gi)
        if col == COL_NAME:
            name = str(value).strip()
            group = replace(group, name=name or None)
        elif col == COL_COUNT:
            try:
                count = int(value)
            except (TypeError, ValueError) as err:
                raise PlanError(f"the count '{value}' must be a whole number") from err
            group = replace(group, count=count)
        else:
            us = parse_duration(str(value), allow_zero=True, limit_us=OFFSET_LIMIT_US)
            group = replace(group, after_us=us) if col == COL_AFTER else replace(group, every_us=us)
        if group == old:
            return False
        self._draft.replace_group(gi, group)
        return True

    def _set_step_value(self, gi: int, si: int, col: int, value: Any) -> bool:
        old = step = self._draft.group(gi).steps[si]
        if col == COL_KIND:
            step = replace(step, kind=_kind(str(value)))
        elif col == COL_DURATION:
            us = parse_duration(str(value), allow_zero=False, limit_us=STEP_LIMIT_US)
            step = replace(step, duration_us=us)
        else:
            step = replace(step, offload=_offload(str(value)))
        if step == old:
            return False
        self._draft.replace_step(gi, si, step)
        return True

    def load(self, plan: Plan) -> None:
        """Show another plan (from the text tab or a file); emits nothing but the reset."""
        self.beginResetModel()
        self._draft.load(plan)
        self.endResetModel()

    def restructure(self, edit: Callable[[], T]) -> T | None:
        """Run one structural draft edit inside a model reset; None (and `edit_refused`) if refused."""
        self.beginResetModel()
        try:
            result = edit()
        except PlanError as err:
            self.endResetModel()
            self.edit_refused.emit(str(err))
            return None
        self.endResetModel()
        self.plan_edited.emit(self.plan())
        return result

    def step(self, gi: int, si: int) -> Step:
        return self._draft.group(gi).steps[si]
