"""Real lessons through the window, the way a learner takes them: click the lesson in the list, read the
question, click a prediction, click Run (the window's own controller measures in the lab, or inside the
window), then read the verdicts with their measured numbers, the prediction's result and the explanation;
progress that survives a restart; a lesson whose interpreter this machine lacks; a saved run shown as
measured elsewhere."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import qasync
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from conclab.engines.interpreters import InterpreterError, resolve
from conclab.model.lessons import get_lesson
from conclab.model.run import METRIC_KEYS, ModelRun, RunDocument
from conclab.model.runfile import dumps
from conclab.ui.lessons.lesson_page_view import SAVED_LABEL, LessonPageView
from conclab.ui.lessons.lesson_result_panel import MARK_HEX, SAVED_TITLE
from conclab.ui.lessons.lessons_panel import DONE_MARK, RIGHT_MARK, WRONG_MARK
from conclab.ui.shell.main_window import MainWindow


async def until(condition: Callable[[], bool], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.02)


def open_by_click(qtbot: QtBot, window: MainWindow, lesson_id: str) -> LessonPageView:
    """Show the lessons (as the menu's "Lessons panel" does) and click the lesson's row in the list."""
    window.resize(1280, 800)
    dock = window.lessons
    dock.toggleViewAction().trigger()
    assert dock.isVisible()
    panel = dock.panel
    item = panel.item_for(lesson_id)
    assert item is not None
    panel.list.scrollToItem(item)
    qtbot.mouseClick(panel.list.viewport(), Qt.MouseButton.LeftButton, pos=panel.list.visualItemRect(item).center())
    page = dock.page
    lesson = page.lesson()
    assert lesson is not None and lesson.id == lesson_id
    return page


def shown_texts(page: LessonPageView) -> str:
    """Every text the page shows right now (labels that are visible), one per line."""
    return "\n".join(label.text() for label in page.findChildren(QLabel) if label.isVisibleTo(page) and label.text())


async def click_run_and_wait(qtbot: QtBot, window: MainWindow, page: LessonPageView) -> None:
    await until(lambda: page.unmade() is not None, timeout=30)
    assert page.run_button.isEnabled()
    qtbot.mouseClick(page.run_button, Qt.MouseButton.LeftButton)
    assert page.running and window.controller.running
    await until(lambda: not page.running)
    await window.controller.wait()


def test_offload_fix_asks_first_then_shows_verdicts_prediction_and_explanation(
    qtbot: QtBot, qloop: qasync.QEventLoop, window: MainWindow
) -> None:
    lesson = get_lesson("offload-fix")
    assert lesson.prediction is not None

    async def scenario() -> None:
        page = open_by_click(qtbot, window, "offload-fix")
        before = shown_texts(page)
        assert lesson.title in before and "asyncio.to_thread" in before and "asyncio" in page.runs_label.text()
        assert page.prediction.isVisible() and page.prediction.choice_texts() == [c.text for c in
                                                                                 lesson.prediction.choices]
        # Before the run nothing gives the answer away: no explanation, verdict, mark or measurement.
        assert "standard fix" not in before and "checked" not in before and "✓" not in before
        assert not page.results.isVisible() and not page.timeline.isVisible() and page.explanation_text() == ""
        assert not page.run_button.isEnabled()
        qtbot.mouseClick(page.prediction.button(1), Qt.MouseButton.LeftButton)
        assert page.chosen() == 1
        await click_run_and_wait(qtbot, window, page)

    qloop.run_until_complete(scenario())
    page = window.lessons.page
    result = page.result()
    assert result is not None and result.complete and result.prediction is not None
    (run,) = page.runs()
    wall, lag_max = run.metrics["wall_s"], run.metrics["lag_max_ms"]
    assert run.name == "asyncio" and page.timeline.section_count() == 1
    assert page.metrics.table.horizontalHeaderItem(0).text() == "asyncio"
    lines = page.verdict_texts()
    assert lines == result.lines() and len(lines) == 2  # the hidden claim only decides the prediction
    assert all(" — checked: " in line for line in lines)
    assert f"({wall:.2f} s)" in lines[0] and f"at worst {lag_max:.0f} ms" in lines[1]
    assert page.results.verdicts.mark_colors() == [MARK_HEX[v.held] for v in result.shown]
    told = page.prediction_text()
    assert told == result.prediction.sentence and f"asyncio took {wall:.2f} s" in told
    assert result.prediction.measured_answer is not None and f"“{result.prediction.measured_answer}”" in told
    assert page.explanation_text() == lesson.explanation and "standard fix" in shown_texts(page)
    assert page.results.status.text() == result.status


def test_gil_handoff_progress_is_marked_and_survives_a_restart(
    qtbot: QtBot, qloop: qasync.QEventLoop, window: MainWindow, store: QSettings
) -> None:
    async def scenario() -> None:
        page = open_by_click(qtbot, window, "gil-handoff")
        assert page.switch_ms.isVisible() and page.switch_ms.value() == pytest.approx(5.0)
        page.switch_ms.setValue(2.0)
        qtbot.mouseClick(page.prediction.button(1), Qt.MouseButton.LeftButton)  # "It waits, ready, for the GIL"
        await click_run_and_wait(qtbot, window, page)
        assert window.controller.current is not None
        assert window.controller.current.request.switch_interval_ms == pytest.approx(2.0)

    qloop.run_until_complete(scenario())
    page, panel = window.lessons.page, window.lessons.panel
    result = page.result()
    assert result is not None and result.complete and result.prediction is not None
    (run,) = page.runs()
    m = run.metrics
    lines = page.verdict_texts()
    assert len(lines) == 3 and lines[0].startswith(("✓ In all", "✗ In all"))
    assert f"({m['ready_gil_s']:.2f} s)" in lines[0]
    assert f"({m['wall_s']:.2f} s for {m['serial_s']:.2f} s of work)" in lines[1] and "checked" in lines[1]
    assert lines[2].startswith("– not applicable here: ") and "free-threaded" in lines[2]
    assert f"took {m['wall_s']:.2f} s" in page.prediction_text()
    outcome = result.prediction.outcome
    mark = {"right": RIGHT_MARK, "wrong": WRONG_MARK}.get(outcome, DONE_MARK)
    row = panel.item_texts()[6]
    assert row.startswith(f"{mark} 7. ") and panel.progress("gil-handoff") is not None
    assert panel.summary.text().startswith(f"1 of {len(panel.lessons())} lessons done")
    # A restart: a new window on the same settings file shows the same mark and summary.
    again = MainWindow(QSettings(store.fileName(), QSettings.Format.IniFormat))
    qtbot.addWidget(again)
    try:
        assert again.lessons.panel.item_texts()[6] == row
        assert again.lessons.panel.progress("gil-handoff") == panel.progress("gil-handoff")
        assert again.lessons.panel.summary.text() == panel.summary.text()
    finally:
        again.editor.mark_saved()
        again.close()
        again.controller.shutdown()


def _has_free_threaded() -> bool:
    try:
        resolve("3.13t")
    except InterpreterError:
        return False
    return True


@pytest.mark.skipif(_has_free_threaded(), reason="this machine has a free-threaded Python: nothing is missing")
def test_free_threaded_names_the_missing_interpreter_and_runs_the_rest(
    qtbot: QtBot, qloop: qasync.QEventLoop, window: MainWindow
) -> None:
    async def scenario() -> None:
        page = open_by_click(qtbot, window, "free-threaded")
        await until(lambda: page.unmade() is not None, timeout=30)
        notice = page.unmade_label.text()
        assert page.unmade_label.isVisible() and notice.startswith("Not made on this machine: threads-ft — ")
        assert "3.13t" in notice and "free-threaded Python" in notice and "No saved run" in notice
        page.skip_prediction()
        await click_run_and_wait(qtbot, window, page)

    qloop.run_until_complete(scenario())
    page = window.lessons.page
    result = page.result()
    assert result is not None and result.missing == ("threads-ft",) and not result.complete
    assert [r.name for r in page.runs()] == ["threads"] and page.timeline.section_count() == 1
    lines = page.verdict_texts()
    assert lines[0].startswith(("✓ With the GIL", "✗ With the GIL")) and "checked" in lines[0]
    assert sum("'threads-ft' is not in this run document" in line for line in lines) == 2
    assert "threads-ft was not measured" in page.prediction_text()
    assert page.results.status.text().startswith("Not measured here: threads-ft")
    assert not page.results.saved.isVisible()
    assert not window.lessons.panel.is_done("free-threaded")  # a lesson only partly made is not done


def _saved_document() -> str:
    """A run document standing in for one measured on a machine with a free-threaded Python (made up for
    this test: only its labels and numbers matter here)."""
    def run(label: str, wall: float, cores: float, gil: bool) -> ModelRun:
        metrics = {key: 0.0 for key in METRIC_KEYS} | {
            "wall_s": wall, "serial_s": 1.0, "critical_s": 0.5, "speedup": 1.0 / wall, "efficiency": 0.5 / wall,
            "cores_used": cores, "cpu_s": wall * cores, "tasks_done": 2.0}
        python = {"version": "3.13.1", "implementation": "CPython", "gil_enabled": gil, "free_threaded": not gil}
        return ModelRun("threads", 2, metrics, [], [], python=python, label=label)

    machine = {"python": "3.13.1", "cpus": 8, "platform": "Linux-elsewhere", "gil_enabled": True}
    doc = RunDocument("2x crunch: cpu 500ms", machine, {}, [run("threads", 1.02, 0.98, True),
                                                             run("threads-ft", 0.53, 1.9, False)])
    return dumps(doc)


@pytest.mark.skipif(_has_free_threaded(), reason="this machine has a free-threaded Python: nothing is missing")
def test_a_saved_run_is_shown_after_the_run_as_measured_elsewhere(
    qtbot: QtBot, qloop: qasync.QEventLoop, tmp_path: Path, store: QSettings
) -> None:
    folder = tmp_path / "lessons"
    (folder / "saved").mkdir(parents=True)
    shutil.copy(get_lesson("free-threaded").path, folder)
    (folder / "saved" / "free-threaded.json").write_text(_saved_document(), encoding="utf-8")
    window = MainWindow(store, lessons_folder=folder)
    qtbot.addWidget(window)
    window.show()

    async def scenario() -> None:
        page = open_by_click(qtbot, window, "free-threaded")
        await until(lambda: page.unmade() is not None, timeout=30)
        assert "a saved run of this lesson, measured on another machine" in page.unmade_label.text()
        assert not page.results.saved.isVisibleTo(page)  # not before the run: it would answer the question
        qtbot.mouseClick(page.prediction.button(0), Qt.MouseButton.LeftButton)
        await click_run_and_wait(qtbot, window, page)

    try:
        qloop.run_until_complete(scenario())
        page = window.lessons.page
        assert [r.name for r in page.runs()] == ["threads"]  # measured here: only this one
        saved = page.results.saved
        assert saved.isVisible() and saved.title() == SAVED_TITLE
        assert "8 CPU cores" in page.results.saved_where.text() and "not this one's" in page.results.saved_where.text()
        saved_lines = page.results.saved_texts()
        assert any("(0.53 s for 1.00 s)" in line and line.startswith("✓") for line in saved_lines)
        assert page.results.saved_prediction.text().startswith("Against the saved run: ✓ You said")
        headers = [page.metrics.table.horizontalHeaderItem(c).text() for c in range(page.metrics.table.columnCount())]
        assert headers == ["threads", f"threads ({SAVED_LABEL})", f"threads-ft ({SAVED_LABEL})"]
        assert page.timeline.section_count() == 3
        assert page.verdict_texts()[1].startswith("– not applicable here")  # this machine's verdicts stay its own
    finally:
        window.editor.mark_saved()
        window.close()
        qloop.run_until_complete(asyncio.sleep(0.05))


def test_gui_sluggish_measures_in_the_lab_and_inside_the_window(
    qtbot: QtBot, qloop: qasync.QEventLoop, window: MainWindow
) -> None:
    async def scenario() -> None:
        page = open_by_click(qtbot, window, "gui-sluggish")
        assert "threads-window</b> (threads, inside this window)" in page.runs_label.text()
        qtbot.mouseClick(page.prediction.button(0), Qt.MouseButton.LeftButton)
        await click_run_and_wait(qtbot, window, page)

    qloop.run_until_complete(scenario())
    page = window.lessons.page
    result = page.result()
    assert result is not None and result.complete
    lab, inside = page.runs()
    assert (lab.name, lab.runtime, inside.name, inside.runtime) == ("threads", "lab", "threads-window", "window")
    headers = [page.metrics.table.horizontalHeaderItem(c).text() for c in range(2)]
    assert headers == ["threads", "threads-window"] and page.timeline.section_count() == 2
    lag_lab, lag_inside = lab.metrics["window_lag_p99_ms"], inside.metrics["window_lag_p99_ms"]
    print(f"gui-sluggish: window lag p99 {lag_lab:.1f} ms with the threads in the lab, "
          f"{lag_inside:.1f} ms with them inside the window")
    # Two threads spinning in the window's own process compete with it for the GIL: its lag is higher.
    assert lag_inside > lag_lab
    lines = page.verdict_texts()
    assert len(lines) == 2 and all(" — checked: " in line for line in lines)
    assert f"({lag_inside:.1f} ms against {lag_lab:.1f} ms)" in lines[0] and f"({lag_lab:.1f} ms)" in lines[1]
    assert f"{lag_inside:.1f} ms with the threads inside it" in page.prediction_text()
    assert any(c.startswith("threads-window: the window's own thread ran") for c in page.caption_texts())
    assert page.explanation_text().startswith("A Qt window's event loop is Python code too")
