"""Run controls: Run and Stop, which models, on which Pythons, where, how many workers, the GIL switch interval.

Laid out as a small grid that fits the plan editor's column, from a 1024-pixel-wide window up.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QWidget,
)

from conclab.model.session_spec import Runtime as Where
from conclab.model.trace import MODELS
from conclab.ui.shell.interpreter_panel import InterpreterPanel, PythonChoice, own_label

MODEL_HELP = {
    "sequential": "One task after another on one worker thread: the baseline.",
    "asyncio": "Coroutines on one event loop: a task that blocks or computes holds up every other.",
    "threads": "A pool of worker threads. Python code in them takes turns holding the GIL.",
    "processes": "A pool of worker processes (spawn): Python code really runs in parallel, one per core.",
}

WHERE_HELP = {
    Where.LAB: "In the lab: a separate Python process that the window only watches, so the window's own "
               "work cannot slow what is measured. What the plan costs on this machine.",
    Where.WINDOW: "Inside this window: asyncio on the window's own event loop and QThread workers, as a Qt "
                  "app would do it. A blocked loop freezes this very window; the window's cost is measured "
                  "and shown, and the run is measured in the lab too for comparison.",
}


def _label(text: str, buddy: QWidget, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setBuddy(buddy)
    return label


class RunControlsPanel(QWidget):
    """Emits `run_requested(models, workers or None, switch_ms)` and `stop_requested()`."""

    run_requested = Signal(list, object, float)
    stop_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model_boxes: dict[str, QCheckBox] = {}
        for m in MODELS:
            box = QCheckBox(m, self)
            box.setToolTip(MODEL_HELP[m])
            box.setAccessibleName(f"run under {m}")
            box.toggled.connect(self._on_models_toggled)
            self.model_boxes[m] = box
        self.pythons = InterpreterPanel(self)
        self.where = QComboBox(self)
        self.where.addItem("the lab", Where.LAB)
        self.where.addItem("this window", Where.WINDOW)
        self.where.setToolTip(WHERE_HELP[Where.LAB])
        self.where.setAccessibleName("run in: the lab or this window")
        self.where.currentIndexChanged.connect(self._on_where_changed)
        self.workers = QSpinBox(self)
        self.workers.setRange(0, 100_000)
        self.workers.setSpecialValueText("auto")
        self.workers.setToolTip("Threads or processes in the pool (auto: one thread per task, capped; "
                                "one process per core; asyncio unbounded)")
        self.workers.setAccessibleName("workers")
        self.switch_ms = QDoubleSpinBox(self)
        self.switch_ms.setRange(0.1, 100.0)
        self.switch_ms.setDecimals(1)
        self.switch_ms.setSuffix(" ms")
        self.switch_ms.setValue(sys.getswitchinterval() * 1000)
        self.switch_ms.setToolTip("sys.setswitchinterval: how long a thread may hold the GIL before it is "
                                  "asked to hand it over")
        self.switch_ms.setAccessibleName("GIL switch interval in milliseconds")
        self.run_button = QPushButton("▶ Run", self)
        self.run_button.setToolTip("Run the plan under every chosen model, one after another (Ctrl+R)")
        self.run_button.setAccessibleName("run")
        self.run_button.clicked.connect(self.request_run)
        self.stop_button = QPushButton("■ Stop", self)
        self.stop_button.setToolTip("Stop the run (Esc)")
        self.stop_button.setAccessibleName("stop")
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop_requested)
        self._build_layout()

    def _build_layout(self) -> None:
        grid = QGridLayout(self)
        grid.setContentsMargins(2, 2, 2, 4)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(4)
        models = QHBoxLayout()
        models.setSpacing(10)
        for box in self.model_boxes.values():
            models.addWidget(box)
        models.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button, 1)
        buttons.addWidget(self.stop_button, 1)
        grid.addLayout(buttons, 0, 0, 1, 4)
        grid.addWidget(QLabel("Models", self), 1, 0)
        grid.addLayout(models, 1, 1, 1, 3)
        grid.addWidget(_label("&Python", self.pythons.button, self), 2, 0)
        grid.addWidget(self.pythons, 2, 1)
        grid.addWidget(_label("R&un in", self.where, self), 2, 2)
        grid.addWidget(self.where, 2, 3)
        grid.addWidget(_label("&Workers", self.workers, self), 3, 0)
        grid.addWidget(self.workers, 3, 1)
        grid.addWidget(_label("&GIL switch", self.switch_ms, self), 3, 2)
        grid.addWidget(self.switch_ms, 3, 3)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)

    def models(self) -> list[str]:
        return [m for m, box in self.model_boxes.items() if box.isChecked()]

    def set_models(self, models: list[str] | tuple[str, ...]) -> None:
        for m, box in self.model_boxes.items():
            box.setChecked(m in models)

    def python_choices(self) -> list[PythonChoice]:
        """The Pythons the next run uses (only the app's own inside this window)."""
        if self.runtime() == Where.WINDOW:
            return [PythonChoice(None, own_label())]
        return self.pythons.choices()

    def runtime(self) -> Where:
        """Where runs are measured: the lab (default) or inside this window."""
        return Where(self.where.currentData())

    def set_runtime(self, where: Where) -> None:
        self.where.setCurrentIndex(max(0, self.where.findData(where)))

    def _on_where_changed(self, _index: int) -> None:
        inside = self.runtime() == Where.WINDOW
        self.where.setToolTip(WHERE_HELP[self.runtime()])
        self.pythons.set_own_only(inside, f"Runs inside this window use this app's own Python ({own_label()})")

    def worker_count(self) -> int | None:
        return self.workers.value() or None

    def set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running and bool(self.models()))
        self.stop_button.setEnabled(running)
        for w in (*self.model_boxes.values(), self.where, self.workers, self.switch_ms):
            w.setEnabled(not running)
        self.pythons.button.setEnabled(not running and not self.pythons.own_only())

    def _on_models_toggled(self, _checked: bool) -> None:
        if not self.stop_button.isEnabled():
            self.run_button.setEnabled(bool(self.models()))

    def request_run(self) -> None:
        """Ask for a run with the current choices (the Run button and Ctrl+R)."""
        self.run_requested.emit(self.models(), self.worker_count(), self.switch_ms.value())
