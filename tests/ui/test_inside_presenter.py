"""Presenter mode (F11) and slides: full screen, large type, the timeline, the Inside panel and the verdicts
only, stepped with the keys on the window's own clock; a slide of the instant is 16:9 at its natural size."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import qasync
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot

from conclab.model.inside import change_points
from conclab.ui.inside.inside_session import ALL
from conclab.ui.plan_editor.plan_editor_panel import PlanEditorPanel
from conclab.ui.shell.main_window import MainWindow
from conclab.ui.timeline.metrics_panel import MetricsPanel
from tests.ui.test_inside_keys import focus, press
from tests.ui.test_inside_panel import _no_modal_questions, click_timeline, open_inside, run_in_window

__all__ = ["_no_modal_questions"]

Key = Qt.Key
PLAN = "fetch: sleep 200ms; crunch: cpu 300ms"


def test_f11_presents_one_instant_full_screen_and_the_keys_step_it(qtbot: QtBot, window: MainWindow,
                                                                    qloop: qasync.QEventLoop) -> None:
    doc = run_in_window(qloop, window, PLAN, ["asyncio", "threads"])
    focus(qtbot, window, window.timeline.graphics)
    press(window.timeline.graphics, Key.Key_F11)
    menu = window.inside.menu
    assert menu is not None and menu.presenter_action.shortcut().toString() == "F11"
    presenter = menu.presenter
    assert presenter is not None and presenter.isVisible() and presenter.isFullScreen()
    qtbot.waitExposed(presenter)
    assert presenter.font().pointSizeF() >= 1.5 * window.font().pointSizeF()
    # the timeline, the Inside panel and the verdicts — no editor, no metrics table
    assert presenter.findChildren(PlanEditorPanel) == [] and presenter.findChildren(MetricsPanel) == []
    assert presenter.timeline.section_count() == 1 and presenter.panel.views
    s = window.inside.session
    shown = doc.runs[s.mode].name  # the run measured last
    assert f"{shown}:" in presenter.verdicts.text() and "s wall" in presenter.verdicts.text()

    focus(qtbot, presenter, presenter.panel)
    press(presenter.panel, Key.Key_1)  # the first run
    assert s.mode == 0 and "event loop" in presenter.question.text()
    assert "asyncio:" in presenter.verdicts.text()
    press(presenter.panel, Key.Key_Home)
    points = change_points(doc.runs[s.mode])
    assert s.t == points[0]
    press(presenter.panel, Key.Key_Right)
    assert s.t == points[1]
    assert presenter.timeline.cursor_time == s.t == window.timeline.cursor_time  # one clock everywhere
    assert f"t = {s.t:.3f} s" in presenter.title.text()

    press(presenter.panel, Key.Key_2)  # the second run
    assert s.mode == 1 and presenter.panel.views[0].picture().name == "threads"  # type: ignore[union-attr]
    assert "GIL" in presenter.question.text()
    press(presenter.panel, Key.Key_A)  # all runs, one clock
    assert s.mode == ALL and len(presenter.panel.views) == 2 and presenter.timeline.section_count() == 2
    press(presenter.panel, Key.Key_Escape)
    QTest.qWait(50)
    assert menu.presenter is None


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


@pytest.mark.parametrize("suffix", ["png", "svg"])
def test_export_slide_is_16_9_with_the_instant(window: MainWindow, qloop: qasync.QEventLoop, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch, suffix: str) -> None:
    run_in_window(qloop, window, PLAN, ["asyncio"])
    open_inside(window)
    click_timeline(window, 0.1)
    out = tmp_path / f"slide.{suffix}"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    menu = window.inside.menu
    assert menu is not None and menu.slide_action in window.menu("&View").actions()
    menu.slide_action.trigger()
    assert out.exists(), window.statusBar().currentMessage()
    if suffix == "png":
        width, height = _png_size(out)
        assert (width, height) == (1920, 1080)
        image = QImage(str(out))
        assert not image.isNull() and image.pixelColor(5, 5).name() == "#ffffff"
    else:
        text = out.read_text(encoding="utf-8")
        view_box = re.search(r'viewBox="([\d.\s]+)"', text)
        assert view_box is not None and [float(v) for v in view_box.group(1).split()] == [0, 0, 1920, 1080]
        assert "crunch" in text and "event loop" in text  # the words are text, not pixels
        assert "<image" in text  # the timeline, as drawn
    assert "exported slide" in window.statusBar().currentMessage()
