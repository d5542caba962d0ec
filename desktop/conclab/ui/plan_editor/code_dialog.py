""""Show as code": a dialog with the standalone script that runs a plan under a chosen model."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from PySide6.QtGui import QCloseEvent, QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from conclab.model.codegen import generate
from conclab.model.errors import ConclabError
from conclab.model.fileio import atomic_write_text
from conclab.model.plan import Plan
from conclab.model.trace import MODELS
from conclab.ui.fonts import monospace_font
from conclab.ui.plan_editor.script_runner import ScriptRunPanel

Workers = int | Mapping[str, int] | None


class CodeDialog(QDialog):
    """Shows the generated script for one model at a time; copy it, save it, or run it with a Python here."""

    def __init__(self, plan: Plan, model: str = "asyncio", workers: Workers = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Show as code")
        self.resize(760, 640)
        self._plan = plan
        self._workers = workers
        self._last_dir = ""
        self.model_box = QComboBox(self)
        self.model_box.addItems(list(MODELS))
        self.model_box.setCurrentText(model if model in MODELS else "asyncio")
        self.model_box.setAccessibleName("model")
        self.model_box.setToolTip("The concurrency model the script uses")
        self.editor = QPlainTextEdit(self)
        self.editor.setReadOnly(True)
        self.editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.editor.setFont(monospace_font())
        self.editor.setAccessibleName("generated script")
        self.status = QLabel("", self)
        self.copy_button = QPushButton("&Copy", self)
        self.copy_button.setToolTip("Copy the script to the clipboard")
        self.save_button = QPushButton("&Save as…", self)
        self.save_button.setToolTip("Save the script as a .py file")
        self.runner = ScriptRunPanel(self)
        self._build_layout()
        self._connect()
        self._on_model_changed()

    def _build_layout(self) -> None:
        top = QHBoxLayout()
        top.addWidget(QLabel("Model:", self))
        top.addWidget(self.model_box)
        top.addStretch(1)
        top.addWidget(self.copy_button)
        top.addWidget(self.save_button)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.editor, 3)
        layout.addWidget(self.status)
        layout.addWidget(self.runner, 1)
        layout.addWidget(buttons)

    def _connect(self) -> None:
        self.model_box.currentTextChanged.connect(self._on_model_changed)
        self.copy_button.clicked.connect(self._on_copy)
        self.save_button.clicked.connect(self._on_save_as)
        self.runner.run_button.clicked.connect(self._on_run_clicked)
        self.finished.connect(lambda _result: self.runner.close_down())

    def model(self) -> str:
        return self.model_box.currentText()

    def set_model(self, model: str) -> None:
        self.model_box.setCurrentText(model)

    def text(self) -> str:
        """The script shown (empty when it could not be generated)."""
        return self.editor.toPlainText()

    def _workers_for(self, model: str) -> int | None:
        if isinstance(self._workers, Mapping):
            return self._workers.get(model)
        return self._workers

    def _on_model_changed(self, *_: object) -> None:
        model = self.model()
        try:
            script = generate(self._plan, model, self._workers_for(model))
        except ValueError as exc:
            self.editor.setPlainText("")
            self.status.setText(f"No script for {model}: {exc}")
            self.copy_button.setEnabled(False)
            self.save_button.setEnabled(False)
            return
        self.editor.setPlainText(script)
        self.status.setText(f"{len(script.splitlines())} lines, standard library only: run it below with any "
                            "Python of this machine and compare its wall time with the app's.")
        self.copy_button.setEnabled(True)
        self.save_button.setEnabled(True)

    def _on_run_clicked(self) -> None:
        if self.runner.is_running():
            self.runner.stop()
        elif self.text():
            self.runner.run(self.text(), f"plan_{self.model()}.py")

    def closeEvent(self, event: QCloseEvent) -> None:
        self.runner.close_down()
        super().closeEvent(event)

    def _on_copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text())
        self.status.setText("Copied to the clipboard.")

    def save_to(self, path: Path) -> bool:
        """Write the script to `path`; a failure is shown in the dialog, never raised."""
        try:
            atomic_write_text(path, self.text())
        except (ConclabError, OSError) as exc:
            self.status.setText(f"Not saved: {exc}")
            return False
        self._last_dir = str(path.parent)
        self.status.setText(f"Saved {path}")
        return True

    def _on_save_as(self) -> None:
        default = str(Path(self._last_dir) / f"plan_{self.model()}.py")
        name, _ = QFileDialog.getSaveFileName(self, "Save script", default, "Python scripts (*.py)")
        if name:
            path = Path(name)
            self.save_to(path if path.suffix else path.with_suffix(".py"))
