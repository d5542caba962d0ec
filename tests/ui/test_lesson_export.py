"""Lessons → Export lesson page, after running a lesson in the window: the picture is the whole lesson — its
title, question, prediction and how it came out, every run's timeline with numbered captions, every verdict
with what was checked, the metrics, the explanation and the footer — at its natural size, whatever the dock
shows."""

from __future__ import annotations

import asyncio
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
import qasync
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from conclab.ui.exports import export_dialog as ed
from conclab.ui.exports.export_dialog import ExportDialog
from conclab.ui.exports.page_picture import PAGE_WIDTH
from conclab.ui.shell.main_window import MainWindow

LESSON = "blocking-loop"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def _no_modal_boxes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    warnings: list[str] = []
    monkeypatch.setattr(ed.QMessageBox, "warning", lambda _p, _t, text, *_a: warnings.append(text)
                        or QMessageBox.StandardButton.Ok)
    monkeypatch.setattr(ed.QMessageBox, "question", lambda *_a: QMessageBox.StandardButton.Yes)
    return warnings


async def _until(condition: Callable[[], bool], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.05)


def _squashed(text: str) -> str:
    return "".join(text.split())


def _run_lesson(qtbot: QtBot, loop: qasync.QEventLoop, window: MainWindow) -> None:
    """Open the lesson from the Lessons menu, answer its prediction, press Run lesson, wait for the end."""
    dock = window.lessons
    assert dock.menu is not None
    opener = next(a for a in dock.menu.menu.actions() if a.data() == LESSON)
    opener.trigger()
    page = dock.page
    assert page.lesson() is not None and page.lesson().id == LESSON
    page.choose_prediction(0)
    qtbot.waitUntil(page.run_button.isEnabled, timeout=10_000)

    async def run() -> None:  # a click starts the run on the window's running loop, as in the app
        qtbot.mouseClick(page.run_button, Qt.MouseButton.LeftButton)
        assert page.running
        await _until(lambda: not page.running)
        await window.controller.wait()

    loop.run_until_complete(run())
    assert len(page.runs()) == 2


def _dialog(window: MainWindow) -> ExportDialog:
    found = [d for d in window.findChildren(ExportDialog) if d.isVisible()]
    assert len(found) == 1, "Export lesson page opened no dialog"
    return found[0]


def test_export_lesson_page_after_running_it_in_the_window(qtbot: QtBot, qloop: qasync.QEventLoop,
                                                           window: MainWindow, tmp_path: Path,
                                                           _no_modal_boxes: list[str]) -> None:
    dock = window.lessons
    assert dock.menu is not None
    export = dock.menu.export_action
    export.trigger()  # before any lesson ran: a message, no dialog
    assert "run a lesson first" in window.statusBar().currentMessage()
    assert not [d for d in window.findChildren(ExportDialog) if d.isVisible()]
    _run_lesson(qtbot, qloop, window)
    page = dock.page
    lesson = page.lesson()
    assert lesson is not None
    dock.resize(420, 300)  # the dock squeezed: the page scrolls and clips; the export must not

    export.trigger()  # Lessons → Export lesson page…
    dialog = _dialog(window)
    assert dialog.format() == "page" and lesson.title in dialog.about_label.text()
    dialog.scale_box.setCurrentText("2x")
    dialog.path_edit.setText(str(tmp_path / "lesson.png"))
    with qtbot.waitSignal(dialog.accepted, timeout=30_000):
        dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    assert not _no_modal_boxes

    picture = dialog.picture()
    image = QImage(str(tmp_path / "lesson.png"))
    assert (image.width(), image.height()) == (2 * PAGE_WIDTH, 2 * int(picture.height))
    texts = picture.texts()
    words = _squashed(" ".join(texts))
    result = page.result()  # what the page itself says
    assert result is not None and result.complete
    assert texts[0] == lesson.title
    assert lesson.prediction is not None and _squashed(lesson.prediction.question) in words
    assert result.prediction is not None and _squashed(result.prediction.sentence) in words
    for verdict in result.shown:
        assert _squashed(verdict.sentence) in words
        assert _squashed(verdict.check) in words
    assert _squashed(result.status) in words
    for caption in page.caption_texts():
        assert _squashed(caption.split(": ", 1)[-1].split(" (at ")[0]) in words, caption
    assert {"sequential", "asyncio", "event loop", "loop lag", "Wall time", "Tasks done / failed"} <= set(texts)
    assert _squashed("a coroutine gives the loop back only at an") in words  # the explanation
    python = page.runs()[0].python
    assert f"Python{python['version']}" in words and "plan:3xlogger:block300ms" in words

    export.trigger()  # and the same page as SVG, whose text is the picture's
    again = _dialog(window)
    again.set_format("page_svg")
    again.path_edit.setText(str(tmp_path / "lesson.svg"))
    with qtbot.waitSignal(again.accepted, timeout=30_000):
        again.buttons.button(again.buttons.StandardButton.Save).click()
    assert [t.text for t in ET.parse(tmp_path / "lesson.svg").getroot().iter(f"{SVG}text")] == texts
