"""Stepping through a real run with the keys: every change of state exactly once, forward and back; one
task's changes after clicking its chip; Shift+arrows by 10 ms; Space plays at the chosen speed; the keys
work where the timeline has the keyboard too, and all runs of a comparison share one clock."""

from __future__ import annotations

import heapq

import pytest
import qasync
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from conclab.model.inside import InsideIndex, change_points
from conclab.model.plan_text import parse
from conclab.ui.inside.inside_dock import InsideDock
from conclab.ui.inside.inside_session import ALL
from conclab.ui.shell.main_window import MainWindow
from tests.ui.test_inside_panel import _no_modal_questions, click_timeline, open_inside, run_in_window

__all__ = ["_no_modal_questions"]

Key = Qt.Key
SHIFT = Qt.KeyboardModifier.ShiftModifier


def focus(qtbot: QtBot, w: MainWindow, widget: QWidget) -> None:
    w.activateWindow()
    widget.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is widget, timeout=2000)


def press(widget: QWidget, key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    QTest.keyClick(widget, key, modifier)
    QTest.qWait(5)


def walk(dock: InsideDock, key: Qt.Key, limit: int) -> list[float]:
    """Press `key` until the instant stops moving; every instant it stopped at."""
    s = dock.session
    seen = [s.t]
    for _ in range(limit):
        press(dock.panel, key)
        if s.t == seen[-1]:
            return seen
        seen.append(s.t)
    raise AssertionError(f"still moving after {limit} presses")


def test_arrows_visit_every_change_once_forward_and_back(qtbot: QtBot, window: MainWindow,
                                                         qloop: qasync.QEventLoop) -> None:
    doc = run_in_window(qloop, window, "2x fetch: sleep 50ms, cpu 20ms", ["asyncio"])
    [run] = doc.runs
    points = change_points(run)
    dock = open_inside(window)
    focus(qtbot, window, dock.panel)
    s = dock.session

    press(dock.panel, Key.Key_Home)
    assert s.t == points[0]
    forward = walk(dock, Key.Key_Right, len(points) + 3)
    assert forward == points and len(points) > 4
    press(dock.panel, Key.Key_End)
    assert s.t == points[-1]
    assert walk(dock, Key.Key_Left, len(points) + 3) == points[::-1]
    assert window.timeline.cursor_time == s.t  # the timeline's now line went along
    QTest.qWait(400)  # keys pressed faster than the chips glide: once still, every chip is whole
    items = dock.panel.views[0].chip_items().values()
    assert items and all(item.opacity() == 1.0 for item in items)

    # Shift+arrows: 10 ms at a time.
    press(dock.panel, Key.Key_Home)
    press(dock.panel, Key.Key_Right, SHIFT)
    assert s.t == pytest.approx(points[0] + 0.010)
    press(dock.panel, Key.Key_Left, SHIFT)
    assert s.t == pytest.approx(points[0])


def test_clicking_a_chip_steps_through_that_task_only(qtbot: QtBot, window: MainWindow,
                                                      qloop: qasync.QEventLoop) -> None:
    doc = run_in_window(qloop, window, "2x fetch: sleep 50ms, cpu 20ms", ["asyncio"])
    [run] = doc.runs
    dock = open_inside(window)
    focus(qtbot, window, dock.panel)
    press(dock.panel, Key.Key_Home)
    view = dock.panel.views[0]
    QTest.qWait(300)
    fetch2 = next(t.id for t in run.tasks if t.name == "fetch 2")
    center = view.chip_center(fetch2)
    assert center is not None
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=center.toPoint())
    QTest.qWait(30)
    assert dock.session.selected == fetch2
    assert "fetch 2" in dock.panel.follow_label.text()
    index = InsideIndex(run, parse(doc.plan))
    own: list[float] = []
    t: float | None = -1.0
    while (t := index.next_change(t, fetch2)) is not None:  # type: ignore[arg-type]
        own.append(t)
    press(dock.panel, Key.Key_Home)
    QTest.qWait(30)
    assert view.chip_items()[(fetch2, False)].is_selected()  # outlined: the task the keys follow
    assert walk(dock, Key.Key_Right, len(own) + 3) == own
    dock.panel.follow_label.linkActivated.emit("all")  # "every task"
    assert dock.session.selected is None


def test_keys_step_where_the_timeline_has_the_keyboard(qtbot: QtBot, window: MainWindow,
                                                       qloop: qasync.QEventLoop) -> None:
    doc = run_in_window(qloop, window, "2x fetch: sleep 50ms, cpu 20ms", ["asyncio"])
    points = change_points(doc.runs[0])
    dock = open_inside(window)
    click_timeline(window, 0.03)
    graphics = window.timeline.graphics  # a click gives it the keyboard (strong focus)
    focus(qtbot, window, graphics)
    clicked = dock.session.t
    assert clicked == window.timeline.cursor_time
    press(graphics, Key.Key_Right)
    assert dock.session.t == next(p for p in points if p > clicked)
    assert window.timeline.cursor_time == dock.session.t


def test_space_plays_at_the_chosen_speed_and_runs_share_one_clock(qtbot: QtBot, window: MainWindow,
                                                                  qloop: qasync.QEventLoop) -> None:
    doc = run_in_window(qloop, window, "2x fetch: sleep 100ms, cpu 20ms", ["asyncio", "threads"])
    dock = open_inside(window)
    s = dock.session
    all_index = dock.panel.run_box.findData(ALL)
    assert all_index >= 0
    dock.panel.run_box.setCurrentIndex(all_index)
    dock.panel.run_box.activated.emit(all_index)
    QTest.qWait(30)
    assert [v.picture().name for v in dock.panel.views if v.picture()] == ["asyncio", "threads"]  # type: ignore[union-attr]
    focus(qtbot, window, dock.panel)
    press(dock.panel, Key.Key_Home)
    both = list(heapq.merge(*(change_points(r) for r in doc.runs)))
    assert s.t == both[0]
    press(dock.panel, Key.Key_Right)
    assert s.t == min(p for p in both if p > both[0])  # the next change of either run
    assert all(v.picture().at == s.t for v in dock.panel.views)  # type: ignore[union-attr]

    dock.panel.speed_box.setCurrentIndex(dock.panel.speed_box.findText("0.1x"))
    dock.panel.speed_box.activated.emit(dock.panel.speed_box.currentIndex())
    start = s.t
    press(dock.panel, Key.Key_Space)
    assert s.playing and dock.panel.play_button.text() == "Pause"
    QTest.qWait(600)
    press(dock.panel, Key.Key_Space)
    assert not s.playing
    moved = s.t - start
    assert 0.1 * 0.6 * 0.3 < moved < 0.1 * 0.6 * 3, moved  # ~0.06 s of run time in 0.6 s at 0.1x
