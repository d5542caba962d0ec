"""The lessons dock and its menu, added to a main window from outside: `install_lessons(window, store)`.

The dock holds the lessons list and one lesson page; the "&Lessons" menu (object name `lessons_menu`, just
before the Help menu) opens each lesson and shows the main window's current plan as code. Lessons run on
the window's own run controller. The dock puts the list above the page when it is too narrow for both
side by side (the main window decides how wide it opens).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence, QResizeEvent
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QSplitter, QWidget

from conclab.model.errors import ConclabError
from conclab.model.lessons import Lesson
from conclab.model.plan import Plan
from conclab.model.run import RunDocument
from conclab.ui.exports.export_dialog import ExportDialog
from conclab.ui.lessons.lesson_page_view import LessonPageView
from conclab.ui.lessons.lessons_panel import LessonsPanel
from conclab.ui.plan_editor.code_dialog import CodeDialog
from conclab.ui.shell.run_controller import RunController

if TYPE_CHECKING:
    from pathlib import Path

CODE_SHORTCUT = "Ctrl+Shift+C"
PANEL_SHORTCUT = "Ctrl+Shift+L"
SIDE_BY_SIDE_MIN = 820  # narrower than this, the list goes above the page


class LessonsDock(QDockWidget):
    """A dock with the lessons list beside the open lesson's page."""

    def __init__(self, controller: RunController, store: QSettings, folder: Path | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__("Lessons", parent)
        self.setObjectName("lessons_dock")
        self.setAllowedAreas(Qt.DockWidgetArea.AllDockWidgetAreas)
        self.store = store
        self.panel = LessonsPanel(store, folder, self)
        self.page = LessonPageView(controller, self)
        self.page.timeline.fit_action.setObjectName("lesson_fit_timeline")
        split = self.split = QSplitter(Qt.Orientation.Horizontal, self)
        split.setObjectName("lessons_splitter")
        split.addWidget(self.panel)
        split.addWidget(self.page)
        split.setStretchFactor(1, 1)
        split.setChildrenCollapsible(False)
        split.setSizes([260, 900])
        self.setWidget(split)
        self.setMinimumWidth(min(480, self.page.minimumSizeHint().width() + 40))
        self.setAccessibleName("Lessons")
        self.menu: _LessonsMenu | None = None
        self.panel.lesson_chosen.connect(self._on_lesson_chosen)
        self.page.lesson_completed.connect(self.panel.mark_done)

    def open_lesson(self, lesson_id: str) -> bool:
        """Show the dock and open a lesson by id; False when there is no such lesson or a run is going."""
        self.show()
        self.raise_()
        if not self.panel.select(lesson_id):
            return False
        current = self.page.lesson()
        return current is not None and current.id == lesson_id

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        side_by_side = event.size().width() >= SIDE_BY_SIDE_MIN
        orientation = Qt.Orientation.Horizontal if side_by_side else Qt.Orientation.Vertical
        if self.split.orientation() != orientation:
            self.split.setOrientation(orientation)
            list_size = 260 if side_by_side else min(200, max(120, event.size().height() // 4))
            self.split.setSizes([list_size, 10_000])

    def _on_lesson_chosen(self, lesson: Lesson) -> None:
        self.page.set_lesson(lesson)

    def shutdown(self) -> None:
        """Stop this page's run and close its views (their repaint timers stop with them)."""
        self.page.stop()
        self.page.timeline.close()


class _LessonsMenu:
    """Builds the "&Lessons" menu of a main window and handles its actions."""

    def __init__(self, window: QMainWindow, dock: LessonsDock) -> None:
        self.window = window
        self.dock = dock
        self.code_dialog: CodeDialog | None = None
        self.menu = QMenu("&Lessons", window)
        self.menu.setObjectName("lessons_menu")
        self.menu.setToolTipsVisible(True)
        bar = window.menuBar()
        help_menu = bar.findChild(QMenu, "help_menu") or window.findChild(QMenu, "help_menu")
        if help_menu is not None:
            bar.insertMenu(help_menu.menuAction(), self.menu)
        else:
            bar.addMenu(self.menu)
        toggle = dock.toggleViewAction()
        toggle.setText("Lessons &panel")
        toggle.setObjectName("lessons_panel")
        toggle.setShortcut(QKeySequence(PANEL_SHORTCUT))
        toggle.setStatusTip("Show or hide the lessons beside the plan")
        self.menu.addAction(toggle)
        self.menu.addSeparator()
        for n, lesson in enumerate(dock.panel.lessons(), 1):
            act = QAction(f"&{n}. {lesson.title}" if n < 10 else f"{n}. {lesson.title}", window)
            act.setObjectName(f"lesson_{lesson.id}")
            act.setData(lesson.id)
            act.setStatusTip(f"Open the lesson “{lesson.title}”")
            act.triggered.connect(lambda _=False, lid=lesson.id: dock.open_lesson(lid))
            self.menu.addAction(act)
        for err in dock.panel.errors():
            act = QAction(f"⚠ {err.path.name} cannot be used", window)
            act.setToolTip(str(err))
            act.setStatusTip(str(err))
            act.setEnabled(False)
            self.menu.addAction(act)
        self.menu.addSeparator()
        self.code_action = QAction("Show as &code…", window)
        self.code_action.setObjectName("show_code")
        self.code_action.setShortcut(QKeySequence(CODE_SHORTCUT))
        self.code_action.setStatusTip("A standalone Python script that runs the current plan under a model")
        self.code_action.triggered.connect(self.show_code)
        self.menu.addAction(self.code_action)
        self.export_action = QAction("&Export lesson page…", window)
        self.export_action.setObjectName("export_lesson_page")
        self.export_action.setStatusTip("Export the lesson's timelines, metrics and verdicts as one picture")
        self.export_action.triggered.connect(self.export_page)
        self.menu.addAction(self.export_action)

    def export_page(self) -> ExportDialog | None:
        """Open the export dialog on the lesson's whole page: its text, prediction, timelines with captions,
        verdicts and metrics, laid out from the lesson and its runs (not grabbed from the dock)."""
        from conclab.engines.machine import machine_info
        from conclab.model.lesson_result import lesson_result

        page = self.dock.page
        runs = page.runs()
        lesson = page.lesson()
        if page.running:
            self.window.statusBar().showMessage("the lesson is still running: export its page when it has finished",
                                                8000)
            return None
        if not runs or lesson is None:
            self.window.statusBar().showMessage("run a lesson first, then export its page", 8000)
            return None
        # The lesson's runs were measured on this machine (its lab); each run carries its own Python.
        doc = RunDocument(lesson.plan_text, machine_info(), {}, list(runs))
        # The page's own result says exactly what the page says (a stopped run judges nothing).
        result = page.result() or lesson_result(lesson, doc, page.chosen())
        dialog = ExportDialog(page.timeline, page.metrics, doc, self.dock.store, parent=self.window, lesson=result)
        dialog.set_format("page")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _current(self) -> tuple[Plan, str, int | None]:
        editor = getattr(self.window, "editor", None)
        controls = getattr(self.window, "controls", None)
        plan = editor.plan() if editor is not None else self.dock.page.plan()
        if plan is None:
            raise ConclabError("there is no plan to show as code")
        models = controls.models() if controls is not None else []
        model = next((m for m in models if m != "sequential"), models[0] if models else "asyncio")
        workers = controls.worker_count() if controls is not None else None
        return plan, model, workers

    def show_code(self) -> CodeDialog | None:
        """Open "Show as code" for the window's current plan and first chosen model."""
        try:
            plan, model, workers = self._current()
        except ConclabError as exc:
            self.window.statusBar().showMessage(str(exc), 8000)
            return None
        if self.code_dialog is not None:
            self.code_dialog.close()
            self.code_dialog.deleteLater()
        self.code_dialog = CodeDialog(plan, model, workers, self.window)
        self.code_dialog.show()
        return self.code_dialog


def install_lessons(window: QMainWindow, store: QSettings | None = None,
                    folder: Path | None = None) -> LessonsDock:
    """Add the lessons dock (hidden until used) and the "&Lessons" menu to a main window.

    The window must have a `controller` (its RunController); `editor` and `controls` are used for
    "Show as code" when present. Returns the dock; its `menu` attribute holds the menu's handler.
    """
    controller = getattr(window, "controller", None)
    if not isinstance(controller, RunController):
        raise TypeError("install_lessons needs a window with a RunController as `controller`")
    if store is None:
        store = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "conclab", "conclab")
    dock = LessonsDock(controller, store, folder, window)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    dock.hide()
    dock.menu = _LessonsMenu(window, dock)
    closed = getattr(window, "closed", None)
    if closed is not None:
        closed.connect(dock.shutdown)
    return dock
