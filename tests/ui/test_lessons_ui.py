"""Lessons in the window: the list with ticks and broken files, a lesson page that predicts, runs on the
window's controller (qasync loop), shows verdicts with numbers, captions and the prediction's judgement,
and "Show as code" that yields a script Python compiles."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import qasync
from PySide6.QtCore import QSettings
from PySide6.QtGui import QGuiApplication

from conclab.model.lessons import get_lesson
from conclab.ui.lessons.lesson_page_view import LessonPageView
from conclab.ui.lessons.lessons_panel import DONE_KEY, LessonsPanel
from conclab.ui.plan_editor.code_dialog import CodeDialog
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


@pytest.fixture
def store(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


async def _until(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.02)


def _page(qtbot, controller: RunController) -> LessonPageView:  # type: ignore[no-untyped-def]
    page = LessonPageView(controller)
    qtbot.addWidget(page)
    page.resize(1100, 900)
    page.show()
    return page


def _teardown(page: LessonPageView, controller: RunController) -> None:
    page.timeline.close()
    page.close()
    controller.shutdown()


def test_panel_lists_lessons_ticks_and_broken_files(qtbot, lessons_dir: Path, store: QSettings) -> None:  # type: ignore[no-untyped-def]
    panel = LessonsPanel(store, lessons_dir)
    qtbot.addWidget(panel)
    assert [les.id for les in panel.lessons()] == ["quick-wait"]
    texts = panel.item_texts()
    assert texts[0].endswith("1. Quick waits") and not texts[0].startswith("✓")
    broken = [t for t in texts if t.startswith("⚠")]
    assert len(broken) == 2 and any("02-broken.toml" in t for t in broken)
    assert "03-no-claims.toml" in panel.summary.text() and "claims" in panel.summary.text()
    chosen: list[str] = []
    panel.lesson_chosen.connect(lambda les: chosen.append(les.id))
    assert panel.select("quick-wait") and chosen == ["quick-wait"]
    assert not panel.select("nope")
    panel.mark_done("quick-wait")
    assert panel.item_texts()[0].startswith("✓")
    assert store.value(DONE_KEY) == ["quick-wait"] or store.value(DONE_KEY) == "quick-wait"
    again = LessonsPanel(store, lessons_dir)
    qtbot.addWidget(again)
    assert again.is_done("quick-wait") and again.item_texts()[0].startswith("✓")


def test_foreign_settings_value_counts_as_nothing_done(qtbot, lessons_dir: Path, store: QSettings) -> None:  # type: ignore[no-untyped-def]
    store.setValue(DONE_KEY, 42)
    panel = LessonsPanel(store, lessons_dir)
    qtbot.addWidget(panel)
    assert panel.done_ids() == set()


def test_prediction_gates_run_then_verdicts_captions_and_judgement(  # type: ignore[no-untyped-def]
    qtbot, qloop: qasync.QEventLoop, lessons_dir: Path
) -> None:
    lesson = get_lesson("quick-wait", lessons_dir)
    controller = RunController()
    completed: list[str] = []

    async def scenario() -> None:
        page = _page(qtbot, controller)
        page.lesson_completed.connect(completed.append)
        try:
            assert page.set_lesson(lesson)
            assert "short" in page.intro.toPlainText() and "**" not in page.intro.toPlainText()
            assert not page.run_button.isEnabled() and not page.run()
            assert not page.switch_ms.isVisible()
            page.choose_prediction(0)
            assert page.run_button.isEnabled()
            page.run_button.click()
            assert page.running and page.stop_button.isEnabled()
            await _until(lambda: not page.running)
            await _until(page.run_button.isEnabled, timeout=5)
            assert not page.stop_button.isEnabled()
        finally:
            _teardown(page, controller)
        assert [r.model for r in page.runs()] == ["sequential", "asyncio", "threads"]
        assert page.runs()[2].workers == 3
        assert page.timeline.section_count() == 3
        assert page.metrics.table.columnCount() == 3
        lines = page.verdict_texts()
        assert len(lines) == 3  # the hidden claim only decides the prediction
        seq, aio = (r.metrics["wall_s"] for r in page.runs()[:2])
        assert lines[0] == f"✓ asyncio took {aio:.2f} s, sequential {seq:.2f} s."
        assert lines[1].startswith("✗ Sequential finished in ") and f"{seq:.3f}" in lines[1]
        assert lines[2].startswith("– not applicable here: ") and "4096" in lines[2]
        assert page.judgement_text() == "✓ Your prediction was right: “asyncio”."
        captions = page.caption_texts()
        assert any(c.startswith("asyncio: loop blocked") and "logger" in c for c in captions)
        assert any("cores" in c for c in captions)
        assert completed == ["quick-wait"]

    qloop.run_until_complete(scenario())


def test_wrong_prediction_and_skip(qtbot, qloop: qasync.QEventLoop, lessons_dir: Path) -> None:  # type: ignore[no-untyped-def]
    lesson = get_lesson("quick-wait", lessons_dir)
    controller = RunController()

    async def scenario() -> None:
        page = _page(qtbot, controller)
        try:
            page.set_lesson(lesson)
            page.choose_prediction(1)
            assert page.run()
            await _until(lambda: not page.running)
            assert page.judgement_text().startswith("✗ Your prediction was “sequential”")
            page.set_lesson(lesson)
            assert not page.run_button.isEnabled()
            page.skip_prediction()
            assert page.chosen() is None and page.run()
            await _until(lambda: not page.running)
            assert page.judgement_text() == "You skipped the prediction. The measurement says: “asyncio”."
        finally:
            _teardown(page, controller)

    qloop.run_until_complete(scenario())


def test_gil_lesson_offers_a_switch_interval_that_the_run_uses(qtbot, qloop: qasync.QEventLoop) -> None:  # type: ignore[no-untyped-def]
    lesson = get_lesson("gil-handoff")
    controller = RunController()
    before = sys.getswitchinterval()

    async def scenario() -> None:
        page = _page(qtbot, controller)
        try:
            page.set_lesson(lesson)
            assert page.switch_ms.isVisible() and page.switch_ms.value() == pytest.approx(5.0)
            page.switch_ms.setValue(2.0)
            page.skip_prediction()
            assert page.run()
            assert sys.getswitchinterval() == pytest.approx(0.002)
            await _until(lambda: not page.running)
        finally:
            _teardown(page, controller)
            sys.setswitchinterval(before)
        lines = page.verdict_texts()
        assert len(lines) == 3 and all(line[0] in "✓✗–" for line in lines)
        assert any(line.startswith("✓ The threads spent") for line in lines)

    qloop.run_until_complete(scenario())


def test_stop_leaves_the_lesson_unfinished(qtbot, qloop: qasync.QEventLoop, lessons_dir: Path) -> None:  # type: ignore[no-untyped-def]
    lesson = get_lesson("quick-wait", lessons_dir)
    controller = RunController()
    completed: list[str] = []

    async def scenario() -> None:
        page = _page(qtbot, controller)
        page.lesson_completed.connect(completed.append)
        try:
            page.set_lesson(lesson)
            page.skip_prediction()
            assert page.run()
            await _until(lambda: bool(page.timeline.section_count()))
            page.stop_button.click()
            await _until(lambda: not page.running, timeout=10)
        finally:
            _teardown(page, controller)
        assert completed == [] and page.status.text().startswith("Stopped")
        assert len(page.runs()) < 3

    qloop.run_until_complete(scenario())


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
    page = _page(qtbot, controller)
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
        _teardown(page, controller)


def test_install_lessons_adds_menu_and_dock_to_the_main_window(  # type: ignore[no-untyped-def]
    qtbot, qloop: qasync.QEventLoop, lessons_dir: Path, store: QSettings
) -> None:
    from conclab.ui.shell.main_window import MainWindow

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
            assert dock.page.run()
            assert window.controller.running and not window.controls.run_button.isEnabled()
            await _until(lambda: not dock.page.running)
            await window.controller.wait()

        qloop.run_until_complete(run_lesson())
        assert dock.panel.is_done("quick-wait") and dock.panel.item_texts()[0].startswith("✓")
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
