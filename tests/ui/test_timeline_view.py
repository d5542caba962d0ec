"""Timeline view: state colours render, hover finds and keeps describing the right span, live frames
grow the drawing (throttled), runs share one time axis, the view lays itself out in the height there is,
and the time cursor follows clicks and drags. Every test feeds the view the way the window does: whole
runs, or `LiveFrame`s between `begin_live` and `end_live`."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt, QTimer
from PySide6.QtGui import QColor, QImage, QMouseEvent, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QStyle, QToolTip

from conclab.model.live import LiveFrame
from conclab.model.run import ModelRun, TaskOutcome
from conclab.model.trace import STATES, Cause, LaneKind, Span, state_label
from conclab.ui.palette import STATE_HEX
from conclab.ui.timeline.timeline_view import TimelineView


@pytest.fixture
def view(qtbot) -> Iterator[TimelineView]:  # type: ignore[no-untyped-def]
    widget = TimelineView()
    qtbot.addWidget(widget)
    widget.resize(1000, 700)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    QToolTip.hideText()
    widget.close()


def _run(model: str, spans: list[Span], lag: list[tuple[float, float]] | None = None,
         lanes: dict[str, LaneKind] | None = None, names: dict[int, str] | None = None, label: str = "",
         python: str = "") -> ModelRun:
    tasks = [TaskOutcome(t, (names or {}).get(t, f"job{t}"), "done") for t in sorted({s.task for s in spans})]
    return ModelRun(model, 2, {}, tasks, spans, lag or [], lanes or {}, {"version": python} if python else {},
                    label)


def _frame(now: float, spans: list[Span] | None = None, opened: list[tuple[int, Span | None]] | None = None,
           lag: list[tuple[float, float]] | None = None, lanes: dict[str, LaneKind] | None = None) -> LiveFrame:
    return LiveFrame(0, now, 0, spans or [], opened or [], lag or [], lanes or {})


def _workers(*names: str) -> dict[str, LaneKind]:
    return dict.fromkeys(names, LaneKind.WORKER)


def _every_state_run() -> ModelRun:
    lanes = [s for s in STATES if s != "queued"]
    spans = [Span(i, 0, f"thread {i + 1}", state, 0.0, 1.0) for i, state in enumerate(lanes)]
    spans.append(Span(9, 0, "queue", "queued", 0.0, 1.0))
    return _run("threads", spans)


def _to_widget(view: TimelineView, index: int, t: float, row: float) -> QPoint:
    vb = view.plots(index)[0].getViewBox()
    scene = vb.mapViewToScene(QPointF(t, row))
    return view.graphics.viewport().mapTo(view, view.graphics.mapFromScene(scene))


def _plot_image(view: TimelineView, index: int = 0, lag: bool = False) -> QImage:
    QApplication.processEvents()
    vb = view.plots(index)[1 if lag else 0].getViewBox()
    rect = view.graphics.mapFromScene(vb.sceneBoundingRect()).boundingRect()
    return view.graphics.grab(rect).toImage()


def _count(image: QImage, hex_color: str, tol: int = 6) -> int:
    img = image.convertToFormat(QImage.Format.Format_RGB32)
    ptr = img.constBits()
    arr = np.frombuffer(ptr, dtype=np.uint8).reshape(img.height(), img.bytesPerLine())[:, : img.width() * 4]
    b, g, r = (arr[:, 0::4].astype(int), arr[:, 1::4].astype(int), arr[:, 2::4].astype(int))
    c = QColor(hex_color)
    hit = (abs(r - c.red()) <= tol) & (abs(g - c.green()) <= tol) & (abs(b - c.blue()) <= tol)
    return int(hit.sum())


def test_every_state_renders_in_its_colour(view: TimelineView) -> None:
    view.set_runs([_every_state_run()])
    image = _plot_image(view)
    for state in STATES:
        assert _count(image, STATE_HEX[state]) > 200, state


def test_only_present_states_are_drawn_and_listed(view: TimelineView) -> None:
    view.set_runs([_run("threads", [Span(1, 0, "thread 1", "running", 0.0, 0.5)])])
    image = _plot_image(view)
    assert _count(image, STATE_HEX["running"]) > 200
    assert _count(image, STATE_HEX["io_wait"]) == 0
    legend = view.legend_text(0)
    assert state_label("running", "threads") in legend
    assert state_label("io_wait", "threads") not in legend


def test_hover_finds_the_right_span_and_describes_it(view: TimelineView) -> None:
    spans = [Span(1, 0, "thread 1", "running", 0.0, 0.2), Span(1, 1, "thread 1", "io_wait", 0.2, 0.5),
             Span(2, 0, "thread 2", "ready_wait", 0.1, 0.3, Cause.GIL)]
    view.set_runs([_run("threads", spans, names={1: "fetch 1", 2: "crunch"})])
    labels = view.lane_labels(0)
    row1, row2 = labels.index("thread 1"), labels.index("thread 2")
    assert view.span_at(_to_widget(view, 0, 0.35, row1 + 0.5)) == spans[1]
    assert view.span_at(_to_widget(view, 0, 0.05, row1 + 0.5)) == spans[0]
    assert view.span_at(_to_widget(view, 0, 0.2, row2 + 0.5)) == spans[2]
    assert view.span_at(_to_widget(view, 0, 0.45, row2 + 0.5)) is None
    text = view.tooltip_at(_to_widget(view, 0, 0.35, row1 + 0.5))
    assert text.startswith("fetch 1 — step 2") and state_label("io_wait", "threads") in text
    assert "from 200.0 ms for 300.0 ms" in text and "lane: thread 1" in text
    assert "ready — waiting for the GIL" in view.tooltip_at(_to_widget(view, 0, 0.2, row2 + 0.5))


def _hover(view: TimelineView, pos: QPoint) -> None:
    """The mouse moves onto `pos` (viewport coordinates) in small steps and rests there, as the window
    system reports it (Qt times its tooltips from such moves only)."""
    for dx in (-6, -4, -2, 0):
        QTest.mouseMove(view.graphics.viewport(), QPoint(pos.x() + dx, pos.y()))
        QTest.qWait(20)


def test_hover_details_stay_while_the_mouse_rests(view: TimelineView, qtbot) -> None:  # type: ignore[no-untyped-def]
    spans = [Span(0, 1, "fetch 1", "ready_wait", 0.1, 0.6, Cause.LOOP), Span(1, 0, "crunch", "running", 0.1, 0.6)]
    view.set_runs([_run("asyncio", spans, lanes={"fetch 1": LaneKind.TASK, "crunch": LaneKind.TASK},
                        names={0: "fetch 1", 1: "crunch"})])
    QTest.qWait(50)
    row = view.lane_labels(0).index("fetch 1")
    vb = view.plots(0)[0].getViewBox()
    _hover(view, view.graphics.mapFromScene(vb.mapViewToScene(QPointF(0.35, row + 0.5))))
    qtbot.waitUntil(QToolTip.isVisible, timeout=2000)
    assert "fetch 1 — step 2" in QToolTip.text()
    delay = view.style().styleHint(QStyle.StyleHint.SH_ToolTip_WakeUpDelay)
    QTest.qWait(delay + 800)  # resting past the moment Qt shows a widget's own tooltip
    assert QToolTip.isVisible()
    assert QToolTip.text().splitlines()[:2] == ["fetch 1 — step 2", "ready — waiting for the event loop"]
    # resting where no bar is shows how to use the view instead
    _hover(view, view.graphics.mapFromScene(vb.mapViewToScene(QPointF(0.04, row + 0.5))))
    QTest.qWait(delay + 300)
    assert "Hover a bar" in QToolTip.text()


def test_lanes_read_in_the_plans_words_with_the_event_loop_derived_from_task_lanes(view: TimelineView) -> None:
    lanes = {"fetch 1": LaneKind.TASK, "fetch 2": LaneKind.TASK, "crunch": LaneKind.TASK,
             "offload thread 1": LaneKind.OFFLOAD}
    spans = [Span(0, 0, "fetch 1", "running", 0.0, 0.1), Span(2, 0, "crunch", "blocking", 0.1, 0.3),
             Span(0, 1, "fetch 1", "io_wait", 0.1, 0.4), Span(1, 0, "offload thread 1", "running", 0.3, 0.4),
             Span(1, 1, "fetch 2", "ready_wait", 0.0, 0.3, Cause.LOOP)]
    view.set_runs([_run("asyncio", spans, lanes=lanes, names={0: "fetch 1", 1: "fetch 2", 2: "crunch"})])
    assert view.lane_labels(0) == ["event loop", "fetch 1", "fetch 2", "crunch", "offload thread 1"]
    assert view.span_at(_to_widget(view, 0, 0.2, 0.5)) == spans[1]  # crunch blocked the loop
    assert view.span_at(_to_widget(view, 0, 0.05, 0.5)) == spans[0]
    assert view.span_at(_to_widget(view, 0, 0.36, 0.5)) is None  # the loop idles while only an offload works
    assert "lane:" not in view.tooltip_at(_to_widget(view, 0, 0.2, 0.5))  # a task's own lane goes unsaid


def test_legend_names_each_measured_cause_of_ready_waits(view: TimelineView) -> None:
    spans = [Span(0, 0, "thread 1", "ready_wait", 0.0, 0.1, Cause.GIL),
             Span(1, 0, "thread 2", "ready_wait", 0.1, 0.2, Cause.CORE),
             Span(1, 1, "thread 2", "running", 0.2, 0.3)]
    view.set_runs([_run("threads", spans), _run("asyncio", [Span(0, 0, "a", "ready_wait", 0.0, 0.1, Cause.LOOP)])])
    threads, aio = view.legend_text(0), view.legend_text(1)
    assert "ready — waiting for the GIL" in threads and "ready — waiting for a free core" in threads
    assert "waiting for the event loop" not in threads and "GIL or a core" not in threads
    assert "ready — waiting for the event loop" in aio and "GIL" not in aio


def test_titles_come_from_run_labels_and_name_the_python_when_runs_differ(view: TimelineView) -> None:
    a = _run("threads", [Span(0, 0, "thread 1", "running", 0.0, 0.1)], label="threads on 3.12", python="3.12.1")
    b = _run("threads", [Span(0, 0, "thread 1", "running", 0.0, 0.1)], label="threads on 3.13", python="3.13.0")
    view.set_runs([a, b])
    assert "threads on 3.12 · Python 3.12.1" in view.legend_text(0)
    assert "threads on 3.13 · Python 3.13.0" in view.legend_text(1)
    view.set_runs([a])
    assert "Python" not in view.legend_text(0)


def test_runs_share_one_time_axis(view: TimelineView) -> None:
    a = _run("threads", [Span(1, 0, "thread 1", "running", 0.0, 2.0)])
    b = _run("processes", [Span(1, 0, "process 1", "running", 0.0, 0.5)])
    view.set_runs([a, b])
    assert view.section_count() == 2
    view.plots(0)[0].setXRange(0.2, 0.4, padding=0)
    QApplication.processEvents()
    for index in (0, 1):
        for plot in view.plots(index):
            lo, hi = plot.viewRange()[0]
            assert lo == pytest.approx(0.2, abs=1e-6) and hi == pytest.approx(0.4, abs=1e-6)


def test_a_live_run_shares_the_axis_of_the_longer_runs_before_it(view: TimelineView, qtbot) -> None:  # type: ignore[no-untyped-def]
    view.begin_live("threads", title="threads")
    view.apply_frame(_frame(0.3, [Span(1, 0, "thread 1", "running", 0.0, 3.0)], lanes=_workers("thread 1")))
    view.end_live(_run("threads", [Span(1, 0, "thread 1", "running", 0.0, 3.0)]))
    view.begin_live("processes", title="processes")
    view.apply_frame(_frame(0.4, [Span(1, 0, "process 1", "running", 0.0, 0.4)], lanes=_workers("process 1")))
    qtbot.wait(120)
    for index in (0, 1):
        lo, hi = view.plots(index)[0].viewRange()[0]
        assert lo == pytest.approx(0.0, abs=1e-9) and 3.0 <= hi < 3.5, (index, lo, hi)
    view.apply_frame(_frame(5.0))
    qtbot.wait(120)
    assert view.plots(0)[0].viewRange()[0][1] >= 5.0  # the live run grew past the finished one


def test_queue_lane_shows_depth_and_hover_finds_queued_span(view: TimelineView) -> None:
    spans = [Span(i, -1, "queue", "queued", 0.0, 0.1 * (i + 1)) for i in range(4)]
    spans.append(Span(0, 0, "thread 1", "running", 0.1, 0.5))
    view.set_runs([_run("threads", spans)])
    labels = view.lane_labels(0)
    assert labels[0] == "queue (max 4)" and view.lane_row(0, "queue") == 0 and view.lane_row(0, "nope") is None
    found = view.span_at(_to_widget(view, 0, 0.35, 0.5))
    assert found is not None and found.state == "queued" and found.t1 >= 0.35
    assert _count(_plot_image(view), STATE_HEX["queued"]) > 100


def test_lag_lane_marks_freezes(view: TimelineView) -> None:
    lag = [(0.01 * i, 0.002) for i in range(100)]
    lag[50] = (0.5, 0.3)
    view.set_runs([_run("asyncio", [Span(1, 0, "task 1", "blocking", 0.2, 0.5)], lag)])
    assert "frozen" in view.legend_text(0)
    lag_box = view.plots(0)[1].getViewBox()
    at = view.graphics.viewport().mapTo(view, view.graphics.mapFromScene(lag_box.mapViewToScene(QPointF(0.5, 50))))
    assert view.tooltip_at(at).splitlines() == ["main loop late by 300.0 ms at 500.0 ms",
                                                "frozen: the loop was stuck from 200.0 ms to 500.0 ms"]
    image = _plot_image(view, lag=True)
    quiet = [(0.01 * i, 0.002) for i in range(100)]
    calm = _run("asyncio", [Span(1, 0, "task 1", "blocking", 0.2, 0.5)], quiet)
    view.set_runs([calm])
    assert "frozen" not in view.legend_text(0)
    calm_image = _plot_image(view, lag=True)
    # the freeze shading is a tint of the warning colour: compare red dominance with the calm run
    def reddish(img: QImage) -> int:
        arr = img.convertToFormat(QImage.Format.Format_RGB32)
        a = np.frombuffer(arr.constBits(), np.uint8).reshape(arr.height(), arr.bytesPerLine())
        a = a[:, : arr.width() * 4].astype(int)
        return int(((a[:, 2::4] - a[:, 0::4]) > 60).sum())
    assert reddish(image) > reddish(calm_image) + 200


def test_live_frames_grow_the_drawing_and_spans_in_progress_reach_now(view: TimelineView, qtbot) -> None:  # type: ignore[no-untyped-def]
    view.begin_live("threads")
    view.apply_frame(_frame(1.0, [Span(1, 0, "thread 1", "running", 0.0, 0.2)], lanes=_workers("thread 1", "thread 2")))
    qtbot.waitUntil(lambda: view.redraw_count > 0)
    qtbot.wait(80)
    first = _count(_plot_image(view), STATE_HEX["running"])
    view.apply_frame(_frame(1.0, [Span(1, 1, "thread 1", "running", 0.4, 0.6)]))
    qtbot.wait(80)
    assert _count(_plot_image(view), STATE_HEX["running"]) > first * 1.5
    wait = Span(2, 0, "thread 2", "io_wait", 0.5, 0.5)
    view.apply_frame(_frame(0.7, opened=[(7, wait)]))
    qtbot.wait(80)
    short = _count(_plot_image(view), STATE_HEX["io_wait"])
    view.apply_frame(_frame(0.95))
    qtbot.wait(80)
    longer = _count(_plot_image(view), STATE_HEX["io_wait"])
    assert short > 0 and longer > short * 1.5
    row2 = view.lane_labels(0).index("thread 2")
    assert view.span_at(_to_widget(view, 0, 0.8, row2 + 0.5)) == wait
    assert "still going" in view.tooltip_at(_to_widget(view, 0, 0.8, row2 + 0.5))
    view.apply_frame(_frame(1.2, [Span(2, 0, "thread 2", "io_wait", 0.5, 1.1)], opened=[(7, None)]))
    qtbot.wait(80)
    assert view.span_at(_to_widget(view, 0, 1.15, row2 + 0.5)) is None  # ended: no longer reaching now
    # a lane nobody announced gets a row of its own
    view.apply_frame(_frame(1.2, [Span(3, 0, "thread 3", "blocking", 0.1, 0.3)]))
    qtbot.wait(80)
    assert "thread 3" in view.lane_labels(0)


def test_throttle_coalesces_many_frames(view: TimelineView, qtbot) -> None:  # type: ignore[no-untyped-def]
    view.begin_live("threads")
    before = view.redraw_count
    for i in range(500):
        name = f"thread {i % 4 + 1}"
        view.apply_frame(_frame(i * 0.001, [Span(i, 0, name, "running", i * 0.001, i * 0.001 + 0.0005)],
                                lag=[(i * 0.001, 0.001)], lanes=_workers(name)))
    qtbot.wait(150)
    redraws = view.redraw_count - before
    assert 0 < redraws <= 10
    assert view.lane_labels(0) == ["thread 1", "thread 2", "thread 3", "thread 4"]
    # once nothing changes the frame timer stops
    qtbot.waitUntil(lambda: not any(t.isActive() for t in view.findChildren(QTimer)), timeout=1000)


def _wheel(view: TimelineView, index: int, steps: int = 1) -> None:
    target = view.graphics.viewport()
    vb = view.plots(index)[0].getViewBox()
    pos = QPointF(view.graphics.mapFromScene(vb.sceneBoundingRect().center()))
    event = QWheelEvent(pos, QPointF(target.mapToGlobal(pos.toPoint())), QPoint(0, 0), QPoint(0, 120 * steps),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
                        False)
    QApplication.sendEvent(target, event)


def test_follow_mode_stops_on_user_zoom_and_fit_resumes_it(view: TimelineView, qtbot) -> None:  # type: ignore[no-untyped-def]
    view.begin_live("threads")
    view.apply_frame(_frame(2.0, [Span(1, 0, "thread 1", "running", 0.0, 1.5)], lanes=_workers("thread 1")))
    qtbot.wait(80)
    assert view.following
    assert view.plots(0)[0].viewRange()[0][1] >= 2.0
    _wheel(view, 0)
    assert not view.following
    zoomed = view.plots(0)[0].viewRange()[0]
    view.apply_frame(_frame(4.0))
    qtbot.wait(80)
    assert view.plots(0)[0].viewRange()[0] == pytest.approx(zoomed)
    view.fit_action.trigger()
    assert view.following
    view.apply_frame(_frame(6.0))
    qtbot.wait(80)
    assert view.plots(0)[0].viewRange()[0][1] >= 6.0
    assert view.fit_action.shortcut().toString() == "Ctrl+0"


def test_zooming_out_or_panning_never_shows_time_before_zero_or_after_the_end(view: TimelineView) -> None:
    view.set_runs([_run("threads", [Span(1, 0, "thread 1", "running", 0.0, 2.0)])])
    for _ in range(5):
        _wheel(view, 0, -3)  # zoom out hard
        QApplication.processEvents()
    lo, hi = view.plots(0)[0].viewRange()[0]
    assert lo >= 0.0 and hi <= 2.0 * 1.05, (lo, hi)
    _wheel(view, 0, 5)  # zoom in, then drag the time axis far to the right (earlier times)
    QApplication.processEvents()
    lo_zoomed, _ = view.plots(0)[0].viewRange()[0]
    assert lo_zoomed > 0.0
    axis = view.plots(0)[1].getAxis("bottom")
    start = view.graphics.mapFromScene(axis.sceneBoundingRect().center())
    for _ in range(4):  # each drag pans by as much time as the mouse moved over
        _press_drag_release(view, [start, start + QPoint(300, 0), start + QPoint(600, 0)])
    assert view.plots(0)[0].viewRange()[0][0] == pytest.approx(0.0, abs=1e-9)


def _press_drag_release(view: TimelineView, points: list[QPoint],
                        modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    """A left-button press at the first point, moves through the others, a release at the last
    (points in the viewport's coordinates), as a mouse sends them: a few milliseconds apart, as pyqtgraph
    drops moves closer than 10 ms."""
    viewport = view.graphics.viewport()
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    steps = [(QEvent.Type.MouseMove, points[0], none, none), (QEvent.Type.MouseButtonPress, points[0], left, left)]
    steps += [(QEvent.Type.MouseMove, p, none, left) for p in points[1:]]
    steps.append((QEvent.Type.MouseButtonRelease, points[-1], left, none))
    for kind, pos, button, buttons in steps:
        event = QMouseEvent(kind, QPointF(pos), QPointF(viewport.mapToGlobal(pos)), button, buttons, modifiers)
        QApplication.sendEvent(viewport, event)
        QTest.qWait(20)


def _in_viewport(view: TimelineView, index: int, t: float, row: float, lag: bool = False) -> QPoint:
    QTest.qWait(50)  # let the layout settle first
    vb = view.plots(index)[1 if lag else 0].getViewBox()
    return view.graphics.mapFromScene(vb.mapViewToScene(QPointF(t, row)))


def test_click_and_drag_on_a_plot_move_the_cursor_without_panning(view: TimelineView) -> None:
    view.set_runs([_run("threads", [Span(1, 0, "thread 1", "running", 0.0, 2.0)]),
                   _run("processes", [Span(1, 0, "process 1", "running", 0.0, 1.0)])])
    seen: list[float] = []
    view.cursor_moved.connect(seen.append)
    x_range = view.plots(0)[0].viewRange()[0]
    click = _in_viewport(view, 1, 0.5, 0.5)
    _press_drag_release(view, [click])
    assert len(seen) == 1 and seen[0] == pytest.approx(0.5, abs=0.02)
    start, end = _in_viewport(view, 0, 0.5, 0.5), _in_viewport(view, 0, 1.2, 0.5)
    _press_drag_release(view, [start + (end - start) * k / 6 for k in range(7)])
    assert len(seen) >= 3 and seen == sorted(seen)  # the cursor follows the drag
    assert seen[-1] == pytest.approx(1.2, abs=0.02)
    assert view.plots(0)[0].viewRange()[0] == pytest.approx(x_range)  # not a pan
    assert view.cursor_time == pytest.approx(1.2, abs=0.02)
    # a drag on the lag plot places it too; Shift+drag pans and leaves the cursor alone
    lag_start, lag_end = _in_viewport(view, 1, 0.3, 5.0, lag=True), _in_viewport(view, 1, 0.9, 5.0, lag=True)
    _press_drag_release(view, [lag_start, (lag_start + lag_end) / 2, lag_end])
    assert seen[-1] == pytest.approx(0.9, abs=0.02)
    count = len(seen)
    view.plots(0)[0].setXRange(0.0, 1.0, padding=0)
    start, end = _in_viewport(view, 0, 0.8, 0.5), _in_viewport(view, 0, 0.2, 0.5)
    _press_drag_release(view, [start, (start + end) / 2, end], Qt.KeyboardModifier.ShiftModifier)
    assert len(seen) == count
    assert view.plots(0)[0].viewRange()[0][0] > 0.3  # dragged right to left: later times come in


def test_set_cursor_draws_one_line_across_every_section_and_emits_nothing(view: TimelineView) -> None:
    view.set_runs([_run("threads", [Span(1, 0, "thread 1", "running", 0.0, 2.0)]),
                   _run("processes", [Span(1, 0, "process 1", "io_wait", 0.0, 1.0)])])
    ink = view.palette().color(view.foregroundRole()).name()
    before = [_count(_plot_image(view, i, lag), ink, 40) for i in (0, 1) for lag in (False, True)]
    seen: list[float] = []
    view.cursor_moved.connect(seen.append)
    view.set_cursor(1.5)
    after = [_count(_plot_image(view, i, lag), ink, 40) for i in (0, 1) for lag in (False, True)]
    assert all(a > b + 15 for a, b in zip(after, before, strict=True)), (before, after)
    assert not seen and view.cursor_time == 1.5
    view.set_cursor(None)
    cleared = [_count(_plot_image(view, i, lag), ink, 40) for i in (0, 1) for lag in (False, True)]
    assert cleared == before
