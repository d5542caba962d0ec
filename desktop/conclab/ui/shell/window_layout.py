"""The main window's layout: the plan and its numbers on the left, the timeline over the whole height on the right.

Left: the run controls, then the plan editor over the metrics table (a splitter between them). Right: the
timeline — or, before anything has run, a page saying how to start. Sizes are set from the window's own
size the first time it is shown, so the window reads well from 1024×640 to 4K at any scale; the timeline
takes whatever is left when the window grows.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QProgressBar,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from conclab.ui.plan_editor.plan_editor_panel import PlanEditorPanel
from conclab.ui.shell.run_controls_panel import RunControlsPanel
from conclab.ui.timeline.metrics_panel import MetricsPanel
from conclab.ui.timeline.timeline_view import TimelineView

LEFT_SHARE = (0.25, 0.46)  # the left column's share of the window's width: at least, at most
METRICS_SHARE = 0.5  # the metrics table's share of the left column's height, at most
TIMELINE_MIN = 420  # narrower than this, the timeline is not worth showing beside a side panel
DOCK_MIN = 620  # a side panel (the lessons) gets at least this much when it opens
DOCK_SHARE = 0.55  # of the room right of the plan, when there is room for the timeline too


@dataclass
class WindowLayout:
    """The splitters and pages of the central area."""

    main_splitter: QSplitter
    left_splitter: QSplitter
    right_splitter: QSplitter
    timeline_stack: QStackedWidget
    start_page: QLabel


def start_page_html(run_keys: str) -> str:
    run = f" ({run_keys})" if run_keys else ""
    return (f"<h2>Nothing has run yet</h2><p>Press <b>▶ Run</b>{run} to run the plan on the left under the "
            "ticked models.<br>What ran when appears here, one lane per worker, coloured by state.</p>"
            "<p>Or pick a ready-made plan from <b>Examples</b>, or a guided question from <b>Lessons</b>.<br>"
            "<b>Help → Guide</b> explains the plan, the colours and every metric.</p>")


def build_layout(window: QMainWindow, controls: RunControlsPanel, editor: PlanEditorPanel,
                 timeline: TimelineView, metrics: MetricsPanel) -> WindowLayout:
    start = QLabel(window)
    start.setObjectName("start_page")
    start.setAlignment(Qt.AlignmentFlag.AlignCenter)
    start.setWordWrap(True)
    start.setAccessibleName("How to start")
    start.setMargin(24)
    stack = QStackedWidget(window)
    stack.addWidget(start)
    stack.addWidget(timeline)
    left_split = QSplitter(Qt.Orientation.Vertical, window)
    left_split.setObjectName("left_splitter")
    left_split.addWidget(editor)
    left_split.addWidget(metrics)
    left_split.setStretchFactor(0, 1)
    left_split.setChildrenCollapsible(False)
    left = QWidget(window)
    column = QVBoxLayout(left)
    column.setContentsMargins(0, 0, 0, 0)
    column.addWidget(controls)
    column.addWidget(left_split, 1)
    right = QSplitter(Qt.Orientation.Vertical, window)
    right.setObjectName("right_splitter")
    right.addWidget(stack)
    right.setStretchFactor(0, 1)
    split = QSplitter(Qt.Orientation.Horizontal, window)
    split.setObjectName("main_splitter")
    split.addWidget(left)
    split.addWidget(right)
    split.setStretchFactor(1, 1)
    split.setChildrenCollapsible(False)
    central = QWidget(window)
    box = QVBoxLayout(central)
    box.setContentsMargins(4, 4, 4, 0)
    box.addWidget(split, 1)
    window.setCentralWidget(central)
    timeline.setAccessibleName("timeline")
    metrics.setAccessibleName("metrics")
    return WindowLayout(split, left_split, right, stack, start)


def build_status_bar(window: QMainWindow) -> tuple[QProgressBar, QLabel]:
    """The status bar's permanent parts: how long the run has taken, and its tasks done (shown while running)."""
    progress = QProgressBar(window)
    progress.setMaximumWidth(220)
    progress.setFormat("%v / %m tasks")
    progress.setToolTip("Tasks finished out of all tasks of all chosen models")
    progress.setAccessibleName("progress")
    elapsed = QLabel("", window)
    elapsed.setToolTip("Time since Run was pressed, including start-up")
    window.statusBar().addPermanentWidget(elapsed)
    window.statusBar().addPermanentWidget(progress)
    progress.hide()
    return progress, elapsed


def fit_to_window(layout: WindowLayout, editor: PlanEditorPanel, metrics: MetricsPanel, controls: QWidget) -> None:
    """Share the space out for the window's present size: the left column as wide as the form needs (within
    LEFT_SHARE of the width), the metrics table as tall as its rows (within METRICS_SHARE)."""
    width = max(1, layout.main_splitter.width())
    lo, hi = (int(width * share) for share in LEFT_SHARE)
    wanted = max(editor.ideal_width(), controls.sizeHint().width())
    left = max(lo, min(hi, wanted))
    layout.main_splitter.setSizes([left, width - left])
    height = max(1, layout.left_splitter.height())
    table = min(metrics.table_height(), int(height * METRICS_SHARE))
    layout.left_splitter.setSizes([height - table, table])


def make_room_for_dock(window: QMainWindow, layout: WindowLayout, dock: QDockWidget) -> None:
    """A side panel opens beside the plan: with the timeline when both fit, else in the timeline's place
    (it comes back when the panel closes, or when a run of the window's own starts)."""
    if dock.isFloating() or not dock.isVisible():
        layout.right_splitter.show()
        return
    left = layout.main_splitter.sizes()[0]
    room = window.width() - left - 16
    if room - DOCK_MIN >= TIMELINE_MIN:
        layout.right_splitter.show()
        width = max(DOCK_MIN, int(room * DOCK_SHARE))
    else:
        layout.right_splitter.hide()
        width = room
    window.resizeDocks([dock], [width], Qt.Orientation.Horizontal)


def bring_back_timeline(window: QMainWindow, layout: WindowLayout, dock: QDockWidget | None) -> None:
    """Show the timeline column again (a run of the window's own started), narrowing a side panel to fit."""
    if layout.right_splitter.isVisible():
        return
    layout.right_splitter.show()
    if dock is not None and dock.isVisible() and not dock.isFloating():
        window.resizeDocks([dock], [DOCK_MIN], Qt.Orientation.Horizontal)


def widen_for_metrics(layout: WindowLayout, metrics: MetricsPanel) -> None:
    """Give the plan column the width the metrics table needs for its runs (within LEFT_SHARE), so every
    run's column is on screen; never narrower than it is."""
    sizes = layout.main_splitter.sizes()
    total = sum(sizes)
    wanted = min(metrics.ideal_width() + 4, int(total * LEFT_SHARE[1]))
    if wanted > sizes[0] and layout.right_splitter.isVisible():
        layout.main_splitter.setSizes([wanted, total - wanted])
