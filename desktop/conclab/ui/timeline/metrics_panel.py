"""The metrics panel: one column per model run, one row per metric, the best value of each row highlighted."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from PySide6.QtGui import QBrush
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from conclab.model.run import ModelRun
from conclab.ui.palette import best_color

Better = Literal["higher", "lower", "none"]
Metrics = dict[str, float]
MISSING = "—"


def _num(metrics: Metrics, key: str) -> float | None:
    value = metrics.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def format_seconds(value: float) -> str:
    """0.61 s, 12 ms, 0.4 ms: seconds above 0.1 s, milliseconds below."""
    if abs(value) >= 100:
        return f"{value:.0f} s"
    if abs(value) >= 0.1:
        return f"{value:.2f} s"
    ms = value * 1000
    return f"{ms:.0f} ms" if abs(ms) >= 10 or ms == 0 else f"{ms:.1f} ms"


def format_ms(value: float) -> str:
    return f"{value:.0f} ms" if abs(value) >= 10 or value == 0 else f"{value:.1f} ms"


@dataclass(frozen=True)
class MetricRow:
    """One row: its label, plain-words explanation, how to read and show it, and which way is better."""

    key: str
    label: str
    tooltip: str
    value: Callable[[Metrics], float | None]
    text: Callable[[Metrics], str]
    better: Better


def _single(key: str, fmt: Callable[[float], str]) -> tuple[Callable[[Metrics], float | None],
                                                            Callable[[Metrics], str]]:
    def text(m: Metrics) -> str:
        v = _num(m, key)
        return MISSING if v is None else fmt(v)
    return (lambda m: _num(m, key)), text


def _lag_text(m: Metrics) -> str:
    p99, top = _num(m, "lag_p99_ms"), _num(m, "lag_max_ms")
    return f"{MISSING if p99 is None else format_ms(p99)} / {MISSING if top is None else format_ms(top)}"


def _tasks_value(m: Metrics) -> float | None:
    done, failed = _num(m, "tasks_done"), _num(m, "tasks_failed")
    if done is None:
        return None
    return done - (failed or 0.0) * 1e-6  # more done is better; on a tie, fewer failures


def _tasks_text(m: Metrics) -> str:
    done, failed = _num(m, "tasks_done"), _num(m, "tasks_failed")
    return f"{MISSING if done is None else f'{done:.0f}'} / {MISSING if failed is None else f'{failed:.0f}'}"


ROWS: tuple[MetricRow, ...] = (
    MetricRow("wall", "Wall time", "How long the whole run took, from the first start to the last end.",
              *_single("wall_s", format_seconds), "lower"),
    MetricRow("speedup", "Speedup", "How many times faster than running every step one after another "
              "(the total of all step times divided by the wall time).",
              *_single("speedup", lambda v: f"{v:.0f}x" if v >= 10 else f"{v:.1f}x"), "higher"),
    MetricRow("efficiency", "Efficiency", "How close the run came to perfect overlap: the longest task's "
              "time divided by the wall time (100 % means nothing waited needlessly).",
              *_single("efficiency", lambda v: f"{v * 100:.0f} %"), "higher"),
    MetricRow("cores", "Cores used", "CPU time of the app and its child processes divided by the wall time: "
              "about 1 means one core was busy, 2 means two cores worked in parallel.",
              *_single("cores_used", lambda v: f"{v:.2f}"), "higher"),
    MetricRow("ready", "Ready but waiting", "Time tasks were ready to run but held back: by the GIL "
              "(threads), by a busy event loop (asyncio) or by no free core (processes).",
              *_single("ready_wait_s", format_seconds), "lower"),
    MetricRow("lag", "Loop lag p99 / max", "How late the window's own heartbeat ran (every 10 ms): 99 % of "
              "ticks were at most this late, and the worst one. High lag is a sluggish window.",
              lambda m: _num(m, "lag_p99_ms"), _lag_text, "lower"),
    MetricRow("frozen", "Frozen time", "Total time the window could not react at all: the loop was late by "
              "more than 100 ms.", *_single("frozen_s", format_seconds), "lower"),
    MetricRow("switches", "Context switches", "How often the operating system switched the app's threads "
              "and processes on and off a core.", *_single("ctx_switches", lambda v: f"{v:,.0f}"), "lower"),
    MetricRow("memory", "Peak memory", "The most memory the app and its child processes held at once.",
              *_single("peak_rss_mb", lambda v: f"{v:,.0f} MB"), "lower"),
    MetricRow("tasks", "Tasks done / failed", "How many tasks finished, and how many ended with an error.",
              _tasks_value, _tasks_text, "higher"),
)


def best_columns(values: list[float | None], better: Better) -> set[int]:
    """Columns holding the best value; empty when fewer than two values or when all are equal."""
    known = [(i, v) for i, v in enumerate(values) if v is not None]
    if better == "none" or len(known) < 2 or len({v for _, v in known}) == 1:
        return set()
    pick = max if better == "higher" else min
    target = pick(v for _, v in known)
    return {i for i, v in known if math.isclose(v, target, rel_tol=1e-9, abs_tol=1e-12)}


class MetricsPanel(QWidget):
    """A table comparing model runs side by side; the best value per row is bold and coloured."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = QTableWidget(len(ROWS), 0, self)
        self.table.setAccessibleName("Run metrics")
        self.table.setToolTip("Measured metrics of each model run; the best value of a row is highlighted")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        for r, row in enumerate(ROWS):
            header = QTableWidgetItem(row.label)
            header.setToolTip(row.tooltip)
            self.table.setVerticalHeaderItem(r, header)
        self.overhead_label = QLabel(self)
        self.overhead_label.setToolTip(
            "What recording the trace costs: cpu work cut into time-stamped quanta against the same work "
            "untimed, measured on this machine at calibration (it varies by a few percent with noise)")
        self.overhead_label.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addWidget(self.overhead_label)
        self.setAccessibleName("Metrics panel")

    def set_overhead(self, fraction: float | None) -> None:
        """Show the measured measurement overhead (None hides it: not measured for this run)."""
        if fraction is None:
            self.overhead_label.hide()
            return
        self.overhead_label.setText(f"measurement overhead on cpu work: {fraction:+.1%}")
        self.overhead_label.show()

    def clear(self) -> None:
        self.table.setColumnCount(0)
        self.overhead_label.hide()

    def set_runs(self, runs: list[ModelRun]) -> None:
        """Show one column per run (named after its model); highlight each row's best when several ran."""
        self.clear()
        self.table.setColumnCount(len(runs))
        names = [run.model for run in runs]
        for c, run in enumerate(runs):
            nth = names[:c + 1].count(run.model)
            name = run.model if names.count(run.model) == 1 else f"{run.model} ({nth})"
            self.table.setHorizontalHeaderItem(c, QTableWidgetItem(name))
        for r, row in enumerate(ROWS):
            metrics = [run.metrics if isinstance(run.metrics, dict) else {} for run in runs]
            best = best_columns([row.value(m) for m in metrics], row.better)
            for c, m in enumerate(metrics):
                self.table.setItem(r, c, self._cell(row, m, c in best))

    @staticmethod
    def _cell(row: MetricRow, metrics: Metrics, best: bool) -> QTableWidgetItem:
        item = QTableWidgetItem(row.text(metrics))
        tip = row.tooltip + ("\nBest of the runs shown." if best else "")
        item.setToolTip(tip)
        if best:
            font = item.font()
            font.setBold(True)
            item.setFont(font)
            item.setForeground(QBrush(best_color()))
        return item

    def row_index(self, key: str) -> int:
        """The table row of a metric row key (see `ROWS`)."""
        return next(i for i, row in enumerate(ROWS) if row.key == key)

    def cell_text(self, key: str, column: int) -> str:
        item = self.table.item(self.row_index(key), column)
        return item.text() if item else ""

    def is_best(self, key: str, column: int) -> bool:
        item = self.table.item(self.row_index(key), column)
        return bool(item and item.font().bold())
