"""The window under abuse: Run/Stop storms through the run controller, and the window closed during a
run, with the export dialog open, while an export is written, and during a lesson run."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from time import perf_counter

import pytest
import qasync
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from conclab.model.lessons import get_lesson
from conclab.model.plan_text import parse
from conclab.model.run import RunDocument
from conclab.ui.exports.export_dialog import ExportDialog
from conclab.ui.shell.main_window import MainWindow
from conclab.ui.shell.run_controller import RunController
from tests.engines.helpers import conclab_threads
from tests.ui.conftest import leaks

LEAK_GUARD = True
CLOSE_LIMIT_S = 2.0
SHORT_PLAN = "2x sleep 50ms, cpu 10ms; net 30ms; block 20ms in thread"
LONG_PLAN = "2x sleep 10s; 2x net 10s; cpu 10s; hash 10s"


@pytest.fixture(autouse=True)
def _no_modal_boxes(monkeypatch: pytest.MonkeyPatch) -> None:
    """A modal box would block the test; questions discard, warnings are collected."""
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Discard)
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: QMessageBox.StandardButton.Ok)


@pytest.fixture(autouse=True)
def _app_quits_like_the_real_one(qapp: QApplication) -> Iterator[None]:
    """run_app turns Qt's quit-on-last-window-closed off (the window's `closed` signal ends the app)."""
    before = qapp.quitOnLastWindowClosed()
    qapp.setQuitOnLastWindowClosed(False)
    yield
    qapp.setQuitOnLastWindowClosed(before)


async def _until(cond: Callable[[], bool], timeout: float) -> bool:
    end = perf_counter() + timeout
    while not cond():
        if perf_counter() > end:
            return False
        await asyncio.sleep(0.01)
    return True


def test_controller_run_stop_storm(qloop: qasync.QEventLoop) -> None:
    """Run, Stop (once or several times) after 0–150 ms, Run again as soon as the run has ended."""
    controller = RunController()
    rng = random.Random("window-storm")
    plan = parse(SHORT_PLAN)
    docs: list[RunDocument] = []
    failures: list[str] = []
    controller.run_finished.connect(docs.append)
    controller.run_failed.connect(failures.append)
    model_sets = [["asyncio"], ["threads"], ["sequential", "asyncio"], ["processes"], ["threads", "processes"]]
    rounds = 25

    async def storm() -> None:
        for i in range(rounds):
            assert controller.start(plan, model_sets[i % len(model_sets)], None, None)
            # A second Run while one is going is refused, not queued.
            assert not controller.start(plan, ["asyncio"], None, None)
            await asyncio.sleep(rng.uniform(0.0, 0.150))
            for _ in range(rng.randint(1, 3)):
                controller.stop()
            assert await _until(lambda: not controller.running, 10.0), f"round {i} did not stop"
            await controller.wait()

    try:
        qloop.run_until_complete(storm())
    finally:
        controller.shutdown()
        qloop.run_until_complete(asyncio.sleep(0.05))
    assert failures == []
    assert len(docs) == rounds
    for doc in docs:
        for run in doc.runs:
            assert {t.state for t in run.tasks} <= {"done", "cancelled"}
    assert conclab_threads() == []


def _close_and_time(qloop: qasync.QEventLoop, w: MainWindow, before: Callable[[], None] | None = None) -> float:
    closed: list[float] = []
    started: list[bool] = []
    w.closed.connect(lambda: closed.append(perf_counter()))
    w.controller.bridge.events_arrived.connect(lambda _events: started.append(True))

    async def go() -> float:
        w.editor.set_plan(parse(LONG_PLAN))
        # Not asyncio: its cpu steps hold the loop, and a frozen window cannot be closed (that is the lesson).
        w.controls.set_models(["threads", "processes"])
        w.run_action.trigger()
        assert await _until(lambda: bool(started), 30.0), "the run never started"
        await asyncio.sleep(0.3)
        if before is not None:
            before()
        t = perf_counter()
        w.close()
        await _until(lambda: bool(closed), 5.0)
        return (closed[0] if closed else perf_counter()) - t

    took = qloop.run_until_complete(go())
    qloop.run_until_complete(w.controller.wait())
    assert closed, "the window never finished closing"
    assert took < CLOSE_LIMIT_S, f"closing took {took:.2f} s"
    assert not w.isVisible()
    assert not w.controller.running
    return took


def test_close_with_the_export_dialog_open_during_a_run(qtbot: QtBot, qloop: qasync.QEventLoop,
                                                         store: QSettings, tmp_path: Path) -> None:
    w = MainWindow(store)
    qtbot.addWidget(w)
    w.show()
    dialogs: list[ExportDialog] = []

    def open_dialog() -> None:
        dialog = ExportDialog(w.timeline, w.metrics, w.controller.last_document, store, parent=w)
        dialog.show()
        dialogs.append(dialog)

    _close_and_time(qloop, w, open_dialog)
    assert dialogs and not dialogs[0].isVisible()
    assert leaks() == []


def test_close_while_an_export_is_written(qtbot: QtBot, qloop: qasync.QEventLoop, store: QSettings,
                                          tmp_path: Path) -> None:
    w = MainWindow(store)
    qtbot.addWidget(w)
    w.show()
    written: list[bool] = []
    target = tmp_path / "during-close.png"

    def export_then_close() -> None:
        dialog = ExportDialog(w.timeline, w.metrics, None, store, parent=w)
        dialog.show()
        # The close arrives while the picture is being written (from the event queue, mid-export).
        QTimer.singleShot(0, w.close)
        written.append(dialog.export(str(target)))
        dialog.close()

    _close_and_time(qloop, w, export_then_close)
    assert written == [True]
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert leaks() == []


def test_close_during_a_lesson_run(qtbot: QtBot, qloop: qasync.QEventLoop, store: QSettings) -> None:
    w = MainWindow(store)
    qtbot.addWidget(w)
    w.show()
    closed: list[float] = []
    w.closed.connect(lambda: closed.append(perf_counter()))
    lesson = get_lesson("article-example")
    page = w.lessons.page

    async def go() -> float:
        page.set_lesson(lesson)
        page.skip_prediction()
        assert page.run()
        await asyncio.sleep(0.6)
        assert page.running
        t = perf_counter()
        w.close()
        await _until(lambda: bool(closed), 5.0)
        return (closed[0] if closed else perf_counter()) - t

    took = qloop.run_until_complete(go())
    qloop.run_until_complete(asyncio.sleep(0.3))
    qloop.run_until_complete(w.controller.wait())
    assert closed and took < CLOSE_LIMIT_S
    assert not w.controller.running
    assert not page.running
    assert leaks() == []


BATCHED = """
id = "batched"
title = "Two batches"
order = 1
intro = "Waits under two models with different pool sizes, so the lesson runs in two batches."
plan = "3x sleep 300ms"
models = ["asyncio", "threads"]
workers = { threads = 3 }

[[claims]]
text = "threads took {left:.2f} s"
left = "threads.wall_s"
op = ">"
right = 0
"""


def test_close_between_the_batches_of_a_lesson(qtbot: QtBot, qloop: qasync.QEventLoop, store: QSettings,
                                               tmp_path: Path) -> None:
    """Closing exactly when one batch has finished must not let the lesson start its next batch."""
    folder = tmp_path / "lessons"
    folder.mkdir()
    (folder / "01-batched.toml").write_text(BATCHED, encoding="utf-8")
    w = MainWindow(store, None, folder)
    qtbot.addWidget(w)
    w.show()
    closed: list[float] = []
    w.closed.connect(lambda: closed.append(perf_counter()))
    page = w.lessons.page
    # Connected after the lesson page, so the page has already queued its next batch when this runs.
    w.controller.run_finished.connect(lambda _doc: w.close() if not closed else None)
    after_close: list[str] = []
    w.controller.model_started.connect(lambda model: after_close.append(model) if closed else None)

    async def go() -> None:
        page.set_lesson(get_lesson("batched", folder))
        page.skip_prediction()
        assert page.run()
        await _until(lambda: bool(closed), 10.0)
        await asyncio.sleep(0.5)

    qloop.run_until_complete(go())
    assert closed
    assert after_close == [], f"the lesson started {after_close} after the window closed"
    qloop.run_until_complete(w.controller.wait())
    assert leaks() == []
