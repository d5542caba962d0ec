"""The window under abuse: Run/Stop storms through its actions, its lab killed or frozen mid-run, and the
window closed during a run, with the export dialog open, while an export is written, and during a
lesson's session.

Runs are measured in the window's lab (a child process); the tests press Run and Stop as a user does
(the window's actions) and read what the window says (its warnings and status bar).
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
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
from conclab.ui.shell.run_handle import RunHandle, RunState
from tests.engines.helpers import conclab_threads
from tests.reliability.labtools import alive, family, pool_workers, until
from tests.ui.conftest import leaks

LEAK_GUARD = True
CLOSE_LIMIT_S = 2.0
SHORT_PLAN = "2x sleep 50ms, cpu 10ms; net 30ms; block 20ms in thread"
LONG_PLAN = "2x sleep 10s; 2x net 10s; cpu 10s; hash 10s"


@pytest.fixture
def warnings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What the window would have shown in warning boxes (a modal box would block the test)."""
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Discard)
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: shown.append(str(a[2])))
    return shown


@pytest.fixture(autouse=True)
def _app_quits_like_the_real_one(qapp: QApplication, warnings: list[str]) -> Iterator[None]:
    """ensure_app turns Qt's quit-on-last-window-closed off (the window's `closed` signal ends the app)."""
    before = qapp.quitOnLastWindowClosed()
    qapp.setQuitOnLastWindowClosed(False)
    yield
    qapp.setQuitOnLastWindowClosed(before)


def _follow(w: MainWindow) -> list[RunHandle]:
    handles: list[RunHandle] = []
    w.controller.run_started.connect(handles.append)
    return handles


def _lab_pid(w: MainWindow) -> int:
    pid = w.controller.labs.client().pid
    assert pid is not None, "the window has no lab"
    return pid


# -- Run and Stop, over and over ------------------------------------------------------------------------

def test_run_stop_storm_through_the_window(window: MainWindow, qloop: qasync.QEventLoop,
                                           warnings: list[str]) -> None:
    """Run; Stop (once to three times) after 0–150 ms; Run again as soon as the run has ended. The lab,
    warmed up first as the app does at start, serves every round: it always answers the stop in time."""
    rng = random.Random("window-storm")
    window.editor.set_plan(parse(SHORT_PLAN))
    handles = _follow(window)
    model_sets = [["asyncio"], ["threads"], ["sequential", "asyncio"], ["processes"], ["threads", "processes"]]
    rounds = 25
    slowest: list[float] = []

    async def storm() -> int:
        await window.controller.labs.client().start()
        lab = _lab_pid(window)
        for i in range(rounds):
            window.controls.set_models(model_sets[i % len(model_sets)])
            window.run_action.trigger()
            assert len(handles) == i + 1, f"round {i}: Run started nothing ({window.statusBar().currentMessage()})"
            handle = handles[-1]
            # A second Run while one is going is refused, not queued, by the shortcut and the button alike.
            window.run_action.trigger()
            window.controls.run_button.click()
            assert len(handles) == i + 1 and window.controller.current is handle
            await asyncio.sleep(rng.uniform(0.0, 0.150))
            pressed = perf_counter()
            for _ in range(rng.randint(1, 3)):
                window.stop_action.trigger()
            assert await until(lambda h=handle: h.state.over, 10.0), f"round {i} did not end"
            slowest.append(perf_counter() - pressed)
            assert window.run_action.isEnabled(), "Run is offered again once the run has ended"
        return lab

    lab = qloop.run_until_complete(storm())
    states = [h.state for h in handles]
    assert set(states) <= {RunState.STOPPED, RunState.FINISHED}, [(h.state, h.error) for h in handles]
    assert RunState.STOPPED in states
    assert warnings == []
    for h in handles:
        assert h.document is not None
        for run in h.document.runs:
            assert {t.state for t in run.tasks} <= {"done", "cancelled"}
    assert _lab_pid(window) == lab and window.controller.labs.client().restarts == 0, "one warm lab throughout"
    assert pool_workers(lab) == []
    assert max(slowest) < 1.0, f"the slowest round ended {max(slowest):.2f} s after Stop"
    print(f"\nwindow storm: {rounds} rounds; the slowest ended {max(slowest) * 1000:.0f} ms after Stop")


# -- the lab killed, or frozen ------------------------------------------------------------------------

def _start_long_run(w: MainWindow, handles: list[RunHandle], models: list[str]) -> Callable[[], bool]:
    """Press Run on a long plan; returns a check that the run's work is under way: spans have arrived, or
    (processes, whose workers send their spans when a task ends) the lab's pool workers are up."""
    w.editor.set_plan(parse("4x sleep 10s; 2x net 10s; cpu 10s"))
    w.controls.set_models(models)
    seen: list[bool] = []
    w.controller.run_started.connect(
        lambda h: h.frame_arrived.connect(lambda f: seen.append(True) if f.spans or f.opened else None))
    w.run_action.trigger()
    assert handles, "Run started nothing"

    def working() -> bool:
        pid = w.controller.labs.client().pid
        return bool(seen) or (models[0] == "processes" and pid is not None and len(pool_workers(pid)) >= 2)

    return working


def _short_run_after(w: MainWindow, handles: list[RunHandle]) -> RunHandle:
    w.editor.set_plan(parse("2x sleep 20ms; net 10ms"))
    w.controls.set_models(["threads"])
    w.run_action.trigger()
    return handles[-1]


@pytest.mark.parametrize("model", ["asyncio", "processes"])
def test_the_lab_killed_mid_run_fails_the_run_and_the_next_run_starts_a_fresh_lab(
        window: MainWindow, qloop: qasync.QEventLoop, warnings: list[str], model: str) -> None:
    handles = _follow(window)

    async def go() -> tuple[int, list[int], RunHandle, RunHandle, float]:
        working = _start_long_run(window, handles, [model])
        assert await until(working, 30.0), "the run never started"
        lab = _lab_pid(window)
        helpers = [p.pid for p in family(lab)]
        os.kill(lab, signal.SIGKILL)
        t = perf_counter()
        first = handles[-1]
        assert await until(lambda: first.state.over, 5.0), "the run did not end when its lab was killed"
        took = perf_counter() - t
        await asyncio.sleep(0.05)
        second = _short_run_after(window, handles)
        assert second is not first
        assert await until(lambda: second.state.over, 60.0)
        return lab, helpers, first, second, took

    dead, helpers, first, second, took = qloop.run_until_complete(go())
    assert first.state == RunState.FAILED
    assert "SIGKILL" in first.error and "fresh lab" in first.error, first.error
    assert warnings and "SIGKILL" in warnings[0] and "fresh lab" in warnings[0], "the window says why, and what next"
    assert took < 2.0, f"the run ended {took:.2f} s after its lab was killed"
    assert second.state == RunState.FINISHED, second.error
    assert second.document is not None and second.document.runs[0].metrics["tasks_done"] == 3
    assert _lab_pid(window) != dead
    assert "finished" in window.statusBar().currentMessage()
    # The killed lab's loopback server and pool workers follow it (they watch their parent).
    qloop.run_until_complete(until(lambda: not any(alive(pid) for pid in helpers), 3.0))
    assert not [pid for pid in helpers if alive(pid)], "the killed lab's helpers outlived it"


def test_a_lab_frozen_when_stop_is_pressed_is_ended_after_a_second(window: MainWindow, qloop: qasync.QEventLoop,
                                                                   warnings: list[str]) -> None:
    handles = _follow(window)

    async def go() -> tuple[int, list[int], float, RunHandle]:
        working = _start_long_run(window, handles, ["threads"])
        assert await until(working, 30.0), "the run never started"
        lab = _lab_pid(window)
        helpers = [p.pid for p in family(lab)]
        os.kill(lab, signal.SIGSTOP)
        t = perf_counter()
        window.stop_action.trigger()
        handle = handles[-1]
        assert await until(lambda: handle.state.over, 5.0), "a frozen lab held the run"
        took = perf_counter() - t
        await asyncio.sleep(0.05)
        second = _short_run_after(window, handles)
        assert await until(lambda: second.state.over, 60.0)
        return lab, helpers, took, second

    frozen, helpers, took, second = qloop.run_until_complete(go())
    first = handles[0]
    assert first.state == RunState.FAILED
    assert "did not answer the stop" in first.error and "fresh lab" in first.error
    assert warnings and "did not answer the stop" in warnings[0]
    assert 0.9 < took < 2.5, f"the frozen lab was ended {took:.2f} s after Stop"
    assert not alive(frozen), "the frozen lab was not ended"
    assert not [pid for pid in helpers if alive(pid)], "the frozen lab's helpers outlived it"
    assert second.state == RunState.FINISHED and _lab_pid(window) != frozen


# -- closing the window --------------------------------------------------------------------------------

def _close_and_time(qloop: qasync.QEventLoop, w: MainWindow, before: Callable[[], None] | None = None) -> float:
    closed: list[float] = []
    w.closed.connect(lambda: closed.append(perf_counter()))
    handles = _follow(w)
    labs: list[int] = []

    async def go() -> float:
        # Not asyncio: its cpu steps hold the lab's loop, which is fine, but the test wants every helper busy.
        working = _start_long_run(w, handles, ["threads", "processes"])
        assert await until(working, 30.0), "the run never started"
        await asyncio.sleep(0.3)
        lab = _lab_pid(w)
        labs.extend([lab, *(p.pid for p in family(lab))])
        if before is not None:
            before()
        t = perf_counter()
        w.close()
        await until(lambda: bool(closed), 5.0)
        return (closed[0] if closed else perf_counter()) - t

    took = qloop.run_until_complete(go())
    qloop.run_until_complete(w.controller.wait())
    assert closed, "the window never finished closing"
    assert took < CLOSE_LIMIT_S, f"closing took {took:.2f} s"
    assert not w.isVisible()
    assert not w.controller.running
    assert not [pid for pid in labs if alive(pid)], "the lab or its helpers outlived the window"
    return took


def _window(qtbot: QtBot, store: QSettings, folder: Path | None = None) -> MainWindow:
    w = MainWindow(store, None, folder)
    qtbot.addWidget(w)
    w.show()
    return w


def test_close_with_the_export_dialog_open_during_a_run(qtbot: QtBot, qloop: qasync.QEventLoop,
                                                         store: QSettings) -> None:
    w = _window(qtbot, store)
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
    w = _window(qtbot, store)
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
    w = _window(qtbot, store)
    closed: list[float] = []
    w.closed.connect(lambda: closed.append(perf_counter()))
    page = w.lessons.page
    lab: list[int] = []

    async def go() -> float:
        page.set_lesson(get_lesson("article-example"))
        page.skip_prediction()
        assert page.run()
        assert await until(lambda: w.controller.labs.client().pid is not None and page.running, 30.0)
        await asyncio.sleep(0.6)
        assert page.running
        lab.append(_lab_pid(w))
        t = perf_counter()
        w.close()
        await until(lambda: bool(closed), 5.0)
        return (closed[0] if closed else perf_counter()) - t

    took = qloop.run_until_complete(go())
    qloop.run_until_complete(w.controller.wait())
    assert closed and took < CLOSE_LIMIT_S
    assert not w.controller.running
    assert not page.running
    assert not alive(lab[0])
    assert leaks() == []


TWO_RUNS = """
id = "two-runs"
title = "Two runs"
order = 1
intro = "Waits under two models, one run after the other."
plan = "3x sleep 300ms"
models = ["asyncio", "threads"]
workers = { threads = 3 }

[[claims]]
text = "threads took {left:.2f} s"
left = "threads.wall_s"
op = ">"
right = 0
"""


def test_close_between_the_runs_of_a_lesson(qtbot: QtBot, qloop: qasync.QEventLoop, store: QSettings,
                                            tmp_path: Path) -> None:
    """Closing exactly when the lesson's first run has finished: the window closes at once and the second
    run does no work (the lab may already have begun it when the stop arrives: it ends cancelled)."""
    folder = tmp_path / "lessons"
    folder.mkdir()
    (folder / "01-two-runs.toml").write_text(TWO_RUNS, encoding="utf-8")
    w = _window(qtbot, store, folder)
    closed: list[float] = []
    w.closed.connect(lambda: closed.append(perf_counter()))
    asked: list[float] = []

    def close_after_the_first_run(_index: int, _run: object) -> None:
        if not asked:
            asked.append(perf_counter())
            w.close()

    w.controller.run_started.connect(lambda handle: handle.run_finished.connect(close_after_the_first_run))
    page = w.lessons.page

    async def go() -> None:
        page.set_lesson(get_lesson("two-runs", folder))
        page.skip_prediction()
        assert page.run()
        await until(lambda: bool(closed), 30.0)
        await asyncio.sleep(0.3)

    qloop.run_until_complete(go())
    assert asked and closed and closed[0] - asked[0] < CLOSE_LIMIT_S
    qloop.run_until_complete(w.controller.wait())
    doc = w.controller.last_document
    assert doc is not None and doc.runs[0].name == "asyncio" and doc.runs[0].metrics["tasks_done"] == 3
    later = [(r.name, r.metrics["tasks_done"]) for r in doc.runs[1:]]
    assert all(done == 0 for _name, done in later), f"work done after the window was closed: {later}"
    assert conclab_threads() == []
    assert leaks() == []


def test_a_second_window_run_after_a_closed_one_never_reuses_its_lab(qtbot: QtBot, qloop: qasync.QEventLoop,
                                                                     store: QSettings) -> None:
    """A closed window's lab is gone; a new window starts its own, runs, and ends it when it closes."""
    first = _window(qtbot, store)
    qloop.run_until_complete(first.controller.labs.client().start())
    old = _lab_pid(first)
    first.close()
    assert not alive(old)
    second = _window(qtbot, store)
    handles = _follow(second)
    second.editor.set_plan(parse("sleep 10ms"))
    second.controls.set_models(["asyncio"])

    async def go() -> RunDocument | None:
        second.run_action.trigger()
        await second.controller.wait()
        return handles[-1].document

    doc = qloop.run_until_complete(go())
    assert doc is not None and doc.runs[0].metrics["tasks_done"] == 1
    new = _lab_pid(second)
    assert new != old
    second.close()
    assert not alive(new)
    assert leaks() == []
