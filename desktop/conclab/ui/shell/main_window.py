"""The main window: the plan editor, run controls, live timeline, metrics, menus and status bar."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from conclab import APP_NAME
from conclab.model.errors import ConclabError
from conclab.model.examples import Example, load_examples_with_errors
from conclab.model.fileio import atomic_write_text
from conclab.model.plan import Plan
from conclab.model.plan_text import format_plan, parse
from conclab.model.run import RunDocument
from conclab.model.session_spec import Runtime as Where
from conclab.model.session_spec import SessionRequest
from conclab.ui.exports.run_file_actions import RunFileActions
from conclab.ui.lessons.lessons_dock import install_lessons
from conclab.ui.plan_editor.plan_editor_panel import PlanEditorPanel
from conclab.ui.shell.run_controller import RunController
from conclab.ui.shell.run_controls_panel import RunControlsPanel
from conclab.ui.shell.run_handle import RunHandle
from conclab.ui.shell.run_titles import spec_title, window_cost_text
from conclab.ui.shell.settings import SessionSettings, load_settings, save_settings
from conclab.ui.timeline.metrics_panel import MetricsPanel
from conclab.ui.timeline.timeline_view import TimelineView

DEFAULT_PLAN = "3x fetch: net 200ms, cpu 30ms, net 100ms; crunch: cpu 300ms; logger: block 150ms"


class MainWindow(QMainWindow):
    """Owns the views and the run controller, and wires them together in `_connect`."""

    closed = Signal()
    run_finished = Signal(object)  # RunDocument of a run started from this window's Run (not a lesson's)

    def __init__(self, store: QSettings, plan_path: Path | None = None, lessons_folder: Path | None = None) -> None:
        super().__init__()
        self.setWindowTitle(APP_NAME)
        self.store = store
        self._settings: SessionSettings = load_settings(store)
        self._path: Path | None = None
        self._closing = False
        self.controller = RunController(self)
        self._handle: RunHandle | None = None
        self.editor = PlanEditorPanel(self._initial_plan(), self)
        self.controls = RunControlsPanel(self)
        self.timeline = TimelineView(self)
        self.metrics = MetricsPanel(self)
        self._build_layout()
        self._build_status_bar()
        self._build_menus()
        self._connect()
        self.run_files = RunFileActions(self)
        self.lessons = install_lessons(self, store, lessons_folder)
        self._restore()
        if plan_path is not None:
            self.open_plan(plan_path)
        for problem in self._settings.problems:
            self.statusBar().showMessage(problem, 10_000)

    # -- construction -------------------------------------------------------------------------
    def _initial_plan(self) -> Plan:
        for text in (self._settings.plan_text, DEFAULT_PLAN):
            if text:
                try:
                    return parse(text)
                except ConclabError:
                    self._settings.problems.append("the last plan could not be restored; loaded the default")
        return parse(DEFAULT_PLAN)

    def _build_layout(self) -> None:
        right = self.right_splitter = QSplitter(Qt.Orientation.Vertical, self)
        right.addWidget(self.timeline)
        right.addWidget(self.metrics)
        right.setSizes([560, 240])
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(self.editor)
        split.addWidget(right)
        split.setSizes([470, 900])
        central = QWidget(self)
        box = QVBoxLayout(central)
        box.setContentsMargins(4, 4, 4, 0)
        box.addWidget(self.controls)
        box.addWidget(split, 1)
        self.setCentralWidget(central)
        self.timeline.setAccessibleName("timeline")
        self.metrics.setAccessibleName("metrics")

    def _build_status_bar(self) -> None:
        self.progress = QProgressBar(self)
        self.progress.setMaximumWidth(220)
        self.progress.setFormat("%v / %m tasks")
        self.progress.setToolTip("Tasks finished out of all tasks of all chosen models")
        self.progress.setAccessibleName("progress")
        self.elapsed = QLabel("", self)
        self.elapsed.setToolTip("Time since Run was pressed, including start-up")
        self.statusBar().addPermanentWidget(self.elapsed)
        self.statusBar().addPermanentWidget(self.progress)
        self.progress.hide()

    def _action(self, menu_name: str, text: str, slot: object, shortcut: object = None, tip: str = "") -> QAction:
        act = QAction(text, self)
        if shortcut is not None:
            act.setShortcut(shortcut)  # type: ignore[arg-type]
        act.setStatusTip(tip)
        act.setToolTip(tip)
        act.triggered.connect(slot)  # type: ignore[arg-type]
        self._menus[menu_name].addAction(act)
        return act

    def _build_menus(self) -> None:
        bar = self.menuBar()
        self._menus = {name: bar.addMenu(name) for name in ("&File", "&Examples", "&Run", "&View", "&Help")}
        self._action("&File", "&Open plan…", self._on_open, QKeySequence.StandardKey.Open, "Open a .plan file")
        self._action("&File", "&Save plan", self._on_save, QKeySequence.StandardKey.Save, "Save the plan")
        self._action("&File", "Save plan &as…", self._on_save_as, QKeySequence.StandardKey.SaveAs)
        self._menus["&File"].addSeparator()
        self._action("&File", "&Quit", self.close, QKeySequence.StandardKey.Quit, "Quit Concurrency Lab")
        examples, errors = load_examples_with_errors()
        for ex in examples:
            act = self._action("&Examples", ex.title, lambda _=False, e=ex: self._on_example(e), None,
                               ex.description)
            act.setData(ex.id)
        for err in errors:
            self._settings.problems.append(f"example skipped: {err}")
        self.run_action = self._action("&Run", "&Run", self._on_run_shortcut, QKeySequence("Ctrl+R"),
                                       "Run the plan under the chosen models")
        self.stop_action = self._action("&Run", "&Stop", self.controller.stop, QKeySequence("Esc"), "Stop the run")
        self.stop_action.setEnabled(False)
        self._menus["&View"].addAction(self.timeline.fit_action)
        self._action("&Help", "&About", self._on_about)

    def _connect(self) -> None:
        c = self.controller
        self.controls.run_requested.connect(self._on_run_requested)
        self.controls.stop_requested.connect(c.stop)
        self.editor.modified_changed.connect(self._update_title)
        self.editor.plan_changed.connect(lambda _p: self._update_title())
        c.run_started.connect(self._on_any_run_started)
        c.lab_problem.connect(self._on_lab_problem)

    def _restore(self) -> None:
        s = self._settings
        self.controls.set_models(s.models)
        self.controls.workers.setValue(s.workers)
        self.controls.switch_ms.setValue(s.switch_ms)
        self.controls.set_runtime(s.runtime)
        if s.geometry is None or not self.restoreGeometry(s.geometry):
            self.resize(1280, 800)
        if s.state is not None:
            self.restoreState(s.state)
        self._update_title()

    def menu(self, name: str) -> QMenu:
        """A top-level menu by its title (e.g. "&File"), for components that add actions."""
        return self._menus[name]

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
        request = SessionRequest.for_models(format_plan(self.editor.plan()), models, workers,
                                            runtime=self.controls.runtime(), switch_interval_ms=switch_ms)
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
        self.metrics.clear()
        handle.run_started.connect(lambda _i, spec: self.timeline.begin_live(spec.model, title=spec_title(spec),
                                                                              names=names))
        handle.frame_arrived.connect(self.timeline.apply_frame)
        handle.run_finished.connect(lambda _i, run: self.timeline.end_live(run))
        handle.progress_changed.connect(self._on_progress)
        handle.task_failed.connect(lambda msg: self.statusBar().showMessage(msg, 8000))
        handle.failed.connect(self._on_run_failed)
        handle.finished.connect(self._on_run_finished)
        self.progress.setRange(0, max(1, handle.total_tasks))
        self.progress.setValue(0)
        where = "inside this window" if self.controls.runtime() == Where.WINDOW else "in the lab"
        self.statusBar().showMessage(f"running under {', '.join(handle.request.models)} {where}…")

    def _on_any_run_started(self, _handle: RunHandle) -> None:
        """Any run (this window's or a lesson's) holds the one lab: Run waits until it has finished."""
        self.controls.set_running(True)
        self.run_action.setEnabled(False)
        self.stop_action.setEnabled(True)
        self.progress.show()
        _handle.finished.connect(self._on_any_run_finished)

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
        self.run_finished.emit(doc)
        if self._closing:
            return
        self.metrics.set_runs(doc.runs)
        overhead = doc.calibration.get("recording_overhead")
        self.metrics.set_overhead(overhead if isinstance(overhead, float) else None)
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

    # -- files --------------------------------------------------------------------------------
    def _update_title(self) -> None:
        name = self._path.name if self._path else "untitled plan"
        self.setWindowTitle(f"{name}{' *' if self.editor.is_modified() else ''} — {APP_NAME}")
        self.setWindowModified(self.editor.is_modified())

    def _on_example(self, example: Example) -> None:
        if not self._confirm_discard():
            return
        self.editor.set_plan(example.plan(), text=example.text)
        self._path = None
        self._update_title()
        self.statusBar().showMessage(f"{example.title}: {example.description}", 10_000)

    def open_plan(self, path: Path) -> bool:
        try:
            text = path.read_text(encoding="utf-8")
            plan = parse(text)
        except (OSError, UnicodeDecodeError) as exc:
            QMessageBox.warning(self, APP_NAME, f"Could not open {path}:\n{exc}")
            return False
        except ConclabError as exc:
            QMessageBox.warning(self, APP_NAME, f"{path.name} is not a valid plan:\n{exc}")
            return False
        self.editor.set_plan(plan, text=text)
        self._path = path
        self._settings.last_dir = str(path.parent)
        self._update_title()
        return True

    def _on_open(self) -> None:
        if not self._confirm_discard():
            return
        name, _ = QFileDialog.getOpenFileName(self, "Open plan", self._settings.last_dir,
                                              "Plans (*.plan);;All files (*)")
        if name:
            self.open_plan(Path(name))

    def save_plan(self, path: Path) -> bool:
        self.editor.flush()
        text = self.editor.text() if not self.editor.has_error() else format_plan(self.editor.plan(),
                                                                                  multiline=True)
        try:
            atomic_write_text(path, text if text.endswith("\n") else text + "\n")
        except ConclabError as exc:
            QMessageBox.warning(self, APP_NAME, str(exc))
            return False
        self._path = path
        self._settings.last_dir = str(path.parent)
        self.editor.mark_saved()
        self._update_title()
        self.statusBar().showMessage(f"saved {path}", 5000)
        return True

    def _on_save(self) -> bool:
        return self.save_plan(self._path) if self._path else self._on_save_as()

    def _on_save_as(self) -> bool:
        name, _ = QFileDialog.getSaveFileName(self, "Save plan", self._settings.last_dir or "untitled.plan",
                                              "Plans (*.plan)")
        if not name:
            return False
        path = Path(name)
        return self.save_plan(path if path.suffix else path.with_suffix(".plan"))

    def _confirm_discard(self) -> bool:
        if not self.editor.is_modified():
            return True
        answer = QMessageBox.question(
            self, APP_NAME, "The plan has unsaved changes. Save them first?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)
        if answer == QMessageBox.StandardButton.Save:
            return self._on_save()
        return answer == QMessageBox.StandardButton.Discard

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
        s.geometry = self.saveGeometry()
        s.state = self.saveState()
        save_settings(self.store, s)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._closing and not self._confirm_discard():
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
