"""The main window's run-document actions: export pictures and data, save and open runs, replay.

The actions are named (`export`, `save_run`, `open_run`, `replay_run`) and placed by name: in the File
menu above its Quit section, Replay in the View menu. A run opened from a file (File → Open run…, or
`conclab run.json` on the command line) is shown exactly as it was recorded, and its plan goes into the
plan editor (after asking about unsaved changes), so Run measures the same plan again on this machine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QSettings, SignalInstance
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QFileDialog, QMessageBox, QSplitter, QStatusBar, QWidget

from conclab import APP_NAME
from conclab.model.errors import ConclabError
from conclab.model.fileio import atomic_write_text
from conclab.model.plan_text import parse
from conclab.model.run import RunDocument, python_label
from conclab.model.runfile import dumps, load_run_file
from conclab.ui.exports.export_dialog import ExportDialog
from conclab.ui.plan_editor.plan_editor_panel import PlanEditorPanel
from conclab.ui.shell.actions import make_action
from conclab.ui.shell.plan_files import PlanFiles
from conclab.ui.shell.run_controller import RunController
from conclab.ui.shell.window_menus import WindowMenus
from conclab.ui.timeline.metrics_panel import MetricsPanel
from conclab.ui.timeline.replay_panel import ReplayPanel
from conclab.ui.timeline.timeline_view import TimelineView

RUN_FILTER = "Runs (*.json);;All files (*)"


class RunHost(Protocol):
    """What the run-file actions need from the main window (named here, so this module needs not import it)."""

    timeline: TimelineView
    metrics: MetricsPanel
    store: QSettings
    controller: RunController
    editor: PlanEditorPanel
    files: PlanFiles
    menus: WindowMenus
    right_splitter: QSplitter

    @property
    def run_finished(self) -> SignalInstance: ...

    def window(self) -> QWidget: ...

    def statusBar(self) -> QStatusBar: ...

    def show_timeline(self) -> None: ...

    def show_metrics(self, doc: RunDocument) -> None: ...

    def update_title(self) -> None: ...


class RunFileActions:
    """Adds File → Open run / Save run / Export and View → Replay run to a main window."""

    def __init__(self, host: RunHost) -> None:
        window = self.window = host
        self.parent = host.window()
        self.replay = ReplayPanel(window.timeline, [], self.parent)
        self.replay.hide()
        window.right_splitter.insertWidget(1, self.replay)
        self.open_action = make_action(self.parent, "open_run", "Open r&un…", self._on_open_triggered, "Ctrl+Shift+O",
                                       "Open a saved run and show it as it was recorded, without running it")
        self.save_action = make_action(self.parent, "save_run", "Save &run…", self._on_save_triggered, "Ctrl+Alt+S",
                                       "Save the last run (timelines, metrics, plan) as a .json file")
        self.export_action = make_action(self.parent, "export", "&Export…", self.export, "Ctrl+E",
                                         "Export the timeline as PNG/SVG, or the run as CSV, Chrome trace or JSON")
        for act in (self.open_action, self.save_action, self.export_action):
            window.menus.insert("file", act, before="file_quit_section")
        self.replay_action = make_action(self.parent, "replay_run", "&Replay run", self.start_replay,
                                         QKeySequence("Ctrl+Shift+R"),
                                         "Play the last run back slowly, drawn from its recorded trace")
        window.menus.insert("view", self.replay_action, before="view_panels_section")
        self.document: RunDocument | None = None
        window.controller.run_started.connect(self._on_run_started)
        window.run_finished.connect(self._on_document)
        self._update()

    def _update(self) -> None:
        has = self.document is not None and bool(self.document.runs)
        self.save_action.setEnabled(has)
        self.replay_action.setEnabled(has)

    def _on_run_started(self, _handle: object) -> None:
        self.replay.finish()
        self.replay.hide()

    def _on_document(self, doc: RunDocument) -> None:
        self.document = doc
        self._update()

    def _on_save_triggered(self) -> None:
        self.save_run()

    def _on_open_triggered(self) -> None:
        self.open_run()

    def export(self) -> None:
        dialog = ExportDialog(self.window.timeline, self.window.metrics, self.document, self.window.store,
                              parent=self.parent)
        dialog.exported.connect(lambda p: self.window.statusBar().showMessage(f"exported {p}", 8000))
        dialog.exec()

    def write_run(self, doc: RunDocument, path: Path) -> None:
        """Write a run document as `conclab.run/1` JSON (raises WriteError, keeping any old file)."""
        atomic_write_text(path, dumps(doc))

    def save_run(self, path: Path | None = None) -> bool:
        """File → Save run…: the last run, to `path` or to a file the user picks (".json" added if no suffix)."""
        if self.document is None:
            self.window.statusBar().showMessage("nothing to save yet: run the plan first", 8000)
            return False
        if path is None:
            start = str(Path(self.window.files.settings.last_dir) / "run.json")
            name, _ = QFileDialog.getSaveFileName(self.parent, "Save run", start, RUN_FILTER)
            if not name:
                return False
            path = Path(name) if Path(name).suffix else Path(name).with_suffix(".json")
        try:
            self.write_run(self.document, path)
        except ConclabError as exc:
            QMessageBox.warning(self.parent, APP_NAME, str(exc))
            return False
        self.window.files.settings.last_dir = str(path.parent)
        self.window.statusBar().showMessage(f"saved run to {path}", 8000)
        return True

    def open_run(self, path: Path | None = None) -> bool:
        """File → Open run…: show a saved run as recorded; False (with a message) when it cannot be read."""
        if self.window.controller.running:
            self.window.statusBar().showMessage("a run is going: stop it before opening another", 8000)
            return False
        if path is None:
            name, _ = QFileDialog.getOpenFileName(self.parent, "Open run", self.window.files.settings.last_dir,
                                                  RUN_FILTER)
            if not name:
                return False
            path = Path(name)
        try:
            doc = load_run_file(path)
        except ConclabError as exc:
            QMessageBox.warning(self.parent, APP_NAME, f"Could not open the run {path.name}:\n{exc}")
            return False
        self.show_document(doc)
        self._load_plan(doc, path)
        self.window.files.settings.last_dir = str(path.parent)
        pythons = sorted({python_label(r.python) for r in doc.runs if r.python}) or [
            str(doc.machine.get("python", "?"))]
        self.window.statusBar().showMessage(f"opened {path.name}, as recorded: measured on Python "
                                            f"{', '.join(pythons)}, {doc.machine.get('cpus', '?')} CPUs", 15_000)
        return True

    def _load_plan(self, doc: RunDocument, path: Path) -> None:
        """Put the run's plan in the editor, unless the user keeps unsaved changes (the run is shown anyway)."""
        try:
            plan = parse(doc.plan)
        except ConclabError:
            return
        editor = self.window.editor
        if plan == editor.plan() or not self.window.files.confirm_discard():
            return
        editor.set_plan(plan)
        editor.set_notes(f"The plan of {path.name}", "Shown as it was recorded; press Run to measure it again "
                         "on this machine.")
        self.window.files.path = None
        self.window.update_title()

    def show_document(self, doc: RunDocument) -> None:
        """Show a run exactly as it was recorded: timelines and metrics, no re-run."""
        self.replay.finish()
        self.replay.hide()
        self.window.show_timeline()
        self.window.timeline.set_runs(doc.runs)
        self.window.show_metrics(doc)
        self.window.controller.last_document = doc
        self.document = doc
        self._update()

    def start_replay(self) -> None:
        if self.document is None or not self.document.runs:
            return
        self.replay.set_runs(self.document.runs)
        self.replay.show()
        self.replay.play()
