"""The main window's run-document actions: export pictures and data, save and open runs, replay."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMessageBox

from conclab import APP_NAME
from conclab.model.errors import ConclabError
from conclab.model.fileio import atomic_write_text
from conclab.model.run import RunDocument
from conclab.model.runfile import dumps, load_run_file
from conclab.ui.exports.export_dialog import ExportDialog
from conclab.ui.timeline.replay_panel import ReplayPanel

if TYPE_CHECKING:
    from conclab.ui.shell.main_window import MainWindow


class RunFileActions:
    """Adds File → Export / Save run / Open run and View → Replay to a main window."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.replay = ReplayPanel(window.timeline, [], window)
        self.replay.hide()
        window.right_splitter.insertWidget(1, self.replay)
        file_menu = window.menu("&File")
        before = file_menu.actions()[-2]  # the separator above Quit
        self.export_action = self._add(file_menu, before, "&Export…", self.export, "Ctrl+E",
                                       "Export the timeline as PNG/SVG, or the run as CSV, Chrome trace or JSON")
        self.save_action = self._add(file_menu, before, "Save &run…", lambda: self.save_run(), "Ctrl+Alt+S",
                                     "Save the last run (timelines, metrics) as a .json file")
        self.open_action = self._add(file_menu, before, "Open r&un…", lambda: self.open_run(), "Ctrl+Shift+O",
                                     "Open a saved run and show it without re-running")
        self.replay_action = self._add(window.menu("&View"), None, "&Replay run", self.start_replay, "Ctrl+P",
                                       "Play the last run back slowly, drawn from its recorded trace")
        self.document: RunDocument | None = None
        window.controller.run_started.connect(self._on_run_started)
        window.run_finished.connect(self._on_document)
        self._update()

    def _add(self, menu: object, before: QAction | None, text: str, slot: object, keys: str,
             tip: str) -> QAction:
        act = QAction(text, self.window)
        act.setShortcut(QKeySequence(keys))
        act.setStatusTip(tip)
        act.setToolTip(tip)
        act.triggered.connect(slot)  # type: ignore[arg-type]
        if before is not None:
            menu.insertAction(before, act)  # type: ignore[attr-defined]
        else:
            menu.addAction(act)  # type: ignore[attr-defined]
        return act

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

    def export(self) -> None:
        dialog = ExportDialog(self.window.timeline, self.window.metrics, self.document, self.window.store,
                              parent=self.window)
        dialog.exported.connect(lambda p: self.window.statusBar().showMessage(f"exported {p}", 8000))
        dialog.exec()

    def write_run(self, doc: RunDocument, path: Path) -> None:
        """Write a run document as `conclab.run/1` JSON (raises WriteError, keeping any old file)."""
        atomic_write_text(path, dumps(doc))

    def save_run(self, path: Path | None = None) -> bool:
        """File → Save run…: the last run, to `path` or to a file the user picks."""
        if self.document is None:
            return False
        if path is None:
            name, _ = QFileDialog.getSaveFileName(self.window, "Save run", "run.json", "Runs (*.json)")
            if not name:
                return False
            path = Path(name)
        try:
            self.write_run(self.document, path)
        except ConclabError as exc:
            QMessageBox.warning(self.window, APP_NAME, str(exc))
            return False
        self.window.statusBar().showMessage(f"saved run to {path}", 8000)
        return True

    def open_run(self, path: Path | None = None) -> bool:
        if self.window.controller.running:
            return False
        if path is None:
            name, _ = QFileDialog.getOpenFileName(self.window, "Open run", "", "Runs (*.json);;All files (*)")
            if not name:
                return False
            path = Path(name)
        try:
            doc = load_run_file(path)
        except ConclabError as exc:
            QMessageBox.warning(self.window, APP_NAME, f"Could not open the run:\n{exc}")
            return False
        self.show_document(doc)
        self.window.statusBar().showMessage(f"opened {path.name}: measured on Python "
                                            f"{doc.machine.get('python', '?')}, {doc.machine.get('cpus', '?')} CPUs",
                                            10_000)
        return True

    def show_document(self, doc: RunDocument) -> None:
        """Show a run exactly as it was recorded: timelines and metrics, no re-run."""
        self.replay.finish()
        self.replay.hide()
        self.window.timeline.set_runs(doc.runs)
        self.window.metrics.set_runs(doc.runs)
        overhead = doc.calibration.get("recording_overhead")
        self.window.metrics.set_overhead(overhead if isinstance(overhead, (int, float)) else None)
        self.window.controller.last_document = doc
        self.document = doc
        self._update()

    def start_replay(self) -> None:
        if self.document is None or not self.document.runs:
            return
        self.replay.set_runs(self.document.runs)
        self.replay.show()
        self.replay.play()
