""""Run it with…": the generated script run by a Python of this machine, its output shown as it comes.

The script is standard library only, so any interpreter ≥ 3.11 runs it as written: the app's own, or
another one found on the machine (listed off the GUI thread when the choice is first opened). It runs in
a QProcess, so the dialog stays responsive and closing it ends the script.
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
import threading
from pathlib import Path

from PySide6.QtCore import QProcess, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from conclab.engines.interpreters import Interpreter, discover
from conclab.model.fileio import atomic_write_text
from conclab.ui.fonts import monospace_font


class _PythonBox(QComboBox):
    """The interpreter choice; it asks for the machine's Pythons the first time it is opened."""

    opened = Signal()

    def showPopup(self) -> None:
        self.opened.emit()
        super().showPopup()


class ScriptRunPanel(QWidget):
    """An interpreter choice, Run/Stop, and the script's output; `run(script)` starts it."""

    _found = Signal(object)  # list[Interpreter], from the search thread

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.python_box = _PythonBox(self)
        self.python_box.setAccessibleName("Python that runs the script")
        self.python_box.setToolTip("Run the script with this interpreter (any Python 3.11+ on this machine)")
        self.python_box.addItem(f"this app's Python ({sys.version.split()[0]})", sys.executable)
        self.run_button = QPushButton("&Run it", self)
        self.run_button.setToolTip("Run the script shown with the chosen Python and show what it prints")
        self.output = QPlainTextEdit(self)
        self.output.setReadOnly(True)
        self.output.setFont(monospace_font())
        self.output.setMaximumBlockCount(2000)
        self.output.setAccessibleName("script output")
        self.output.setPlaceholderText("What the script prints (its wall time at the end) appears here.")
        self._process: QProcess | None = None
        self._folder = tempfile.TemporaryDirectory(prefix="conclab-script-")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Run it with:", self))
        row.addWidget(self.python_box, 1)
        row.addWidget(self.run_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.output)
        self._found.connect(self._on_found)
        self._searched = False
        self.python_box.opened.connect(self.find_pythons)

    def find_pythons(self) -> None:
        """List the machine's other Pythons (searched off the GUI thread, once; answers are cached)."""
        if not self._searched:
            self._searched = True
            threading.Thread(target=self._search, name="conclab-find-pythons", daemon=True).start()

    def _search(self) -> None:
        try:
            found = discover()
        except Exception:  # the app's own Python stays offered; a failed search hides nothing else
            found = []
        with contextlib.suppress(RuntimeError):  # the dialog closed before the search ended
            self._found.emit(found)

    def _on_found(self, found: list[Interpreter]) -> None:
        own = Path(sys.executable).resolve()
        for interp in found:
            if interp.usable and Path(interp.executable).resolve() != own:
                self.python_box.addItem(f"Python {interp.label} — {interp.executable}", interp.executable)

    def python(self) -> str:
        return str(self.python_box.currentData())

    def set_python(self, executable: str) -> bool:
        index = self.python_box.findData(executable)
        if index >= 0:
            self.python_box.setCurrentIndex(index)
        return index >= 0

    def is_running(self) -> bool:
        return self._process is not None and self._process.state() != QProcess.ProcessState.NotRunning

    def run(self, script: str, name: str = "plan.py") -> None:
        """Run `script` with the chosen Python (stopping a run still going)."""
        self.stop()
        path = Path(self._folder.name) / name
        atomic_write_text(path, script)
        self.output.setPlainText(f"$ {self.python()} {name}\n")
        process = self._process = QProcess(self)
        process.setProcessChannelMode(QProcess.ProcessChannelMode.MergedChannels)
        process.setWorkingDirectory(self._folder.name)
        process.readyReadStandardOutput.connect(self._on_output)
        process.finished.connect(self._on_finished)
        process.errorOccurred.connect(self._on_error)
        process.start(self.python(), ["-I", str(path)])
        self.run_button.setText("&Stop")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.state() != QProcess.ProcessState.NotRunning:
            process.kill()
            process.waitForFinished(2000)
        self.run_button.setText("&Run it")

    def _on_output(self) -> None:
        if self._process is not None:
            text = bytes(self._process.readAllStandardOutput().data()).decode(errors="replace")
            self.output.moveCursor(self.output.textCursor().MoveOperation.End)
            self.output.insertPlainText(text)

    def _on_finished(self, code: int, _status: QProcess.ExitStatus) -> None:
        self._on_output()
        self.output.appendPlainText(f"(exit status {code})")
        self.run_button.setText("&Run it")

    def _on_error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self.output.appendPlainText(f"could not start {self.python()}")
            self.run_button.setText("&Run it")

    def close_down(self) -> None:
        """End a running script and remove its file (the dialog is closing)."""
        self.stop()
        self._folder.cleanup()

