"""Lessons in the window: the list with progress marks that survive a restart and broken files as errors;
a lesson page whose Run waits for the prediction, runs on the window's controller, and then shows the
verdicts with their numbers, the prediction's result and captions; a stopped run that judges nothing;
and "Show as code" that yields a script Python compiles."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import qasync
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QGuiApplication

from conclab.model.lesson_result import LessonResult, Progress, lesson_result
from conclab.model.lessons import get_lesson
from conclab.model.run import ModelRun, RunDocument
from conclab.ui.lessons.lesson_page_view import LessonPageView
from conclab.ui.lessons.lessons_panel import (
    DONE_MARK,
    LEGEND,
    NOT_DONE_MARK,
    OLD_DONE_KEY,
    PROGRESS_KEY,
    RIGHT_MARK,
    WRONG_MARK,
    LessonsPanel,
)
from conclab.ui.plan_editor.code_dialog import CodeDialog
from conclab.ui.shell.main_window import MainWindow
from conclab.ui.shell.run_controller import RunController

QUICK = '''
id = "quick-wait"
title = "Quick waits"
order = 1
intro = """Two **short** waits and one blocking call."""
plan = "2x wait: sleep 200ms; logger: block 150ms"
models = ["sequential", "asyncio", "threads"]
workers = { threads = 3 }

[prediction]
question = "Which is faster?"
choices = [{ text = "asyncio", when = 0 }, { text = "sequential", when = 3 }]

[[claims]]
text = "asyncio took {left:.2f} s, sequential {right:.2f} s."
left = "asyncio.wall_s"
op = "<"
right = "sequential.wall_s"

[[claims]]
text = "Sequential finished in {left:.3f} s, faster than light."
left = "sequential.wall_s"
op = "<"
right = 0.001

[[claims]]
text = "On {left:.0f} cores."
left = "threads.wall_s"
op = ">"
right = 0
requires = { min_cpus = 4096 }

[[claims]]
text = "sequential beat asyncio"
left = "sequential.wall_s"
op = "<"
right = "asyncio.wall_s"
hidden = true
'''


@pytest.fixture
def lessons_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "lessons"
    folder.mkdir()
    (folder / "01-quick-wait.toml").write_text(QUICK, encoding="utf-8")
    (folder / "02-broken.toml").write_text('id = "broken"\ntitle = [1, 2\n', encoding="utf-8")
    (folder / "03-no-claims.toml").write_text(
        'id = "no-claims"\ntitle = "x"\norder = 3\nintro = "x"\nplan = "sleep 1ms"\nmodels = ["asyncio"]\n'
        "claims = []\n", encoding="utf-8")
    return folder


async def _until(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.02)


@pytest.fixture
def quick_window(qtbot, qloop: qasync.QEventLoop, lessons_dir: Path, store: QSettings) -> Iterator[MainWindow]:  # type: ignore[no-untyped-def]
    """A shown main window whose lessons are the ones in `lessons_dir`."""
    w = MainWindow(store, lessons_folder=lessons_dir)
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    yield w
    if w.controller.running:
        w.controller.stop()
        qloop.run_until_complete(w.controller.wait())
    w.editor.mark_saved()
    w.close()
    qloop.run_until_complete(asyncio.sleep(0.05))


def _open(qtbot, window: MainWindow, lesson_id: str) -> LessonPageView:  # type: ignore[no-untyped-def]
    """Show the lessons and click the lesson's row, as a user does."""
    window.lessons.toggleViewAction().trigger()
    panel = window.lessons.panel
    item = panel.item_for(lesson_id)
    assert item is not None
    qtbot.mouseClick(panel.list.viewport(), Qt.MouseButton.LeftButton, pos=panel.list.visualItemRect(item).center())
    return window.lessons.page


def _quick_result(lessons_dir: Path, chosen: int | None) -> LessonResult:
    """The quick lesson judged against made-up numbers (asyncio faster than sequential)."""
    def run(model: str, wall: float) -> ModelRun:
        return ModelRun(model, 1, {"wall_s": wall}, [], [])

    lesson = get_lesson("quick-wait", lessons_dir)
    doc = RunDocument(lesson.plan_text, {"cpus": 2}, {}, [run("sequential", 0.55), run("asyncio", 0.35),
                                                           run("threads", 0.2)])
    return lesson_result(lesson, doc, chosen)


def test_panel_lists_lessons_marks_progress_and_broken_files(qtbot, lessons_dir: Path, store: QSettings) -> None:  # type: ignore[no-untyped-def]
    panel = LessonsPanel(store, lessons_dir)
    qtbot.addWidget(panel)
    assert [les.id for les in panel.lessons()] == ["quick-wait"]
    texts = panel.item_texts()
    assert texts[0] == f"{NOT_DONE_MARK} 1. Quick waits"
    broken = [t for t in texts if t.startswith("⚠")]
    assert len(broken) == 2 and any("02-broken.toml" in t for t in broken)
    summary = panel.summary.text()
    assert summary.startswith("0 of 1 lessons done.") and LEGEND in summary
    assert "03-no-claims.toml" in summary and "claims" in summary
    chosen: list[str] = []
    panel.lesson_chosen.connect(lambda les: chosen.append(les.id))
    assert panel.select("quick-wait") and chosen == ["quick-wait"]
    assert not panel.select("nope")
    panel.mark_done(_quick_result(lessons_dir, 1))  # predicted "sequential": wrong
    assert panel.item_texts()[0].startswith(WRONG_MARK)
    panel.mark_done(_quick_result(lessons_dir, 0))
    assert panel.item_texts()[0].startswith(RIGHT_MARK)
    assert panel.summary.text().startswith("1 of 1 lessons done; last predictions: 1 right.")
    assert panel.progress("quick-wait") == Progress(True, "right", 1, 2)
    panel.mark_done(_quick_result(lessons_dir, None))
    assert panel.item_texts()[0].startswith(DONE_MARK) and "skipped" in panel.list.item(0).toolTip()
    again = LessonsPanel(QSettings(store.fileName(), QSettings.Format.IniFormat), lessons_dir)
    qtbot.addWidget(again)
    assert again.progress("quick-wait") == Progress(True, "skipped", 1, 3)
    assert again.item_texts()[0].startswith(DONE_MARK)


def test_old_ticks_count_as_done_and_foreign_values_as_nothing(qtbot, lessons_dir: Path, store: QSettings) -> None:  # type: ignore[no-untyped-def]
    store.setValue(OLD_DONE_KEY, ["quick-wait"])
    panel = LessonsPanel(store, lessons_dir)
    qtbot.addWidget(panel)
    assert panel.is_done("quick-wait") and panel.item_texts()[0].startswith(DONE_MARK)
    for value in (42, "not json", '{"quick-wait": {"done": "yes"}}'):
        other = QSettings(str(lessons_dir / f"foreign-{len(str(value))}.ini"), QSettings.Format.IniFormat)
        other.setValue(PROGRESS_KEY, value)
        other.setValue(OLD_DONE_KEY, 42)
        foreign = LessonsPanel(other, lessons_dir)
        qtbot.addWidget(foreign)
        assert foreign.done_ids() == set() and foreign.item_texts()[0].startswith(NOT_DONE_MARK)


def test_prediction_gates_run_then_verdicts_judgement_and_captions(  # type: ignore[no-untyped-def]
    qtbot, qloop: qasync.QEventLoop, quick_window: MainWindow
) -> None:
    async def scenario() -> None:
        page = _open(qtbot, quick_window, "quick-wait")
        assert page.question.isVisible() and "short" in page.question.text()
        assert not page.run_button.isEnabled() and not page.switch_ms.isVisible()
        assert page.status.text() == "Answer the prediction (or skip it), then run."
        qtbot.mouseClick(page.prediction.button(1), Qt.MouseButton.LeftButton)  # "sequential": wrong
        assert page.run_button.isEnabled()
        qtbot.mouseClick(page.run_button, Qt.MouseButton.LeftButton)
        assert page.running and page.stop_button.isEnabled() and not page.prediction.button(0).isEnabled()
        await _until(lambda: not page.running)
        await _until(page.run_button.isEnabled, timeout=5)
        assert not page.stop_button.isEnabled()

    qloop.run_until_complete(scenario())
    page = quick_window.lessons.page
    assert [r.name for r in page.runs()] == ["sequential", "asyncio", "threads"] and page.runs()[2].workers == 3
    assert page.timeline.section_count() == 3 and page.metrics.table.columnCount() == 3
    seq, aio = (r.metrics["wall_s"] for r in page.runs()[:2])
    lines = page.verdict_texts()
    assert len(lines) == 3  # the hidden claim only decides the prediction
    assert lines[0].startswith(f"✓ asyncio took {aio:.2f} s, sequential {seq:.2f} s. — checked: ")
    assert lines[1].startswith("✗ Sequential finished in ") and f"{seq:.3f}" in lines[1]
    assert lines[2].startswith("– not applicable here: ") and "4096" in lines[2]
    assert page.prediction_text().startswith("✗ You said “sequential”") and page.prediction_text().endswith(
        "— so: “asyncio”.")
    assert page.results.status.text() == "Done: 1 of 2 applicable claims held on this machine."
    captions = page.caption_texts()
    assert any(c.startswith("asyncio: loop blocked") and "logger" in c for c in captions)
    assert quick_window.lessons.panel.item_texts()[0].startswith(WRONG_MARK)


def test_skipped_prediction_says_what_was_measured(  # type: ignore[no-untyped-def]
    qtbot, qloop: qasync.QEventLoop, quick_window: MainWindow
) -> None:
    async def scenario() -> None:
        page = _open(qtbot, quick_window, "quick-wait")
        qtbot.mouseClick(page.prediction.skip_button, Qt.MouseButton.LeftButton)
        assert page.chosen() is None and page.run_button.isEnabled()
        qtbot.mouseClick(page.run_button, Qt.MouseButton.LeftButton)
        await _until(lambda: not page.running)

    qloop.run_until_complete(scenario())
    page = quick_window.lessons.page
    assert page.prediction_text().startswith("You skipped the prediction. Measured: ")
    assert quick_window.lessons.panel.item_texts()[0].startswith(DONE_MARK)


def test_a_stopped_run_shows_what_was_measured_and_judges_nothing(  # type: ignore[no-untyped-def]
    qtbot, qloop: qasync.QEventLoop, quick_window: MainWindow
) -> None:
    async def scenario() -> None:
        page = _open(qtbot, quick_window, "quick-wait")
        qtbot.mouseClick(page.prediction.button(0), Qt.MouseButton.LeftButton)
        qtbot.mouseClick(page.run_button, Qt.MouseButton.LeftButton)
        await _until(lambda: page.timeline.is_live)  # the first run is being measured
        qtbot.mouseClick(page.stop_button, Qt.MouseButton.LeftButton)
        await _until(lambda: not page.running, timeout=10)

    qloop.run_until_complete(scenario())
    page = quick_window.lessons.page
    result = page.result()
    assert result is not None and not result.complete and page.status.text().startswith("Stopped")
    assert len(page.runs()) < 3 and page.timeline.section_count() == len(page.runs())
    assert page.results.status.text().startswith("Stopped: the claims above use only what was measured")
    assert page.prediction_text() == ("You said “asyncio”. Your prediction is not judged: the run was stopped "
                                      "before every run finished.")
    assert page.verdict_texts() == result.lines() and page.explanation_text() == ""
    assert not quick_window.lessons.panel.is_done("quick-wait")


def test_code_dialog_shows_a_script_that_compiles_and_copies(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    lesson = get_lesson("realistic-handler")
    dialog = CodeDialog(lesson.plan(), "threads", None)
    qtbot.addWidget(dialog)
    for model in ("sequential", "asyncio", "threads", "processes"):
        dialog.set_model(model)
        assert dialog.editor.isReadOnly()
        compile(dialog.text(), f"{model}.py", "exec")
        assert "wall" in dialog.text()
    dialog.copy_button.click()
    assert QGuiApplication.clipboard().text() == dialog.text()
    target = tmp_path / "script.py"
    assert dialog.save_to(target) and target.read_text(encoding="utf-8") == dialog.text()
    assert not dialog.save_to(tmp_path / "missing" / "script.py")
    assert "Not saved" in dialog.status.text()


def test_page_show_as_code_uses_the_lesson_plan(qtbot, lessons_dir: Path) -> None:  # type: ignore[no-untyped-def]
    controller = RunController()
    page = LessonPageView(controller)
    qtbot.addWidget(page)
    page.show()
    try:
        assert page.show_code() is None
        page.set_lesson(get_lesson("quick-wait", lessons_dir))
        dialog = page.show_code()
        assert dialog is not None
        qtbot.addWidget(dialog)
        assert dialog.model() == "asyncio"
        compile(dialog.text(), "x", "exec")
        assert "2x wait: sleep 200ms" in dialog.text()
        dialog.close()
    finally:
        page.timeline.close()
        page.close()
        controller.shutdown()


def test_install_lessons_adds_menu_and_dock_to_the_main_window(  # type: ignore[no-untyped-def]
    qtbot, qloop: qasync.QEventLoop, lessons_dir: Path, store: QSettings
) -> None:
    window = MainWindow(store, lessons_folder=lessons_dir)
    qtbot.addWidget(window)
    window.show()
    dock = window.lessons
    try:
        titles = [a.text() for a in window.menuBar().actions()]
        assert "&Lessons" in titles and titles.index("&Lessons") == titles.index("&Help") - 1
        assert dock.menu is not None
        actions = {a.text(): a for a in dock.menu.menu.actions()}
        assert not dock.isVisible()
        actions["&1. Quick waits"].trigger()
        assert dock.isVisible() and dock.page.lesson() is not None
        assert not next(a for t, a in actions.items() if t.startswith("⚠ 02-broken.toml")).isEnabled()
        code = dock.menu.code_action
        assert code.shortcut().toString() == "Ctrl+Shift+C"
        code.trigger()
        dialog = dock.menu.code_dialog
        assert dialog is not None and dialog.isVisible()
        assert dialog.model() == window.controls.models()[0]
        compile(dialog.text(), "x", "exec")
        dialog.close()

        async def run_lesson() -> None:
            dock.page.skip_prediction()
            await _until(lambda: dock.page.run_button.isEnabled(), timeout=10)
            qtbot.mouseClick(dock.page.run_button, Qt.MouseButton.LeftButton)
            assert window.controller.running and not window.controls.run_button.isEnabled()
            await _until(lambda: not dock.page.running)
            await window.controller.wait()

        qloop.run_until_complete(run_lesson())
        assert dock.panel.is_done("quick-wait") and dock.panel.item_texts()[0].startswith(DONE_MARK)
        exporter = dock.menu.export_page()
        assert exporter is not None and exporter.format() == "page"
        page_png = lessons_dir / "page.png"
        assert exporter.export(str(page_png))
        exporter.close()
        from PySide6.QtGui import QImage

        img = QImage(str(page_png))
        assert img.width() >= dock.page.timeline.width() and img.height() > dock.page.timeline.height()
    finally:
        window.editor.mark_saved()
        window.close()
        qloop.run_until_complete(asyncio.sleep(0.05))
