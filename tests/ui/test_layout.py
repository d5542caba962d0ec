"""The window reads well from 1024×640 to 4K, at 100 % and 200 %: nothing the user needs is cut off or squeezed.

Checked from the widgets themselves: every control inside the window and at least as wide as it asks to be,
every column of the plan form whole and its title unclipped, metric names and run names unclipped, three
models' timelines on screen without scrolling from 1280×800 up, and the lessons dock wide enough to read.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QRect, QSettings
from PySide6.QtWidgets import QAbstractButton, QApplication, QComboBox, QLabel, QSpinBox, QWidget

from conclab.model.run import ModelRun, TaskOutcome
from conclab.model.trace import LaneKind, Span, State

ROOT = Path(__file__).resolve().parents[2]
SIZES = [(1024, 640), (1280, 800), (1600, 1000), (3840, 2160)]


def fake_run(model: str, lanes: int = 5) -> ModelRun:
    """A finished run with `lanes` worker lanes, every state drawn, and a lag curve."""
    names = [f"thread {i + 1}" for i in range(lanes)]
    spans = []
    for i, lane in enumerate(names):
        for j, state in enumerate((State.RUNNING, State.IO_WAIT, State.READY_WAIT, State.BLOCKING)):
            spans.append(Span(i, 0, lane, state, j * 0.1 + i * 0.01, j * 0.1 + 0.09 + i * 0.01))
    metrics = {"wall_s": 0.5, "speedup": 1.5, "efficiency": 0.5, "cores_used": 0.8, "ready_wait_s": 1.23,
               "ready_wait_mean_s": 0.25, "lag_p99_ms": 123.0, "lag_max_ms": 456.0, "frozen_s": 0.2,
               "window_lag_p99_ms": 12.0, "ctx_switches": 12345, "peak_rss_mb": 85, "tasks_done": 5,
               "tasks_failed": 0}
    return ModelRun(model, lanes, metrics, [TaskOutcome(i, f"t{i}", "done") for i in range(lanes)], spans,
                    [(k * 0.01, 0.001) for k in range(50)], dict.fromkeys(names, LaneKind.WORKER))


def _inside(widget: QWidget, window: QWidget) -> bool:
    top_left = widget.mapTo(window, widget.rect().topLeft())
    return window.rect().contains(QRect(top_left, widget.size()).adjusted(0, 0, -1, -1))


def layout_problems(width: int, height: int) -> list[str]:
    """Build a window at this (logical) size, show three runs, and list everything that reads badly."""
    from conclab.ui.shell.main_window import MainWindow

    problems: list[str] = []
    store = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "conclab-layout-test", "none")
    store.clear()
    window = MainWindow(store)
    try:
        hint = window.minimumSizeHint()
        if hint.width() > 1024 or hint.height() > 640:
            problems.append(f"the window cannot be made 1024×640 (its minimum is {hint.width()}×{hint.height()})")
        window.resize(width, height)
        window.show()
        QApplication.processEvents()
        window.fit_layout()
        QApplication.processEvents()
        problems += _control_problems(window)
        problems += _form_problems(window)
        window.run_files.show_document(_document())
        QApplication.processEvents()
        problems += _metrics_problems(window)
        if height >= 800:
            problems += _timeline_problems(window)
        problems += _lessons_problems(window)
    finally:
        window.editor.mark_saved()
        window.close()
        window.deleteLater()
        QApplication.processEvents()
    return [f"{width}×{height}: {p}" for p in problems]


def _document() -> object:
    from conclab.model.run import RunDocument

    runs = [fake_run("asyncio"), fake_run("threads"), fake_run("processes", 2)]
    for run in runs:
        run.label = f"{run.model} · 3.13.0"
    return RunDocument("3x fetch: net 200ms", {}, {}, runs)


def _control_problems(window: QWidget) -> list[str]:
    out = []
    controls = window.controls  # type: ignore[attr-defined]
    widgets: list[QWidget] = [*controls.findChildren(QAbstractButton), *controls.findChildren(QComboBox),
                              *controls.findChildren(QSpinBox), *controls.findChildren(QLabel)]
    for w in widgets:
        if not w.isVisibleTo(window):
            continue
        name = w.accessibleName() or (w.text() if hasattr(w, "text") else type(w).__name__)
        if not _inside(w, window):
            out.append(f"run control {name!r} is outside the window")
        if w.width() < w.minimumSizeHint().width():
            out.append(f"run control {name!r} is squeezed ({w.width()} < {w.minimumSizeHint().width()} px)")
    return out


def _form_problems(window: QWidget) -> list[str]:
    out = []
    tree = window.editor.form_view.tree  # type: ignore[attr-defined]
    header = tree.header()
    for col in range(header.count()):
        title = tree.model().headerData(col, 1)
        right = header.sectionViewportPosition(col) + header.sectionSize(col)
        if right > tree.viewport().width() + 1:
            out.append(f"form column {title!r} is cut off ({right} > {tree.viewport().width()} px)")
        if header.sectionSize(col) < header.fontMetrics().horizontalAdvance(title) + 8:
            out.append(f"form column title {title!r} is clipped")
    return out


def _metrics_problems(window: QWidget) -> list[str]:
    out = []
    table = window.metrics.table  # type: ignore[attr-defined]
    rows = table.verticalHeader()
    for r in range(table.rowCount()):
        label = table.verticalHeaderItem(r).text()
        if rows.width() < rows.fontMetrics().horizontalAdvance(label) + 6:
            out.append(f"metric name {label!r} is clipped")
    columns = table.horizontalHeader()
    for c in range(table.columnCount()):
        for title in table.horizontalHeaderItem(c).text().splitlines():
            if columns.sectionSize(c) < columns.fontMetrics().horizontalAdvance(title) + 6:
                out.append(f"run name {title!r} is clipped in the metrics")
        right = columns.sectionViewportPosition(c) + columns.sectionSize(c)
        if right > table.viewport().width() + 1:
            out.append(f"the metrics of {table.horizontalHeaderItem(c).text()!r} are off screen")
    return out


def _timeline_problems(window: QWidget) -> list[str]:
    graphics = window.timeline.graphics  # type: ignore[attr-defined]
    graphics = graphics() if callable(graphics) else graphics
    viewport = graphics.parentWidget()
    if window.timeline.section_count() != 3:  # type: ignore[attr-defined]
        return ["the three runs are not all on the timeline"]
    if graphics.height() > viewport.height() + 2:
        return [f"three models' timelines need scrolling ({graphics.height()} > {viewport.height()} px)"]
    return []


def _lessons_problems(window: QWidget) -> list[str]:
    out = []
    dock = window.lessons  # type: ignore[attr-defined]
    lesson = dock.panel.lessons()[1]
    dock.open_lesson(lesson.id)
    for _ in range(3):
        QApplication.processEvents()
    if dock.width() < 480:
        out.append(f"the lessons dock is a sliver ({dock.width()} px)")
    page = dock.page
    if page.width() < 420:
        out.append(f"the lesson page is a sliver ({page.width()} px)")
    question = getattr(page, "question", None) or page.intro
    if question.width() < 300 or question.height() < 2 * question.fontMetrics().height():
        out.append(f"the lesson's question is a sliver ({question.width()}×{question.height()} px)")
    title_width = page.title.fontMetrics().horizontalAdvance(page.title.text())
    if page.title.width() < min(title_width, 300):
        out.append(f"the lesson's title is squeezed ({page.title.width()} px)")
    items = dock.panel.list
    for i in range(items.count()):
        text_width = items.fontMetrics().horizontalAdvance(items.item(i).text())
        if items.visualItemRect(items.item(i)).width() < min(text_width, 260) and not items.wordWrap():
            out.append(f"lesson title {items.item(i).text()!r} is cut off")
    dock.hide()
    QApplication.processEvents()
    if not window.layout_parts.right_splitter.isVisible():  # type: ignore[attr-defined]
        out.append("the timeline did not come back when the lessons closed")
    return out


@pytest.mark.parametrize(("width", "height"), SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_the_window_reads_well_at_every_size(qloop: object, width: int, height: int,
                                             monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert layout_problems(width, height) == []


def test_the_window_reads_well_at_200_percent(tmp_path: Path) -> None:
    code = ("import json, asyncio\n"
            "from conclab.ui.shell.qt_app import ensure_app\n"
            "from conclab.ui.shell.qt_loop import TimerHeapEventLoop\n"
            "app = ensure_app(offscreen=True)\n"
            "asyncio.set_event_loop(TimerHeapEventLoop(app))\n"
            "from tests.ui.test_layout import layout_problems\n"
            "print(json.dumps({'ratio': app.devicePixelRatio(), 'problems': "
            "layout_problems(1024, 640) + layout_problems(1920, 1080)}))\n")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", QT_SCALE_FACTOR="2", XDG_CONFIG_HOME=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180, env=env,
                         cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["ratio"] == 2
    assert seen["problems"] == []
