"""The plan form: a tree of tasks and their steps with buttons, shortcuts and a context menu to edit it.

Add task (Ctrl+T), Add step (Ctrl+Shift+T), Remove (Del), Duplicate (Ctrl+D), Move up/down (Alt+Up,
Alt+Down) act on the current row, task or step. Every accepted edit emits `plan_edited` with the new,
valid Plan; a refused one (the last step of a task, a limit) shows why under the tree.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QFontMetrics, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from conclab.model.plan import Plan
from conclab.ui.plan_editor.plan_form_delegate import PlanFormDelegate
from conclab.ui.plan_editor.plan_form_model import (
    COL_KIND,
    COL_NAME,
    HEADERS,
    STEP_COLUMNS,
    TASK_COLUMNS,
    PlanFormModel,
)

Position = tuple[int, int | None]
# The widest value each column usually shows: columns are sized to these in the tree's own font, so the
# form fits its column at any font size or screen scale.
_COLUMN_SAMPLES = ("request-1", "1000×", "1.5s", "200ms", "10 steps", "1.25s", "in process")
_CELL_PADDING = 14
_EDIT_TRIGGERS = (
    QAbstractItemView.EditTrigger.DoubleClicked
    | QAbstractItemView.EditTrigger.EditKeyPressed
    | QAbstractItemView.EditTrigger.AnyKeyPressed
    | QAbstractItemView.EditTrigger.SelectedClicked
)


class PlanFormView(QWidget):
    """Edits a plan as a tree: tasks (name, count, after, every) over steps (kind, duration, offload)."""

    plan_edited = Signal(object)

    def __init__(self, plan: Plan, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = PlanFormModel(plan, self)
        self.tree = QTreeView(self)
        self.message = QLabel(self)
        self.actions_by_name: dict[str, QAction] = {}
        self._build_tree()
        self._build_actions()
        self._build_layout()
        self._connect()
        self._after_reset((0, None), COL_NAME)

    # -- building --------------------------------------------------------------------------------

    def _build_tree(self) -> None:
        tree = self.tree
        tree.setModel(self.model)
        self.delegate = PlanFormDelegate(tree)
        tree.setItemDelegate(self.delegate)
        tree.setIndentation(QFontMetrics(tree.font()).height())
        tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        tree.setEditTriggers(_EDIT_TRIGGERS)
        tree.setUniformRowHeights(True)
        tree.setAlternatingRowColors(True)
        tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        tree.setAccessibleName("Plan tasks and steps")
        tree.setToolTip(
            "Tasks and their steps. F2 or typing edits a cell; Ctrl+T adds a task, Ctrl+Shift+T a step, "
            "Del removes, Ctrl+D duplicates, Alt+Up/Alt+Down move."
        )
        header = tree.header()
        header.setStretchLastSection(False)
        for col, width in enumerate(self.column_widths()):
            tree.setColumnWidth(col, width)
        header.setMinimumSectionSize(min(self.column_widths()))
        header.setSectionResizeMode(COL_NAME, QHeaderView.ResizeMode.Stretch)
        self.message.setAccessibleName("Form message")
        self.message.setWordWrap(True)
        self.message.setVisible(False)

    def _build_actions(self) -> None:
        specs: list[tuple[str, str, str, str, Callable[[], None]]] = [
            ("add_task", "Add task", "Ctrl+T", "Add a task after the current one", self._on_add_task),
            ("add_step", "Add step", "Ctrl+Shift+T", "Add a step after the current one", self._on_add_step),
            ("remove", "Remove", "Del", "Remove the current task or step", self._on_remove),
            ("duplicate", "Duplicate", "Ctrl+D", "Duplicate the current task or step", self._on_duplicate),
            ("move_up", "Move up", "Alt+Up", "Move the current task or step up", self._on_move_up),
            ("move_down", "Move down", "Alt+Down", "Move the current task or step down", self._on_move_down),
        ]
        for name, text, keys, tip, handler in specs:
            action = QAction(text, self)
            action.setObjectName(name)
            action.setShortcut(QKeySequence(keys))
            action.setToolTip(f"{tip} ({keys})")
            action.triggered.connect(handler)
            if name == "remove":
                # Del must stay a text key inside open cell editors: only the tree itself owns it.
                action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
                self.tree.addAction(action)
            else:
                action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
                self.addAction(action)
            self.actions_by_name[name] = action

    def _build_layout(self) -> None:
        buttons = QHBoxLayout()
        for action in self.actions_by_name.values():
            button = QToolButton(self)
            button.setDefaultAction(action)
            button.setAccessibleName(action.text())
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.message)

    def _connect(self) -> None:
        self.model.plan_edited.connect(self._on_model_edited)
        self.model.edit_refused.connect(self._on_edit_refused)
        self.delegate.refused.connect(self._on_edit_refused)
        self.tree.selectionModel().currentChanged.connect(self._on_current_changed)
        self.tree.customContextMenuRequested.connect(self._on_context_menu_requested)

    # -- public ----------------------------------------------------------------------------------

    def plan(self) -> Plan:
        return self.model.plan()

    def column_widths(self) -> list[int]:
        """Each column's width: its title or its usual widest value, whichever is wider, with padding."""
        cells = QFontMetrics(self.tree.font())
        titles = QFontMetrics(self.tree.header().font())
        widths = [max(titles.horizontalAdvance(h), cells.horizontalAdvance(v)) + _CELL_PADDING
                  for h, v in zip(HEADERS, _COLUMN_SAMPLES, strict=True)]
        widths[COL_NAME] += self.tree.indentation()
        return widths

    def ideal_width(self) -> int:
        """The width that shows every column whole, without a horizontal scroll bar."""
        tree = self.tree
        return sum(self.column_widths()) + 2 * tree.frameWidth() + tree.verticalScrollBar().sizeHint().width()

    def set_plan(self, plan: Plan) -> None:
        """Show another plan, keeping the cursor near where it was; emits nothing."""
        where = self.current_position()
        column = max(self.tree.currentIndex().column(), 0)
        self.model.load(plan)
        self._after_reset(where or (0, None), column)

    def current_position(self) -> Position | None:
        index = self.tree.currentIndex()
        return self.model.position(index) if index.isValid() else None

    def select(self, where: Position, column: int | None = None) -> None:
        """Make a task (gi, None) or step (gi, si) current, clamped to what exists."""
        gi, si = where
        count = self.model.rowCount()
        if count == 0:
            return
        gi = max(0, min(gi, count - 1))
        if si is None:
            index = self.model.task_index(gi, COL_NAME if column is None else column)
        else:
            steps = self.model.rowCount(self.model.task_index(gi))
            si = max(0, min(si, steps - 1))
            index = self.model.step_index(gi, si, COL_KIND if column is None else column)
        self.tree.setCurrentIndex(index)
        self.tree.scrollTo(index)

    def context_menu(self) -> QMenu:
        """The menu shown on right click: the same actions as the buttons."""
        menu = QMenu(self)
        menu.setAccessibleName("Plan form actions")
        for name, action in self.actions_by_name.items():
            if name in ("remove", "move_up"):
                menu.addSeparator()
            menu.addAction(action)
        return menu

    # -- editing ---------------------------------------------------------------------------------

    def _apply(self, edit: Callable[[], Position], column: int | None = None) -> None:
        self.tree.setFocus()  # an open cell editor commits on losing focus, before the rows change
        before = self.current_position() or (0, None)
        column = self.tree.currentIndex().column() if column is None else column
        where = self.model.restructure(edit)
        self._after_reset(where if where is not None else before, column)

    def _after_reset(self, where: Position, column: int) -> None:
        self.tree.expandAll()
        task_col = column if column in TASK_COLUMNS else COL_NAME
        step_col = column if column in STEP_COLUMNS else COL_KIND
        self.select(where, task_col if where[1] is None else step_col)
        self._update_actions()

    def _target(self) -> Position:
        return self.current_position() or (self.model.rowCount() - 1, None)

    def _on_add_task(self) -> None:
        gi, _ = self._target()
        self._apply(lambda: (self.model.draft().add_group(gi + 1), None), COL_NAME)

    def _on_add_step(self) -> None:
        gi, si = self._target()
        at = len(self.model.draft().group(gi).steps) if si is None else si + 1
        self._apply(lambda: (gi, self.model.draft().add_step(gi, at)), COL_KIND)

    def _on_remove(self) -> None:
        gi, si = self._target()
        draft = self.model.draft()

        def edit() -> Position:
            if si is None:
                draft.remove_group(gi)
                return (min(gi, draft.group_count() - 1), None)
            draft.remove_step(gi, si)
            return (gi, min(si, len(draft.group(gi).steps) - 1))

        self._apply(edit)

    def _on_duplicate(self) -> None:
        gi, si = self._target()
        draft = self.model.draft()

        def edit() -> Position:
            return (draft.duplicate_group(gi), None) if si is None else (gi, draft.duplicate_step(gi, si))

        self._apply(edit)

    def _move(self, delta: int) -> None:
        gi, si = self._target()
        draft = self.model.draft()

        def edit() -> Position:
            if si is None:
                return (draft.move_group(gi, delta), None)
            return (gi, draft.move_step(gi, si, delta))

        self._apply(edit)

    def _on_move_up(self) -> None:
        self._move(-1)

    def _on_move_down(self) -> None:
        self._move(1)

    # -- reactions -------------------------------------------------------------------------------

    def _update_actions(self) -> None:
        where = self.current_position()
        has_current = where is not None
        for name in ("remove", "duplicate", "move_up", "move_down"):
            self.actions_by_name[name].setEnabled(has_current)

    def _on_model_edited(self, plan: Plan) -> None:
        self.message.setVisible(False)
        self.plan_edited.emit(plan)

    def _on_edit_refused(self, reason: str) -> None:
        self.message.setText(f"Not changed: {reason}")
        self.message.setVisible(True)

    def _on_current_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        self._update_actions()

    def _on_context_menu_requested(self, pos: QPoint) -> None:
        index = self.tree.indexAt(pos)
        if index.isValid():
            self.tree.setCurrentIndex(index)
        menu = self.context_menu()
        menu.exec(self.tree.viewport().mapToGlobal(pos))
        menu.deleteLater()
