"""The main window: the plan editor, run controls, live timeline, metrics, menus and status bar.

Every command is a named action (see `actions.py`) in a named menu (see `window_menus.py`); other parts
add theirs by name (`menu("view")`, `menus.insert(...)`), and find any action with `action(name)`.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import QDialog, QMainWindow, QMenu, QMessageBox

from conclab import APP_NAME
from conclab.model.errors import ConclabError
from conclab.model.plan import Plan
from conclab.model.plan_text import format_plan, parse
from conclab.model.run import RunDocument
from conclab.model.session_spec import RunSpec
from conclab.model.session_spec import Runtime as Where
from conclab.ui.exports.run_file_actions import RunFileActions
from conclab.ui.inside.inside_dock import install_inside
from conclab.ui.lessons.lessons_dock import install_lessons
from conclab.ui.plan_editor.plan_editor_panel import PlanEditorPanel
from conclab.ui.shell.actions import keys_text, make_action
from conclab.ui.shell.help_dialog import HelpDialog
from conclab.ui.shell.plan_files import PlanFiles
from conclab.ui.shell.run_controller import RunController
from conclab.ui.shell.run_controls_panel import RunControlsPanel
from conclab.ui.shell.run_handle import RunHandle
from conclab.ui.shell.run_request import build_request, confirm_long_run
from conclab.ui.shell.run_titles import window_cost_text
from conclab.ui.shell.settings import SessionSettings, load_settings, save_settings
from conclab.ui.shell.window_layout import (
    bring_back_timeline,
    build_layout,
    build_status_bar,
    fit_to_window,
    make_room_for_dock,
    start_page_html,
    widen_for_metrics,
)
from conclab.ui.shell.window_menus import WindowMenus
from conclab.ui.timeline.metrics_panel import MetricsPanel
from conclab.ui.timeline.timeline_view import TimelineView

DEFAULT_PLAN = "3x fetch: net 200ms, cpu 30ms, net 100ms; crunch: cpu 300ms; logger: block 150ms"
DEFAULT_SIZE = (1280, 800)
DEFAULT_SHARE = (0.8, 0.85)  # of a larger screen's width and height


def live_title(spec: RunSpec) -> str:
    """A run's section title while it is measured: its label, and where, when inside this window."""
    return f"{spec.name} · inside this window" if spec.runtime == Where.WINDOW else spec.name


class MainWindow(QMainWindow):
    """Owns the views and the run controller, and wires them together in `_connect`."""

    closed = Signal()
    run_finished = Signal(object)  # RunDocument of a run started from this window's Run (not a lesson's)

    def __init__(self, store: QSettings, plan_path: Path | None = None, lessons_folder: Path | None = None) -> None:
        super().__init__()
        self.setWindowTitle(APP_NAME)
        self.store = store
        self._settings: SessionSettings = load_settings(store)
        self._closing = False
        self._fitted = False
        self._help: HelpDialog | None = None
        self.controller = RunController(self)
        self._handle: RunHandle | None = None
        # A run asked for on the command line (`--run`) was asked for knowingly: no question may block it.
        self.ask_before_long_runs = True
        self.editor = PlanEditorPanel(self._initial_plan(), self)
        self.controls = RunControlsPanel(self)
        self.timeline = TimelineView(self)
        self.metrics = MetricsPanel(self)
        self.layout_parts = build_layout(self, self.controls, self.editor, self.timeline, self.metrics)
        self.right_splitter = self.layout_parts.right_splitter
        self.files = PlanFiles(self, self.editor, self._settings, self.update_title, self.controls.set_models)
        self.progress, self.elapsed = build_status_bar(self)
        self.menus = WindowMenus(self)
        self._build_actions()
        self._connect()
        self.run_files = RunFileActions(self)
        self.lessons = install_lessons(self, store, lessons_folder)
        self.lessons.visibilityChanged.connect(self._on_lessons_visibility_changed)
        self._restore()
        if plan_path is not None:
            self.open_plan(plan_path)
        for problem in self._settings.problems:
            self.statusBar().showMessage(problem, 10_000)
        self.inside = install_inside(self)

    # -- construction -------------------------------------------------------------------------
    def _initial_plan(self) -> Plan:
        for text in (self._settings.plan_text, DEFAULT_PLAN):
            if text:
                try:
                    return parse(text)
                except ConclabError:
                    self._settings.problems.append("the last plan could not be restored; loaded the default")
        return parse(DEFAULT_PLAN)

    def _build_actions(self) -> None:
        keys = QKeySequence.StandardKey
        m, files = self.menus, self.files
        m.add("file", make_action(self, "new_plan", "&New plan", files.new, keys.New, "Start a new plan"),
              make_action(self, "open_plan", "&Open plan…", files.open, keys.Open, "Open a .plan file"),
              make_action(self, "save_plan", "&Save plan", files.save, keys.Save, "Save the plan"),
              make_action(self, "save_plan_as", "Save plan &as…", files.save_as, keys.SaveAs,
                          "Save the plan under a new name"))
        m.section("file", "file_runs_section")
        m.section("file", "file_quit_section")
        m.add("file", make_action(self, "quit", "&Quit", self.close, keys.Quit, "Quit Concurrency Lab"))
        for problem in self.files.add_examples(self.menus.menu("examples")):
            self._settings.problems.append(f"example skipped: {problem}")
        self.run_action = make_action(self, "run", "&Run", self._on_run_shortcut, "Ctrl+R",
                                      "Run the plan under the chosen models")
        self.stop_action = make_action(self, "stop", "&Stop", self.controller.stop, "Esc", "Stop the run")
        self.stop_action.setEnabled(False)
        m.add("run", self.run_action, self.stop_action)
        self.timeline.fit_action.setObjectName("fit_timeline")
        full = make_action(self, "full_screen", "&Full screen", self._on_full_screen, keys.FullScreen,
                           "Use the whole screen for the window")
        full.setCheckable(True)
        m.add("view", self.timeline.fit_action)
        m.section("view", "view_panels_section")
        m.add("view", full)
        m.add("help", make_action(self, "help_guide", "&Guide", lambda: self.show_help("start"), keys.HelpContents,
                                  "The plan grammar, the colours, the metrics and the shortcuts"),
              make_action(self, "help_shortcuts", "&Keyboard shortcuts", lambda: self.show_help("shortcuts"),
                          tip="Every shortcut of the window"))
        m.section("help", "help_about_section")
        m.add("help", make_action(self, "about", "&About", self._on_about, tip="Version and purpose"))

    def _connect(self) -> None:
        c = self.controller
        self.controls.run_requested.connect(self._on_run_requested)
        self.controls.stop_requested.connect(c.stop)
        self.controls.pythons.problem.connect(lambda text: self.statusBar().showMessage(text, 15_000))
        self.editor.modified_changed.connect(self.update_title)
        self.editor.plan_changed.connect(lambda _p: self.update_title())
        c.run_started.connect(self._on_any_run_started)
        c.lab_problem.connect(self._on_lab_problem)
        self.layout_parts.start_page.setText(start_page_html(keys_text(self.run_action)))

    def _restore(self) -> None:
        s = self._settings
        self.controls.set_models(s.models)
        self.controls.workers.setValue(s.workers)
        self.controls.switch_ms.setValue(s.switch_ms)
        self.controls.set_runtime(s.runtime)
        self.controls.pythons.set_remembered(s.pythons)
        if s.geometry is None or not self.restoreGeometry(s.geometry):
            self.resize(*self._default_size())
        if s.state is not None:
            self.restoreState(s.state)
        self.update_title()

    def _default_size(self) -> tuple[int, int]:
        screen = self.screen().availableGeometry() if self.screen() else None
        if screen is None:
            return DEFAULT_SIZE
        width = max(DEFAULT_SIZE[0], int(screen.width() * DEFAULT_SHARE[0]))
        height = max(DEFAULT_SIZE[1], int(screen.height() * DEFAULT_SHARE[1]))
        return min(width, screen.width()), min(height, screen.height())

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._fitted:
            self._fitted = True
            QTimer.singleShot(0, self.fit_layout)

    def fit_layout(self) -> None:
        """Share the window's space out between the plan, the metrics and the timeline for its present size."""
        fit_to_window(self.layout_parts, self.editor, self.metrics, self.controls)

    def menu(self, name: str) -> QMenu:
        """A menu by name ("file", "view", …; see WindowMenus.menu), for components that add actions."""
        return self.menus.menu(name)

    def action(self, name: str) -> QAction:
        """Any action of the window by its object name ("save_run", "run", "lessons_panel", …)."""
        found = self.findChild(QAction, name)
        if found is None:
            raise KeyError(f"no action named {name!r}")
        return found

    def show_timeline(self) -> None:
        """Show the timeline in place of the start page (a run has begun, or one was opened)."""
        self.layout_parts.timeline_stack.setCurrentWidget(self.timeline)
        bring_back_timeline(self, self.layout_parts, self.lessons)

    def show_metrics(self, doc: RunDocument) -> None:
        """Fill the metrics table with a document's runs, widening the plan column so every run shows."""
        self.metrics.set_runs(doc.runs)
        overhead = doc.calibration.get("recording_overhead")
        self.metrics.set_overhead(overhead if isinstance(overhead, int | float) else None)
        widen_for_metrics(self.layout_parts, self.metrics)

    def _on_lessons_visibility_changed(self, _visible: bool) -> None:
        # Deferred: the dock's own geometry is settled only once its show has been processed.
        QTimer.singleShot(0, lambda: make_room_for_dock(self, self.layout_parts, self.lessons))

    # -- running ----------------------------------------------------------------------------
    def _on_run_shortcut(self) -> None:
        if not self.controller.running:
            self.controls.request_run()

    def _on_run_requested(self, models: list[str], workers: int | None, switch_ms: float) -> None:
        self.editor.flush()
        if self.editor.has_error():
            # Running the last valid plan instead would measure something the user is not looking at.
            self.editor.show_error()
            self.statusBar().showMessage(f"not run: the plan has an error — {self.editor.error_text()}", 15_000)
            return
        self.controls.pythons.call_when_ready(lambda: self._start(models, workers, switch_ms))

    def _start(self, models: list[str], workers: int | None, switch_ms: float) -> None:
        plan = self.editor.plan()
        request = build_request(format_plan(plan), models, workers, self.controls.python_choices(),
                                self.controls.runtime(), switch_ms)
        try:
            request.check()
        except ConclabError as exc:
            self._on_run_failed(str(exc))
            return
        if self.controller.running or (self.ask_before_long_runs and not confirm_long_run(self, plan, request)):
            return
        try:
            handle = self.controller.start(request)
        except ConclabError as exc:
            self._on_run_failed(str(exc))
            return
        if handle is not None:
            self._follow(handle)

    def _follow(self, handle: RunHandle) -> None:
        """Show this window's own run: the timeline, progress and, at the end, the metrics."""
        self._handle = handle
        names = {t.id: t.name for t in self.editor.plan().tasks()}
        self.timeline.clear()
        self.timeline.reserve([(spec.model, live_title(spec)) for spec in handle.request.runs])
        self.metrics.clear()
        self.show_timeline()

        def begin(_index: int, spec: RunSpec) -> None:
            self.timeline.begin_live(spec.model, title=live_title(spec), names=names)

        handle.run_started.connect(begin)
        handle.frame_arrived.connect(self.timeline.apply_frame)
        handle.run_finished.connect(lambda _i, run: self.timeline.end_live(run))
        handle.progress_changed.connect(self._on_progress)
        handle.task_failed.connect(lambda msg: self.statusBar().showMessage(msg, 8000))
        handle.failed.connect(self._on_run_failed)
        handle.finished.connect(self._on_run_finished)
        self.progress.setRange(0, max(1, handle.total_tasks))
        self.progress.setValue(0)
        where = "inside this window" if self.controls.runtime() == Where.WINDOW else "in the lab"
        self.statusBar().showMessage(f"running {', '.join(s.name for s in handle.request.runs)} {where}…")

    def _on_any_run_started(self, handle: RunHandle) -> None:
        """Any run (this window's or a lesson's) holds the one lab: Run waits until it has finished."""
        self.controls.set_running(True)
        self.run_action.setEnabled(False)
        self.stop_action.setEnabled(True)
        self.progress.show()
        handle.finished.connect(self._on_any_run_finished)

    def _on_any_run_finished(self, _doc: RunDocument) -> None:
        self.controls.set_running(False)
        self.run_action.setEnabled(True)
        self.stop_action.setEnabled(False)
        self.progress.hide()
        if self._closing:
            self.close()

    def _on_progress(self, done: int, total: int, elapsed: float) -> None:
        self.progress.setMaximum(max(1, total))
        self.progress.setValue(done)
        self.elapsed.setText(f"{elapsed:.1f} s")

    def _on_run_finished(self, doc: RunDocument) -> None:
        self.timeline.end_session()
        self.run_finished.emit(doc)
        if self._closing:
            return
        self.show_metrics(doc)
        handle = self._handle
        state = handle.state.value if handle is not None else "done"
        walls = ", ".join(f"{r.name} {r.metrics['wall_s']:.2f} s" for r in doc.runs)
        costs = [window_cost_text(r) for r in doc.runs if r.runtime == Where.WINDOW]
        self.statusBar().showMessage(f"{state} — {walls}" + "".join(f"; {c}" for c in costs if c), 30_000)

    def _on_run_failed(self, message: str) -> None:
        self.statusBar().showMessage(message, 15_000)
        if not self._closing and self.isVisible():
            QMessageBox.warning(self, APP_NAME, message)

    def _on_lab_problem(self, message: str) -> None:
        self.statusBar().showMessage(f"the lab could not start: {message}", 15_000)

    # -- plans, examples, help ----------------------------------------------------------------
    def update_title(self) -> None:
        name = self.files.path.name if self.files.path else "untitled plan"
        self.setWindowTitle(f"{name}{' *' if self.editor.is_modified() else ''} — {APP_NAME}")
        self.setWindowModified(self.editor.is_modified())

    def open_plan(self, path: Path) -> bool:
        """Open a .plan file (its header comment, if any, shown as notes); False, with a message, if it cannot."""
        return self.files.open_path(path)

    def save_plan(self, path: Path) -> bool:
        """Save the plan to `path`; False, with a message, if it cannot be written."""
        return self.files.save_to(path)

    def show_help(self, section: str = "start") -> HelpDialog:
        """Open the Help guide at a section (it is built from the window's current actions)."""
        if self._help is None:
            self._help = HelpDialog(self)
        self._help.show_section(section)
        return self._help

    def _on_full_screen(self) -> None:
        if self.isFullScreen():
            self.showNormal()
        else:
            self.showFullScreen()

    def _on_about(self) -> None:
        from conclab import __version__

        QMessageBox.about(self, APP_NAME, f"<b>{APP_NAME}</b> {__version__}<br>"
                          "See, by measurement, how the same work runs under asyncio, threads and processes.")

    # -- closing ------------------------------------------------------------------------------
    def store_settings(self) -> None:
        s = self._settings
        s.plan_text = format_plan(self.editor.plan(), multiline=True)
        s.models = self.controls.models() or s.models
        s.workers = self.controls.workers.value()
        s.switch_ms = self.controls.switch_ms.value()
        s.runtime = self.controls.runtime()
        s.pythons = self.controls.pythons.remembered()
        s.geometry = self.saveGeometry()
        s.state = self.saveState()
        save_settings(self.store, s)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._closing and not self.files.confirm_discard():
            event.ignore()
            return
        self._closing = True
        if self.controller.running:
            # Stop first; the window closes itself when the run has wound down (well under 2 s).
            self.controller.stop()
            event.ignore()
            return
        self.store_settings()
        self.controller.shutdown()
        self.run_files.replay.finish()
        self.timeline.close()
        self.statusBar().clearMessage()
        for dialog in self.findChildren(QDialog):
            dialog.reject()
        event.accept()
        self.closed.emit()
