"""Run controls: which models, how many workers, the GIL switch interval, Run and Stop."""

from __future__ import annotations

import sys

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QWidget,
)

from conclab.model.session_spec import Runtime as Where
from conclab.model.trace import MODELS

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


class RunControlsPanel(QWidget):
    """Emits `run_requested(models, workers or None, switch_ms)` and `stop_requested()`."""

    run_requested = Signal(list, object, float)
    stop_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        self.model_boxes: dict[str, QCheckBox] = {}
        for m in MODELS:
            box = QCheckBox(m, self)
            box.setToolTip(MODEL_HELP[m])
            box.setAccessibleName(f"run under {m}")
            box.toggled.connect(self._on_models_toggled)
            self.model_boxes[m] = box
            layout.addWidget(box)
        layout.addSpacing(12)
        layout.addWidget(QLabel("run in", self))
        self.where = QComboBox(self)
        self.where.addItem("the lab", Where.LAB)
        self.where.addItem("this window", Where.WINDOW)
        self.where.setToolTip(WHERE_HELP[Where.LAB])
        self.where.setAccessibleName("run in: the lab or this window")
        self.where.currentIndexChanged.connect(self._on_where_changed)
        layout.addWidget(self.where)
        layout.addWidget(QLabel("workers", self))
        self.workers = QSpinBox(self)
        self.workers.setRange(0, 100_000)
        self.workers.setSpecialValueText("auto")
        self.workers.setToolTip("Threads or processes in the pool (auto: one thread per task, capped; "
                                "one process per core; asyncio unbounded)")
        self.workers.setAccessibleName("workers")
        layout.addWidget(self.workers)
        layout.addWidget(QLabel("GIL switch", self))
        self.switch_ms = QDoubleSpinBox(self)
        self.switch_ms.setRange(0.1, 100.0)
        self.switch_ms.setDecimals(1)
        self.switch_ms.setSuffix(" ms")
        self.switch_ms.setValue(sys.getswitchinterval() * 1000)
        self.switch_ms.setToolTip("sys.setswitchinterval: how long a thread may hold the GIL before it is "
                                  "asked to hand it over")
        self.switch_ms.setAccessibleName("GIL switch interval in milliseconds")
        layout.addWidget(self.switch_ms)
        layout.addStretch(1)
        self.run_button = QPushButton("▶ Run", self)
        self.run_button.setToolTip("Run the plan under every chosen model, one after another (Ctrl+R)")
        self.run_button.setAccessibleName("run")
        self.run_button.clicked.connect(self.request_run)
        self.stop_button = QPushButton("■ Stop", self)
        self.stop_button.setToolTip("Stop the run (Esc)")
        self.stop_button.setAccessibleName("stop")
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop_requested)
        layout.addWidget(self.run_button)
        layout.addWidget(self.stop_button)

    def models(self) -> list[str]:
        return [m for m, box in self.model_boxes.items() if box.isChecked()]

    def set_models(self, models: list[str]) -> None:
        for m, box in self.model_boxes.items():
            box.setChecked(m in models)

    def runtime(self) -> Where:
        """Where runs are measured: the lab (default) or inside this window."""
        return Where(self.where.currentData())

    def set_runtime(self, where: Where) -> None:
        self.where.setCurrentIndex(max(0, self.where.findData(where)))

    def _on_where_changed(self, _index: int) -> None:
        self.where.setToolTip(WHERE_HELP[self.runtime()])

    def worker_count(self) -> int | None:
        return self.workers.value() or None

    def set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running and bool(self.models()))
        self.stop_button.setEnabled(running)
        for w in (*self.model_boxes.values(), self.where, self.workers, self.switch_ms):
            w.setEnabled(not running)

    def _on_models_toggled(self, _checked: bool) -> None:
        if not self.stop_button.isEnabled():
            self.run_button.setEnabled(bool(self.models()))

    def request_run(self) -> None:
        """Ask for a run with the current choices (the Run button and Ctrl+R)."""
        self.run_requested.emit(self.models(), self.worker_count(), self.switch_ms.value())
