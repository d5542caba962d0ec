"""See inside, in the window: real runs made through Run, the Inside dock opened from the View menu, the
instant picked by clicking on the timeline, and each task's line of code highlighted."""

from __future__ import annotations

import asyncio

import pytest
import qasync
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox

from conclab.model.plan_text import parse
from conclab.model.run import ModelRun, RunDocument
from conclab.model.trace import State
from conclab.ui.inside.inside_dock import InsideDock
from conclab.ui.inside.picture import Picture
from conclab.ui.palette import STATE_HEX
from conclab.ui.shell.main_window import MainWindow


@pytest.fixture(autouse=True)
def _no_modal_questions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Discard)


def run_in_window(loop: qasync.QEventLoop, w: MainWindow, text: str, models: list[str]) -> RunDocument:
    """Run a plan the way a user does: edit it, choose the models, press Run, wait for the end."""
    w.editor.set_plan(parse(text))
    w.controls.set_models(models)
    w.controls.workers.setValue(0)
    docs: list[RunDocument] = []
    w.run_finished.connect(docs.append)

    async def go() -> None:
        w.run_action.trigger()
        assert w.controller.running
        await w.controller.wait()
        await asyncio.sleep(0.05)

    loop.run_until_complete(go())
    assert docs and all(t.state == "done" for r in docs[-1].runs for t in r.tasks)
    return docs[-1]


def open_inside(w: MainWindow) -> InsideDock:
    """View → See inside (Ctrl+I)."""
    dock = w.inside
    assert dock.menu is not None
    assert dock.menu.toggle_action in w.menu("&View").actions()
    dock.menu.toggle_action.trigger()
    QTest.qWait(50)
    assert dock.isVisible()
    return dock


def click_timeline(w: MainWindow, t: float, section: int = 0) -> None:
    """A left click on the timeline's lanes at time t, as the mouse sends it."""
    QTest.qWait(50)
    vb = w.timeline.plots(section)[0].getViewBox()
    viewport = w.timeline.graphics.viewport()
    pos: QPoint = w.timeline.graphics.mapFromScene(vb.mapViewToScene(QPointF(t, 0.5)))
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    for kind, button, buttons in ((QEvent.Type.MouseMove, none, none), (QEvent.Type.MouseButtonPress, left, left),
                                  (QEvent.Type.MouseButtonRelease, left, none)):
        QApplication.sendEvent(viewport, QMouseEvent(kind, QPointF(pos), QPointF(viewport.mapToGlobal(pos)), button,
                                                     buttons, Qt.KeyboardModifier.NoModifier))
        QTest.qWait(20)
    QTest.qWait(60)


def shown(dock: InsideDock) -> Picture:
    picture = dock.panel.views[0].picture()
    assert picture is not None
    return picture


def task_id(run: ModelRun, name: str) -> int:
    return next(t.id for t in run.tasks if t.name == name)


def test_clicking_the_timeline_shows_the_loop_timers_and_the_ready_queue(window: MainWindow,
                                                                        qloop: qasync.QEventLoop) -> None:
    doc = run_in_window(qloop, window, "fetch: sleep 200ms; crunch: cpu 300ms", ["asyncio"])
    [run] = doc.runs
    dock = open_inside(window)
    fetch, crunch = task_id(run, "fetch"), task_id(run, "crunch")

    click_timeline(window, 0.1)
    s = dock.session
    assert s.t == pytest.approx(0.1, abs=0.02)
    assert window.timeline.cursor_time == pytest.approx(s.t)  # the now line and the panel move together
    early = shown(dock)
    assert early.where(crunch) == "loop" and early.where(fetch) == "timers"
    [timer] = early.box("timers").chips  # type: ignore[union-attr]
    assert timer.text.startswith("due 0.2")
    # running crunch — or, when a busy machine took its core for a moment, held by crunch off its core
    assert "running crunch" in early.summary or "held by crunch" in early.summary

    due = max(sp.t1 for sp in run.spans if sp.task == fetch and sp.state == State.IO_WAIT)
    crunch_end = max(sp.t1 for sp in run.spans if sp.task == crunch)
    at = 0.25 if due + 0.01 < 0.25 < crunch_end - 0.01 else (due + crunch_end) / 2  # a loaded machine
    click_timeline(window, at)
    later = shown(dock)
    assert later.where(fetch) == "ready" and later.where(crunch) == "loop"
    assert later.names("ready") == ["fetch"] and later.names("timers") == []
    assert "1 ready task must wait" in later.summary

    # The code, live: each task on its line, in its state's colour.
    marks = dock.code.text_view.marked_lines()
    script = dock.code.text_view.toPlainText().splitlines()
    lines = {name: line for line, names in marks.items() for name in names}
    assert script[lines["crunch"] - 1].strip().startswith("spin(0.3)")
    assert script[lines["fetch"] - 1].strip() == "await asyncio.sleep(0.2)"
    assert dock.code.isVisible()


def test_chips_are_drawn_in_the_state_colours(window: MainWindow, qloop: qasync.QEventLoop) -> None:
    run_in_window(qloop, window, "fetch: sleep 200ms; crunch: cpu 300ms", ["asyncio"])
    dock = open_inside(window)
    click_timeline(window, 0.1)
    QTest.qWait(300)  # the chips' glide (200 ms) has ended
    view = dock.panel.views[0]
    image = view.viewport().grab().toImage()
    picture = shown(dock)
    for chip in picture.chips():
        center = view.chip_center(chip.task)
        assert center is not None
        got = image.pixelColor(int(center.x()) - 0, int(center.y()) + 5)  # below the text's baseline
        want = STATE_HEX[chip.state].lower()
        assert got.name() == want or view.chip_items()[chip.key].fill().name() == want


def test_a_replay_moves_the_instant_run_by_run(window: MainWindow, qloop: qasync.QEventLoop) -> None:
    doc = run_in_window(qloop, window, "fetch: sleep 100ms; crunch: cpu 100ms", ["asyncio", "threads"])
    dock = open_inside(window)
    window.run_files.replay_action.trigger()  # View → Replay run
    replay = window.run_files.replay
    replay.pause()
    first = max([s.t1 for s in doc.runs[0].spans] + [t for t, _ in doc.runs[0].lag])
    total = replay.duration()
    for position in (first * 0.5, first + (total - first) * 0.5):
        replay.scrubber.setValue(round(replay.scrubber.maximum() * position / total))  # the user drags it
        QTest.qWait(50)
        k = 0 if position < first else 1
        s = dock.session
        assert s.shown()[0].name == doc.runs[k].name
        assert s.t == pytest.approx(position - (0 if k == 0 else first), abs=0.01)
        assert shown(dock).at == s.t and shown(dock).name == doc.runs[k].name
    replay.finish()


def test_clicking_a_runs_section_shows_that_run(window: MainWindow, qloop: qasync.QEventLoop) -> None:
    """After a comparison the panel shows the last run; a click on another run's section switches to it."""
    doc = run_in_window(qloop, window, "fetch: sleep 200ms; crunch: cpu 300ms", ["asyncio", "threads"])
    dock = open_inside(window)
    box = dock.panel.run_box
    assert [r.model for r in doc.runs] == ["asyncio", "threads"]
    click_timeline(window, 0.1, section=1)
    assert "threads" in box.currentText() and shown(dock).model == "threads"
    click_timeline(window, 0.1, section=0)
    assert "asyncio" in box.currentText() and shown(dock).model == "asyncio"
    assert dock.session.t == pytest.approx(0.1, abs=0.02)
    assert shown(dock).where(task_id(doc.runs[0], "crunch")) == "loop"
