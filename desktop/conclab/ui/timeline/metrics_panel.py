"""The metrics panel: one column per run, one row per metric, each row's clearly best value highlighted.

"Best" is said only where it means something. Every row has a noise margin: two values differ only when
their gap is larger than the margin — a share of the larger value (the run-to-run spread of that metric
on a shared machine: about 10 % for times and speed-ups, more for counts the scheduler decides) and never
less than an absolute floor (timer and scheduler granularity). A value is highlighted when it is within
the margin of the best and at least one other value is beyond it; when every value is within the margin
of the best, nothing is. Lag rows need more: a "best" lag must itself be responsive (under 100 ms) and at
least 10 ms and half again better than another run's. A stopped run has no speed-up or efficiency.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QFontMetrics, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from conclab.model.metrics import SPEEDUP_MEASURED, is_stopped
from conclab.model.run import ModelRun
from conclab.ui.palette import FREEZE_THRESHOLD_MS, best_color

Better = Literal["higher", "lower", "none"]
Metrics = dict[str, float]
MISSING = "—"
_BASIS_MEASURED = "vs sequential, measured: the sequential run's wall time divided by this run's"
_BASIS_PLANNED = "vs the plan's serial time: the sum of all step times divided by this run's wall time"


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
class Noise:
    """How far apart two values of a row must be to differ: `rel` of the larger one, at least `floor`."""

    rel: float
    floor: float
    ceiling: float | None = None  # a "best" must be at most this good-enough bound (lower-is-better rows)

    def margin(self, a: float, b: float) -> float:
        return max(self.floor, self.rel * max(abs(a), abs(b)))


@dataclass(frozen=True)
class MetricRow:
    """One row: its label, plain-words explanation, how to read and show it, which way is better, its noise."""

    key: str
    label: str
    tooltip: str
    value: Callable[[Metrics], float | None]
    text: Callable[[Metrics], str]
    better: Better
    noise: Noise = Noise(0.10, 0.0)
    needs_completion: bool = False  # meaningless for a stopped run


def _single(key: str, fmt: Callable[[float], str]) -> tuple[Callable[[Metrics], float | None],
                                                            Callable[[Metrics], str]]:
    def text(m: Metrics) -> str:
        v = _num(m, key)
        return MISSING if v is None else fmt(v)
    return (lambda m: _num(m, key)), text


def _lag_text(m: Metrics) -> str:
    p99, top = _num(m, "lag_p99_ms"), _num(m, "lag_max_ms")
    if p99 is not None and top is not None:  # one unit for both keeps the column narrow: "26 / 40 ms"
        return f"{format_ms(p99).removesuffix(' ms')} / {format_ms(top)}"
    return f"{MISSING if p99 is None else format_ms(p99)} / {MISSING if top is None else format_ms(top)}"


def _ready_mean(m: Metrics) -> float | None:
    mean = _num(m, "ready_wait_mean_s")
    if mean is not None:
        return mean
    total, tasks = _num(m, "ready_wait_s"), _num(m, "tasks_done")
    return total / tasks if total is not None and tasks else None


def _tasks_value(m: Metrics) -> float | None:
    done, failed = _num(m, "tasks_done"), _num(m, "tasks_failed")
    if done is None:
        return None
    return done - (failed or 0.0) * 1e-6  # more done is better; on a tie, fewer failures


def _tasks_text(m: Metrics) -> str:
    done, failed = _num(m, "tasks_done"), _num(m, "tasks_failed")
    return f"{MISSING if done is None else f'{done:.0f}'} / {MISSING if failed is None else f'{failed:.0f}'}"


_LAG_NOISE = Noise(0.5, 10.0, ceiling=FREEZE_THRESHOLD_MS)

ROWS: tuple[MetricRow, ...] = (
    MetricRow("wall", "Wall time", "How long the whole run took, from the first start to the last end.",
              *_single("wall_s", format_seconds), "lower", Noise(0.10, 0.02)),
    MetricRow("speedup", "Speed-up", "How many times faster than running the same work one task after another. "
              "The basis is said in each cell: " + _BASIS_MEASURED + "; or " + _BASIS_PLANNED + ".",
              *_single("speedup", lambda v: f"{v:.0f}x" if v >= 10 else f"{v:.1f}x"), "higher",
              Noise(0.10, 0.05), needs_completion=True),
    MetricRow("efficiency", "Efficiency", "How close the run came to perfect overlap: the longest task's "
              "time divided by the wall time (100 % means nothing waited needlessly).",
              *_single("efficiency", lambda v: f"{v * 100:.0f} %"), "higher", Noise(0.10, 0.03),
              needs_completion=True),
    MetricRow("cores", "Cores used", "CPU time of the measured program and its child processes divided by the "
              "wall time: about 1 means one core was busy, 2 means two cores worked in parallel.",
              *_single("cores_used", lambda v: f"{v:.2f}"), "higher", Noise(0.15, 0.10)),
    MetricRow("ready", "Ready, per task", "How long a task was ready to run but held back, on average — by the "
              "GIL (threads), a busy event loop (asyncio) or no free core (processes).", _ready_mean,
              lambda m: MISSING if _ready_mean(m) is None else format_seconds(_ready_mean(m) or 0.0), "lower",
              Noise(0.25, 0.002)),
    MetricRow("ready_all", "Ready, all tasks", "The same waits added up over all tasks, in task-seconds: ten "
              "tasks each held back 0.1 s make 1 s, so it can be more than the wall time.",
              *_single("ready_wait_s", format_seconds), "none"),
    MetricRow("lag", "Loop lag p99 / max", "How late the measured program's main loop ran (a heartbeat ticks "
              "every 10 ms): 99 % of ticks were at most this late, and the worst one. Under asyncio it is the "
              "loop the tasks run on; high lag there is an unresponsive program.",
              lambda m: _num(m, "lag_p99_ms"), _lag_text, "lower", _LAG_NOISE),
    MetricRow("frozen", "Frozen time", "Total time the measured program's loop could not react at all: it was "
              "late by more than 100 ms.", *_single("frozen_s", format_seconds), "lower", Noise(0.25, 0.05)),
    MetricRow("window_lag", "Window lag p99", "How late this window's own event loop ran while the run was "
              "measured: 99 % of its ticks were at most this late. It is the app's responsiveness — low for "
              "runs in the lab; a run inside this window shows what it costs the window.",
              *_single("window_lag_p99_ms", format_ms), "lower", _LAG_NOISE),
    MetricRow("switches", "Context switches", "How often the operating system switched the measured program's "
              "threads and processes on and off a core.", *_single("ctx_switches", lambda v: f"{v:,.0f}"),
              "lower", Noise(0.30, 50.0)),
    MetricRow("memory", "Peak memory", "The most memory the measured program and its child processes held at "
              "once.", *_single("peak_rss_mb", lambda v: f"{v:,.0f} MB"), "lower", Noise(0.15, 5.0)),
    MetricRow("tasks", "Tasks done / failed", "How many tasks finished, and how many ended with an error.",
              _tasks_value, _tasks_text, "higher", Noise(0.0, 0.5)),
)


def best_columns(values: list[float | None], better: Better, noise: Noise = Noise(0.0, 0.0)) -> set[int]:
    """Columns holding a clearly best value (see the module's docstring); empty when nothing stands out."""
    known = [(i, v) for i, v in enumerate(values) if v is not None]
    if better == "none" or len(known) < 2:
        return set()
    best = (max if better == "higher" else min)(v for _, v in known)
    if noise.ceiling is not None and best > noise.ceiling:
        return set()
    winners = {i for i, v in known if abs(v - best) <= noise.margin(v, best)}
    return winners if len(winners) < len(known) else set()


def column_names(runs: list[ModelRun]) -> list[str]:
    """Each run's column title: its name (label or model), numbered when repeated, marked when stopped."""
    names = [run.name for run in runs]
    out = []
    for c, run in enumerate(runs):
        name = run.name if names.count(run.name) == 1 else f"{run.name} ({names[:c + 1].count(run.name)})"
        out.append(f"{name} (stopped)" if is_stopped(run) else name)
    return out


class MetricsPanel(QWidget):
    """A table comparing runs side by side; a clearly best value per row is bold and coloured."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = QTableWidget(len(ROWS), 0, self)
        self.table.setAccessibleName("Run metrics")
        self.table.setToolTip("Measured metrics of each run; a clearly best value of a row is highlighted")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setWordWrap(False)
        rows = self.table.verticalHeader()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(QFontMetrics(self.table.font()).height() + 8)
        for r, row in enumerate(ROWS):
            header = QTableWidgetItem(row.label)
            header.setToolTip(row.tooltip)
            self.table.setVerticalHeaderItem(r, header)
        self.empty_hint = QLabel("Each run's numbers appear here, one column per run.", self.table.viewport())
        self.empty_hint.setObjectName("metrics_empty_hint")
        self.empty_hint.setWordWrap(True)
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_hint.setEnabled(False)  # drawn in the palette's disabled (muted) text colour
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
        self._label_speedup([])
        self.empty_hint.show()

    def set_runs(self, runs: list[ModelRun]) -> None:
        """Show one column per run; highlight each row's clearly best value when several ran."""
        self.clear()
        self.table.setColumnCount(len(runs))
        for c, name in enumerate(column_names(runs)):
            item = QTableWidgetItem(name.replace(" · ", "\n"))  # "threads · 3.13.0" on two short lines
            item.setToolTip(self._column_tip(runs[c]))
            self.table.setHorizontalHeaderItem(c, item)
        metrics = [run.metrics if isinstance(run.metrics, dict) else {} for run in runs]
        stopped = [is_stopped(run) for run in runs]
        for r, row in enumerate(ROWS):
            values = [None if row.needs_completion and stopped[c] else row.value(m) for c, m in enumerate(metrics)]
            best = best_columns(values, row.better, row.noise)
            for c, m in enumerate(metrics):
                self.table.setItem(r, c, self._cell(row, m, c in best, stopped[c]))
        self._label_speedup([m for m, s in zip(metrics, stopped, strict=True) if not s])
        self.empty_hint.setVisible(not runs)
        self._fit_columns()

    @staticmethod
    def _column_tip(run: ModelRun) -> str:
        python = run.python.get("version") if isinstance(run.python, dict) else None
        where = "inside this window" if run.runtime == "window" else "in the lab"
        tip = f"{run.model}, measured {where}" + (f" on Python {python}" if python else "")
        return tip + (" — stopped before every task ended" if is_stopped(run) else "")

    def _label_speedup(self, completed: list[Metrics]) -> None:
        bases = {_num(m, "speedup_basis") == SPEEDUP_MEASURED for m in completed if _num(m, "speedup") is not None}
        header = self.table.verticalHeaderItem(self.row_index("speedup"))
        header.setText("Speed-up vs sequential" if bases == {True} else
                       "Speed-up vs plan" if bases == {False} else "Speed-up")

    @staticmethod
    def _cell(row: MetricRow, metrics: Metrics, best: bool, stopped: bool) -> QTableWidgetItem:
        if row.needs_completion and stopped:
            item = QTableWidgetItem(MISSING)
            item.setToolTip(f"{row.label}: none — the run was stopped, so it would compare part of the work "
                            "with the whole of it.")
            return item
        item = QTableWidgetItem(row.text(metrics))
        tip = row.tooltip
        if row.key == "speedup":
            basis = _BASIS_MEASURED if _num(metrics, "speedup_basis") == SPEEDUP_MEASURED else _BASIS_PLANNED
            tip = f"Speed-up {basis}."
        item.setToolTip(tip + ("\nClearly the best of the runs shown (beyond the measurement noise)." if best else ""))
        if best:
            font = item.font()
            font.setBold(True)
            item.setFont(font)
            item.setForeground(QBrush(best_color()))
        return item

    def _needed_widths(self) -> list[int]:
        """Each column's width for its widest cell (bold, as a best value is) and every line of its title."""
        titles = QFontMetrics(self.table.horizontalHeader().font())
        bold_font = self.table.font()
        bold_font.setBold(True)
        cells = QFontMetrics(bold_font)
        needed = []
        for c in range(self.table.columnCount()):
            items = [self.table.item(r, c) for r in range(self.table.rowCount())]
            width = max([cells.horizontalAdvance(i.text()) for i in items if i is not None] + [0])
            title = self.table.horizontalHeaderItem(c)
            lines = title.text().splitlines() if title else []
            needed.append(max([width] + [titles.horizontalAdvance(line) for line in lines]) + 16)
        return needed

    def ideal_width(self) -> int:
        """The width that shows every column whole, without a horizontal scroll bar."""
        t = self.table
        return (t.verticalHeader().sizeHint().width() + sum(self._needed_widths()) + 2 * t.frameWidth()
                + t.verticalScrollBar().sizeHint().width())

    def _fit_columns(self) -> None:
        """Stretch the columns over the table when everything fits; else size each to its text and scroll."""
        header = self.table.horizontalHeader()
        if self.table.columnCount() == 0:
            return
        needed = self._needed_widths()
        if sum(needed) <= self.table.viewport().width():
            header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
            return
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for c, width in enumerate(needed):
            header.resizeSection(c, width)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.empty_hint.setGeometry(self.table.viewport().rect().adjusted(12, 12, -12, -12))
        self._fit_columns()

    def table_height(self) -> int:
        """The height that shows every row and the overhead line without scrolling (for layouts that size the
        panel), whether or not runs are shown yet."""
        t = self.table
        header = max(t.horizontalHeader().sizeHint().height(), QFontMetrics(t.font()).height() + 8)
        layout = self.layout()
        label = self.overhead_label.sizeHint().height() + (layout.spacing() if layout is not None else 0)
        return header + t.verticalHeader().length() + 2 * t.frameWidth() + 2 + label

    def row_index(self, key: str) -> int:
        """The table row of a metric row key (see `ROWS`)."""
        return next(i for i, row in enumerate(ROWS) if row.key == key)

    def column_title(self, column: int) -> str:
        """A column's run name as one line ("threads · 3.13.0"), however it is broken in the header."""
        item = self.table.horizontalHeaderItem(column)
        return item.text().replace("\n", " · ") if item else ""

    def cell_text(self, key: str, column: int) -> str:
        item = self.table.item(self.row_index(key), column)
        return item.text() if item else ""

    def is_best(self, key: str, column: int) -> bool:
        item = self.table.item(self.row_index(key), column)
        return bool(item and item.font().bold())

    def row_label(self, key: str) -> str:
        item = self.table.verticalHeaderItem(self.row_index(key))
        return item.text() if item else ""
