"""The main window end to end: default plan, editing, running every model live, stop, close, settings."""

from __future__ import annotations

import asyncio
import platform
import sys
from pathlib import Path
from time import perf_counter

import pytest
import qasync
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QAbstractButton, QApplication, QFileDialog, QMessageBox
from pytestqt.qtbot import QtBot

from conclab.engines.interpreters import Interpreter
from conclab.model.plan_text import format_plan, parse
from conclab.model.run import ModelRun, RunDocument
from conclab.model.session_spec import Runtime as Where
from conclab.model.session_spec import SessionRequest
from conclab.model.trace import Span
from conclab.ui.shell import interpreter_panel
from conclab.ui.shell.main_window import DEFAULT_PLAN, MainWindow
from conclab.ui.shell.run_handle import RunHandle
from tests.ui.conftest import can_write, leaks


@pytest.fixture(autouse=True)
def _no_modal_questions(monkeypatch: pytest.MonkeyPatch) -> None:
    """A modal question would block the test run; closing a test window discards its edits."""
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Discard)


def answer_when_asked(dialog_name: str, button_name: str, seen: list[str] | None = None) -> None:
    """Click a button of the modal dialog `dialog_name` as soon as it is shown, as a user would (its text is
    kept in `seen`). The click happens inside the dialog's own event loop."""

    def click() -> None:
        modal = QApplication.activeModalWidget()
        if modal is None or modal.objectName() != dialog_name:
            QTimer.singleShot(20, click)
            return
        if seen is not None and isinstance(modal, QMessageBox):
            seen.append(f"{modal.text()}\n{modal.informativeText()}")
        button = modal.findChild(QAbstractButton, button_name) if button_name else None
        if button is None and isinstance(modal, QMessageBox):
            button = modal.button(QMessageBox.StandardButton.Cancel)
        assert button is not None, f"no button {button_name!r} in {dialog_name}"
        button.click()

    QTimer.singleShot(0, click)


def _run(loop: qasync.QEventLoop, w: MainWindow, text: str, models: list[str],
         workers: int | None = None) -> tuple[RunDocument, list[Span]]:
    """Run from the window and collect the spans the live view received while running."""
    w.editor.set_plan(parse(text))
    w.controls.set_models(models)
    w.controls.workers.setValue(workers or 0)
    live: list[Span] = []

    def follow(handle: RunHandle) -> None:
        handle.frame_arrived.connect(lambda f: live.extend(f.spans + [s for _k, s in f.opened if s]))

    w.controller.run_started.connect(follow)
    docs: list[RunDocument] = []
    w.run_finished.connect(docs.append)

    async def go() -> None:
        w.run_action.trigger()
        assert w.controller.running
        await w.controller.wait()
        await asyncio.sleep(0.05)

    loop.run_until_complete(go())
    assert docs
    return docs[-1], live


def test_opens_with_the_default_plan_ready_to_run(window: MainWindow) -> None:
    assert format_plan(window.editor.plan()) == format_plan(parse(DEFAULT_PLAN))
    assert window.controls.models() == ["asyncio", "threads"]
    assert window.controls.run_button.isEnabled()
    assert not window.controls.stop_button.isEnabled()
    assert window.run_action.shortcut().toString() == "Ctrl+R"
    assert window.stop_action.shortcut().toString() == "Esc"
    assert len(window.findChildren(type(window.run_action))) > 5
    assert "untitled plan" in window.windowTitle()


@pytest.mark.parametrize("model", ["sequential", "asyncio", "threads", "processes"])
def test_each_model_runs_live_and_fills_the_metrics(window: MainWindow, qloop: qasync.QEventLoop,
                                                    model: str) -> None:
    doc, live = _run(qloop, window, "3x sleep 300ms, cpu 30ms", [model])
    assert [r.model for r in doc.runs] == [model]
    assert doc.runs[0].metrics["tasks_done"] == 3
    assert live, "spans must reach the timeline while the run is going"
    assert any(s.state == "io_wait" for s in live)
    assert window.metrics.cell_text("wall", 0) not in ("", "—")
    assert window.timeline.section_count() == 1
    assert window.controls.run_button.isEnabled()


def test_several_models_stack_on_one_axis(window: MainWindow, qloop: qasync.QEventLoop) -> None:
    doc, _ = _run(qloop, window, "2x sleep 100ms", ["sequential", "asyncio", "threads"])
    assert [r.model for r in doc.runs] == ["sequential", "asyncio", "threads"]
    assert window.timeline.section_count() == 3
    seq, aio, thr = (window.metrics.cell_text("wall", i) for i in range(3))
    assert seq and aio and thr
    assert window.metrics.is_best("wall", 1) or window.metrics.is_best("wall", 2)


@pytest.mark.parametrize("model", ["sequential", "asyncio", "threads", "processes"])
def test_stop_mid_run(window: MainWindow, qloop: qasync.QEventLoop, model: str) -> None:
    window.editor.set_plan(parse("4x sleep 10s; 2x cpu 10s in thread"))
    window.controls.set_models([model])
    started: list[float] = []
    window.controller.run_started.connect(
        lambda handle: handle.frame_arrived.connect(lambda f: started.append(perf_counter()) if f.spans or f.opened
                                                    else None))

    async def go() -> float:
        if model == "sequential":  # a minute of work, one task after another: the window asks first
            answer_when_asked("long_run_question", "run_anyway")
        window.run_action.trigger()
        while not started:
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.3)
        t = perf_counter()
        window.stop_action.trigger()
        await window.controller.wait()
        return perf_counter() - t

    took = qloop.run_until_complete(go())
    assert took < 0.35, f"stop took {took * 1000:.0f} ms"
    doc = window.controller.last_document
    assert doc is not None and doc.runs[0].metrics["tasks_cancelled"] >= 1
    assert "stopped" in window.statusBar().currentMessage()


def test_run_refuses_a_plan_with_an_error_and_points_at_it(window: MainWindow, qloop: qasync.QEventLoop) -> None:
    window.editor.set_plan(parse("2x sleep 50ms"))
    window.editor.tabs.setCurrentIndex(0)
    window.editor.text_view.editor.setPlainText("2x slep 50ms")
    window.run_action.trigger()  # Ctrl+R, as the user presses it
    assert window.controller.current is None, "nothing may run while the text has an error"
    assert "did you mean 'sleep'" in window.statusBar().currentMessage()
    assert window.editor.tabs.currentWidget() is window.editor.text_view
    assert format_plan(window.editor.plan()) == "2x sleep 50ms", "the last valid plan is kept"


def test_close_mid_run_stops_and_exits_quickly(qtbot: QtBot, qloop: qasync.QEventLoop, store: QSettings) -> None:
    # As in the app (qt_app.ensure_app): closing the last window must not quit Qt's loop under asyncio.
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)
    w = MainWindow(store)
    qtbot.addWidget(w)
    w.show()
    w.editor.set_plan(parse("2x sleep 10s; 2x net 10s; cpu 10s"))
    w.controls.set_models(["threads", "processes"])
    closed: list[float] = []
    w.closed.connect(lambda: closed.append(perf_counter()))

    async def go() -> float:
        w.run_action.trigger()
        await asyncio.sleep(0.8)
        t = perf_counter()
        w.close()
        while not closed and perf_counter() - t < 5:
            await asyncio.sleep(0.01)
        return (closed[0] if closed else perf_counter()) - t

    try:
        took = qloop.run_until_complete(go())
    finally:
        app.setQuitOnLastWindowClosed(True)
    assert closed and took < 4.0, f"closing took {took:.1f} s, the tasks 10 s"
    assert not w.isVisible()
    assert leaks() == []


def test_settings_round_trip(qtbot: QtBot, qloop: qasync.QEventLoop, store: QSettings) -> None:
    w = MainWindow(store)
    qtbot.addWidget(w)
    w.show()
    w.editor.set_plan(parse("5x worker: cpu 20ms; sleep 1s"))
    w.controls.set_models(["sequential", "processes"])
    w.controls.workers.setValue(3)
    w.controls.switch_ms.setValue(2.5)
    w.resize(w.width(), 450)
    w.close()
    again = MainWindow(store)
    qtbot.addWidget(again)
    assert format_plan(again.editor.plan()) == "5x worker: cpu 20ms; sleep 1s"
    assert again.controls.models() == ["sequential", "processes"]
    assert again.controls.workers.value() == 3
    assert again.controls.switch_ms.value() == pytest.approx(2.5)
    assert again.size().height() == 450
    again.close()


def test_corrupt_settings_fall_back_to_defaults(qtbot: QtBot, qloop: qasync.QEventLoop, tmp_path: Path) -> None:
    ini = tmp_path / "bad.ini"
    ini.write_bytes(b"[run]\nmodels=@Variant(\\0\\0\\0\\x7f\\xff)\nworkers=lots\nswitch_ms=-4\n"
                    b"[plan]\ntext=3x slep 10ms\n[window]\ngeometry=garbage\n\xff\xfe\x00junk")
    w = MainWindow(QSettings(str(ini), QSettings.Format.IniFormat))
    qtbot.addWidget(w)
    assert w.controls.models() == ["asyncio", "threads"]
    assert w.controls.workers.value() == 0
    assert format_plan(w.editor.plan()) == format_plan(parse(DEFAULT_PLAN))
    assert w.statusBar().currentMessage() != ""
    w.close()


def test_open_and_save_plan_files(window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "in.plan"
    src.write_text("# mine\n2x a: sleep 10ms\n")
    assert window.open_plan(src)
    assert format_plan(window.editor.plan()) == "2x a: sleep 10ms"
    assert "in.plan" in window.windowTitle()
    bad = tmp_path / "bad.plan"
    bad.write_text("2x a: slep 10ms\n")
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: shown.append(a[2]))
    assert not window.open_plan(bad)
    assert "did you mean 'sleep'" in shown[-1]
    assert format_plan(window.editor.plan()) == "2x a: sleep 10ms"
    out = tmp_path / "out.plan"
    assert window.save_plan(out)
    assert parse(out.read_text()) == window.editor.plan()
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        target = ro / "x.plan"
        if not can_write(ro):
            assert not window.save_plan(target)
            assert "could not write" in shown[-1]
    finally:
        ro.chmod(0o700)


def test_unsaved_changes_are_asked_about_on_close(window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    window.editor.text_view.editor.setPlainText("sleep 20ms")
    window.editor.flush()
    assert window.editor.is_modified()
    asked: list[str] = []

    def answer(*args: object) -> QMessageBox.StandardButton:
        asked.append(str(args[2]))
        return QMessageBox.StandardButton.Cancel

    monkeypatch.setattr(QMessageBox, "question", answer)
    window.close()
    assert asked and window.isVisible()
    window.editor.mark_saved()


def test_leak_guard_sees_an_open_window(qtbot: QtBot, qloop: qasync.QEventLoop, store: QSettings) -> None:
    w = MainWindow(store)
    qtbot.addWidget(w)
    w.show()
    assert any("MainWindow" in p for p in leaks())
    w.close()
    assert not any("MainWindow" in p for p in leaks())


def test_model_run_type(window: MainWindow, qloop: qasync.QEventLoop) -> None:
    doc, _ = _run(qloop, window, "sleep 20ms", ["asyncio"])
    assert isinstance(doc.runs[0], ModelRun)


def test_save_run_and_open_run_from_the_file_menu(window: MainWindow, qloop: qasync.QEventLoop,
                                                   tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    doc, _ = _run(qloop, window, "2x sleep 50ms, cpu 20ms", ["asyncio", "threads"])
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a: (str(tmp_path / "mine"), "Runs (*.json)"))
    window.action("save_run").trigger()  # File → Save run…, as a click does (triggered(bool) and all)
    path = tmp_path / "mine.json"
    assert path.is_file(), window.statusBar().currentMessage()
    wall_text = [window.metrics.cell_text("wall", i) for i in range(2)]
    window.timeline.clear()
    window.metrics.clear()
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a: (str(path), "Runs (*.json)"))
    window.action("open_run").trigger()
    assert window.timeline.section_count() == 2
    assert [window.metrics.cell_text("wall", i) for i in range(2)] == wall_text
    assert window.controller.last_document is not None
    assert [r.metrics for r in window.controller.last_document.runs] == [r.metrics for r in doc.runs]
    assert "as recorded" in window.statusBar().currentMessage()
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: shown.append(str(a[2])))
    (tmp_path / "junk.json").write_text('{"schema": "something/else"}')
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a: (str(tmp_path / "junk.json"), ""))
    window.action("open_run").trigger()
    assert "junk.json" in shown[-1] and "schema" in shown[-1]
    assert window.timeline.section_count() == 2, "a bad file leaves the shown run alone"


def test_opening_a_run_brings_its_plan_and_asks_before_replacing_edits(
        window: MainWindow, qloop: qasync.QEventLoop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _run(qloop, window, "2x fetch: sleep 30ms", ["asyncio"])
    path = tmp_path / "run.json"
    assert window.run_files.save_run(path)
    window.editor.text_view.editor.setPlainText("3x other: sleep 10ms")
    window.editor.flush()
    asked: list[str] = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a: asked.append(a[2]) or QMessageBox.StandardButton.Cancel)
    assert window.run_files.open_run(path)
    assert asked and format_plan(window.editor.plan()) == "3x other: sleep 10ms", "kept: the user said Cancel"
    assert window.timeline.section_count() == 1, "the run is shown all the same"
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Discard)
    assert window.run_files.open_run(path)
    assert format_plan(window.editor.plan()) == "2x fetch: sleep 30ms"
    assert "run.json" in window.editor.notes_text()


def test_the_command_line_takes_a_saved_run(tmp_path: Path) -> None:
    from conclab.cli.common import UsageError
    from conclab.cli.window_args import parse_window_args

    run = tmp_path / "run.json"
    run.write_text("{}")
    plan = tmp_path / "p.plan"
    plan.write_text("sleep 1ms\n")
    opts = parse_window_args([str(run)])
    assert opts.run_path == run and opts.plan_path is None
    assert parse_window_args([str(plan)]).plan_path == plan
    with pytest.raises(UsageError, match="saved run"):
        parse_window_args([str(run), "--run"])
    with pytest.raises(UsageError, match="no such file"):
        parse_window_args([str(tmp_path / "missing.json")])


def test_new_plan_asks_about_unsaved_changes(window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    window.editor.text_view.editor.setPlainText("4x mine: sleep 20ms")
    window.editor.flush()
    answers = [QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Discard]
    asked: list[str] = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a: asked.append(a[2]) or answers.pop(0))
    window.action("new_plan").trigger()
    assert asked and "unsaved changes" in asked[0]
    assert format_plan(window.editor.plan()) == "4x mine: sleep 20ms", "Cancel keeps the plan"
    window.action("new_plan").trigger()
    assert window.editor.plan().task_count == 1 and not window.editor.is_modified()
    assert "untitled plan" in window.windowTitle()
    notes = window.editor.notes_text()
    assert "Run (Ctrl+R)" in notes and "(Ctrl+T)" in notes


def test_examples_tick_their_models_and_show_their_notes(window: MainWindow) -> None:
    window.controls.set_models(["sequential", "asyncio", "threads", "processes"])
    window.action("example_ten-thousand-waiters").trigger()
    assert window.controls.models() == ["asyncio", "threads"]
    assert window.editor.plan().task_count == 10_000
    notes = window.editor.notes
    assert window.editor.notes_box.isVisible() and notes.wordWrap()
    assert "10,000 waiters" in notes.text() and "Coroutines are cheap" in notes.text()
    window.editor.resize(360, window.editor.height())
    assert notes.heightForWidth(300) > notes.fontMetrics().height() * 2, "a long note wraps onto several lines"
    assert "ticked asyncio, threads" in window.statusBar().currentMessage()


def test_a_long_run_asks_first_and_shows_the_estimate(window: MainWindow, qloop: qasync.QEventLoop) -> None:
    window.action("example_ten-thousand-waiters").trigger()
    window.controls.set_models(["sequential", "asyncio"])  # sequential: 10,000 one-second waits
    seen: list[str] = []

    async def go() -> None:
        answer_when_asked("long_run_question", "", seen)  # Cancel
        window.action("run").trigger()
        assert seen and "about 2 h 4" in seen[0] and "sequential: about 2 h" in seen[0]
        assert window.controller.current is None, "Cancel: nothing runs"
        window.controls.set_models(["asyncio"])
        window.action("run").trigger()  # about a second: no question
        assert window.controller.running
        await window.controller.wait()

    qloop.run_until_complete(go())
    assert len(seen) == 1


def test_the_start_page_says_how_to_begin_until_something_runs(window: MainWindow, qloop: qasync.QEventLoop) -> None:
    stack = window.layout_parts.timeline_stack
    assert stack.currentWidget() is window.layout_parts.start_page
    assert "Run</b> (Ctrl+R)" in window.layout_parts.start_page.text()
    _run(qloop, window, "sleep 20ms", ["asyncio"])
    assert stack.currentWidget() is window.timeline


def test_replay_from_the_window(window: MainWindow, qloop: qasync.QEventLoop) -> None:
    _run(qloop, window, "2x sleep 200ms", ["asyncio"])
    assert window.run_files.replay_action.isEnabled()
    window.run_files.replay_action.trigger()
    replay = window.run_files.replay
    assert replay.isVisible() and replay.is_playing()
    qloop.run_until_complete(asyncio.sleep(0.3))
    assert 0.1 < replay.position() < 0.5
    replay.pause()


def test_measurement_overhead_is_shown_after_a_cpu_run(window: MainWindow, qloop: qasync.QEventLoop) -> None:
    doc, _ = _run(qloop, window, "cpu 50ms", ["threads"])
    overhead = doc.calibration["recording_overhead"]
    assert -0.5 < overhead < 0.5
    assert window.metrics.overhead_label.isVisible()
    assert "measurement overhead" in window.metrics.overhead_label.text()


def _fake_pythons(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> tuple[Interpreter, Interpreter]:
    other = tmp_path / "py313" / "python3"
    other.parent.mkdir()
    other.write_text("#!/bin/sh\n")
    own = Interpreter(sys.executable, platform.python_version(), "CPython", True, False, True)
    new = Interpreter(str(other), "3.13.0", "CPython", True, False, True)
    old = Interpreter("/opt/py39/bin/python3", "3.9.18", "CPython", True, False, False,
                      "Python 3.9 is older than 3.11")
    monkeypatch.setattr(interpreter_panel, "discover", lambda refresh=False: [own, new, old])
    return new, old


def _open_python_menu(qtbot: QtBot, window: MainWindow) -> dict[str, QAction]:
    """Click the Python button (the menu opens and is closed again) and wait for the search to end."""
    pythons = window.controls.pythons
    QTimer.singleShot(100, pythons.menu.close)
    pythons.button.showMenu()
    qtbot.waitUntil(lambda: pythons.interpreters() is not None and not pythons.is_searching(), timeout=30_000)
    return {a.data(): a for a in pythons.menu.actions() if a.data()}


def test_interpreters_are_chosen_in_the_run_controls(qtbot: QtBot, window: MainWindow, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    new, old = _fake_pythons(monkeypatch, tmp_path)
    entries = _open_python_menu(qtbot, window)
    assert entries[new.executable].isEnabled()
    assert not entries[old.executable].isEnabled() and "older than 3.11" in entries[old.executable].toolTip()
    entries[new.executable].trigger()
    assert [c.label for c in window.controls.python_choices()] == [platform.python_version(), "3.13.0"]
    requests: list[SessionRequest] = []
    monkeypatch.setattr(window.controller, "start", lambda request: requests.append(request))
    window.controls.set_models(["asyncio", "threads"])
    window.action("run").trigger()
    own = platform.python_version()
    assert [(r.model, r.python, r.name) for r in requests[0].runs] == [
        ("asyncio", None, f"asyncio · {own}"), ("threads", None, f"threads · {own}"),
        ("asyncio", new.executable, "asyncio · 3.13.0"), ("threads", new.executable, "threads · 3.13.0")]
    window.controls.set_runtime(Where.WINDOW)  # inside this window: the app's own Python only
    assert not window.controls.pythons.button.isEnabled()
    assert [c.python for c in window.controls.python_choices()] == [None]
    window.controls.set_runtime(Where.LAB)
    window.store_settings()
    again = MainWindow(window.store)
    qtbot.addWidget(again)
    qtbot.waitUntil(lambda: again.controls.pythons.is_ready(), timeout=30_000)
    assert [c.label for c in again.controls.python_choices()] == [own, "3.13.0"]
    again.editor.mark_saved()
    again.close()


def test_a_remembered_python_that_is_gone_is_left_out_with_a_message(
        qtbot: QtBot, qloop: qasync.QEventLoop, store: QSettings, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_pythons(monkeypatch, tmp_path)
    store.setValue("run/pythons", ["self", "/nowhere/bin/python3.99"])
    w = MainWindow(store)
    qtbot.addWidget(w)
    qtbot.waitUntil(lambda: w.controls.pythons.is_ready(), timeout=30_000)
    assert [c.python for c in w.controls.python_choices()] == [None]
    assert "/nowhere/bin/python3.99" in w.statusBar().currentMessage()
    w.close()


def test_two_pythons_run_the_same_plan_side_by_side(qtbot: QtBot, window: MainWindow,
                                                    qloop: qasync.QEventLoop) -> None:
    entries = _open_python_menu(qtbot, window)
    found = window.controls.pythons.interpreters() or []
    other = next((i for i in found if i.usable and i.version_info[:2] != sys.version_info[:2]), None)
    if other is None:
        pytest.skip("only one Python version on this machine")
    entries[other.executable].trigger()
    doc, _ = _run(qloop, window, "2x sleep 50ms, cpu 20ms", ["threads"])
    versions = [r.python.get("version") for r in doc.runs]
    assert versions == [platform.python_version(), other.version]
    names = [f"threads · {platform.python_version()}", f"threads · {other.label}"]
    assert [r.name for r in doc.runs] == names
    assert [window.metrics.column_title(c) for c in range(2)] == names
    assert window.timeline.section_count() == 2
