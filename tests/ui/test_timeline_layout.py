"""Timeline layout: an empty timeline says how to start; rows and lag charts take the height there is within
readable bounds; a small view scrolls and never clips sideways; Fit shows every run whole, also by Ctrl+0 in the
window right after a wheel zoom; the same holds at 200 % scale."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox

from conclab.model.run import ModelRun, TaskOutcome
from conclab.model.runfile import dumps
from conclab.model.trace import LaneKind, Span
from conclab.ui.shell.main_window import MainWindow
from conclab.ui.timeline.timeline_view import TimelineView
from tests.ui.test_picture_export import three_run_doc


def _run(model: str, lanes: int, length: float) -> ModelRun:
    spans = [Span(i, 0, f"worker {i + 1}", "running", 0.0, length) for i in range(lanes)]
    return ModelRun(model, lanes, {}, [TaskOutcome(i, f"job {i}", "done") for i in range(lanes)], spans,
                    [(0.01 * k, 0.001) for k in range(50)], {f"worker {i + 1}": LaneKind.WORKER for i in range(lanes)})


READABLE_ROW_PX = (14.0, 30.0)  # a lane label needs the first; bars taller than the second only waste room
RUNS = [_run("sequential", 5, 1.5), _run("threads", 6, 0.8), _run("processes", 3, 0.6)]


@pytest.fixture
def view(qtbot) -> Iterator[TimelineView]:  # type: ignore[no-untyped-def]
    widget = TimelineView()
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    widget.close()


def _settle(view: TimelineView) -> None:
    """Wait for layout passes and redraw frames until the geometry stops changing (a busy machine is slow)."""
    last: dict[str, float] = {}
    for _ in range(40):
        QTest.qWait(60)
        now = _geometry(view)
        if now == last:
            return
        last = now


def _geometry(view: TimelineView) -> dict[str, float]:
    viewport = view.graphics.parentWidget()
    assert viewport is not None
    last = view.plots(view.section_count() - 1)[1]
    return {"graphics_w": view.graphics.width(), "viewport_w": viewport.width(), "viewport_h": viewport.height(),
            "graphics_h": view.graphics.height(), "bottom": last.sceneBoundingRect().bottom(),
            "row_px": (view.plots(0)[0].height() - 8) / len(view.lane_labels(0))}


def _shown_text(view: TimelineView) -> str:
    return " ".join(w.text() for w in view.findChildren(QLabel) if w.isVisible())


def test_an_empty_timeline_says_how_to_start(view: TimelineView) -> None:
    assert "press Run (Ctrl+R)" in _shown_text(view)
    assert not view.graphics.isVisible()
    view.set_runs(RUNS)
    assert "press Run" not in _shown_text(view) and view.graphics.isVisible()
    view.clear()
    assert "press Run (Ctrl+R)" in _shown_text(view)


def test_a_small_view_scrolls_to_every_section_and_never_clips_sideways(view: TimelineView) -> None:
    view.resize(520, 300)
    view.set_runs(RUNS)
    _settle(view)
    g = _geometry(view)
    assert g["graphics_w"] <= g["viewport_w"], "the timeline must fit the width: there is no sideways scroll bar"
    assert g["row_px"] >= READABLE_ROW_PX[0]
    assert g["bottom"] <= g["graphics_h"], "the last lag chart must lie inside what scrolls"
    value, maximum = view.scroll_position()
    assert value == 0 and maximum >= g["graphics_h"] - g["viewport_h"] - 1 > 0
    for title in (view.legend_text(i) for i in range(3)):
        assert title  # every section has its title and legend
    view.fit_action.trigger()  # Fit keeps every run whole on the time axis; the sections still scroll
    assert view.plots(2)[0].viewRange()[0] == pytest.approx([0.0, 1.5 * 1.02])


def test_rows_take_the_height_there_is_within_readable_bounds(view: TimelineView) -> None:
    view.resize(700, 300)
    view.set_runs(RUNS)
    _settle(view)
    short = _geometry(view)
    view.resize(700, 1400)
    _settle(view)
    tall = _geometry(view)
    assert READABLE_ROW_PX[0] <= short["row_px"] < tall["row_px"] <= READABLE_ROW_PX[1]
    assert view.scroll_position()[1] == 0 and tall["graphics_h"] <= tall["viewport_h"]


_AT_200 = """
import json, sys
from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import QApplication
from PySide6.QtTest import QTest
app = QApplication(sys.argv[:1])
from conclab.model.run import ModelRun
from conclab.model.trace import LaneKind, Span
from conclab.ui.timeline.timeline_view import TimelineView
view = TimelineView()
view.resize(512, 320)  # a 1024×640 screen at 200 %
view.show()
QTest.qWaitForWindowExposed(view)
spans = [Span(i, 0, f"thread {i + 1}", "running", 0.0, 1.0) for i in range(6)]
lanes = dict.fromkeys((s.worker for s in spans), LaneKind.WORKER)
view.set_runs([ModelRun("threads", 6, {}, [], spans, [], lanes)] * 3)
QTest.qWait(150)
vp = view.graphics.parentWidget()
axis = view.plots(0)[0].getAxis("left")
print(json.dumps({"ratio": view.devicePixelRatio(), "graphics_w": view.graphics.width(), "viewport_w": vp.width(),
                  "axis_w": axis.width(),
                  "label_w": max(QFontMetricsF(axis.font()).horizontalAdvance(t) for t in view.lane_labels(0)),
                  "scroll_max": view.scroll_position()[1]}))
view.close()
"""


def test_at_200_percent_scale_the_timeline_fits_and_its_labels_have_room() -> None:
    env = dict(os.environ, QT_SCALE_FACTOR="2", QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-c", _AT_200], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["ratio"] == 2
    assert found["graphics_w"] <= found["viewport_w"]
    assert found["axis_w"] >= found["label_w"]  # lane names are never cut
    assert found["scroll_max"] > 0  # three runs do not fit 320 px: they scroll


def test_in_the_window_ctrl_0_undoes_a_wheel_zoom_at_1024_by_640(window: MainWindow, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> None:
        raise AssertionError(f"a message box: {args}")
    monkeypatch.setattr(QMessageBox, "warning", refuse)
    path = tmp_path / "three.json"
    path.write_text(dumps(three_run_doc()), encoding="utf-8")
    window.resize(1024, 640)
    assert window.run_files.open_run(path)  # File → Open run…, the file chosen
    window.editor.setFocus()  # the user was editing the plan
    _settle(window.timeline)
    timeline = window.timeline
    viewport = timeline.graphics.viewport()
    box = timeline.plots(0)[0].getViewBox()
    pos = QPointF(timeline.graphics.mapFromScene(box.sceneBoundingRect().center()))
    wheel = QWheelEvent(pos, QPointF(viewport.mapToGlobal(pos.toPoint())), QPoint(0, 0), QPoint(0, 360),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(viewport, wheel)
    zoomed = timeline.plots(0)[0].viewRange()[0]
    assert zoomed[1] - zoomed[0] < 1.0
    focus = QApplication.focusWidget()
    assert focus is not None
    QTest.keyClick(focus, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert timeline.plots(0)[0].viewRange()[0] == pytest.approx([0.0, 0.6 * 1.02])
