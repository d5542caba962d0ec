"""Timeline view: state colours render, hover finds the right span, live appends and spans in progress
(whole or incremental), throttling, folding."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt, QTimer
from PySide6.QtGui import QColor, QImage, QMouseEvent, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from conclab.engines.recorder import Recorder
from conclab.model.run import ModelRun, TaskOutcome
from conclab.model.trace import STATES, Span, state_label
from conclab.ui.palette import STATE_HEX
from conclab.ui.timeline.span_item import SpanItem, SpanStore
from conclab.ui.timeline.timeline_view import TimelineView


@pytest.fixture
def view(qtbot) -> Iterator[TimelineView]:  # type: ignore[no-untyped-def]
    widget = TimelineView()
    qtbot.addWidget(widget)
    widget.resize(1000, 700)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    widget.close()


def _run(model: str, spans: list[Span], lag: list[tuple[float, float]] | None = None) -> ModelRun:
    tasks = sorted({s.task for s in spans})
    return ModelRun(model, 2, {}, [TaskOutcome(t, f"job{t}", "done") for t in tasks], spans, lag or [])


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
             Span(2, 0, "thread 2", "ready_wait", 0.1, 0.3)]
    view.set_runs([_run("threads", spans)])
    labels = view.lane_labels(0)
    row1, row2 = labels.index("thread 1"), labels.index("thread 2")
    assert view.span_at(_to_widget(view, 0, 0.35, row1 + 0.5)) == spans[1]
    assert view.span_at(_to_widget(view, 0, 0.05, row1 + 0.5)) == spans[0]
    assert view.span_at(_to_widget(view, 0, 0.2, row2 + 0.5)) == spans[2]
    assert view.span_at(_to_widget(view, 0, 0.45, row2 + 0.5)) is None
    text = view.tooltip_at(_to_widget(view, 0, 0.35, row1 + 0.5))
    assert "job1" in text and "step 2" in text
    assert state_label("io_wait", "threads") in text
    assert "start 200.0 ms" in text and "duration 300.0 ms" in text


def test_asyncio_gets_a_derived_event_loop_lane(view: TimelineView) -> None:
    spans = [Span(1, 0, "task 1", "running", 0.0, 0.1), Span(2, 0, "task 2", "blocking", 0.1, 0.3),
             Span(1, 1, "task 1", "io_wait", 0.1, 0.4), Span(3, 0, "offload thread 1", "running", 0.3, 0.4)]
    view.set_runs([_run("asyncio", spans)])
    labels = view.lane_labels(0)
    assert labels[0] == "event loop"
    assert labels.index("offload thread 1") > labels.index("task 2")
    assert view.span_at(_to_widget(view, 0, 0.2, 0.5)) == spans[1]
    assert view.span_at(_to_widget(view, 0, 0.05, 0.5)) == spans[0]
    # the loop is idle while only an offload thread works
    assert view.span_at(_to_widget(view, 0, 0.36, 0.5)) is None


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


def test_queue_lane_shows_depth_and_hover_finds_queued_span(view: TimelineView) -> None:
    spans = [Span(i, -1, "queue", "queued", 0.0, 0.1 * (i + 1)) for i in range(4)]
    spans.append(Span(0, 0, "thread 1", "running", 0.1, 0.5))
    view.set_runs([_run("threads", spans)])
    labels = view.lane_labels(0)
    assert labels[0] == "queue (max 4)"
    found = view.span_at(_to_widget(view, 0, 0.35, 0.5))
    assert found is not None and found.state == "queued" and found.t1 >= 0.35
    assert _count(_plot_image(view), STATE_HEX["queued"]) > 100


def test_lag_lane_marks_freezes(view: TimelineView) -> None:
    lag = [(0.01 * i, 0.002) for i in range(100)]
    lag[50] = (0.5, 0.3)
    view.set_runs([_run("asyncio", [Span(1, 0, "task 1", "blocking", 0.2, 0.5)], lag)])
    assert "frozen" in view.legend_text(0)
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


def test_live_appends_and_open_spans_grow_the_drawing(view: TimelineView, qtbot) -> None:  # type: ignore[no-untyped-def]
    view.begin_live("threads", ["thread 1", "thread 2"])
    view.set_now(1.0)
    view.append_spans([Span(1, 0, "thread 1", "running", 0.0, 0.2)])
    qtbot.waitUntil(lambda: view.redraw_count > 0)
    qtbot.wait(80)
    first = _count(_plot_image(view), STATE_HEX["running"])
    view.append_spans([Span(1, 1, "thread 1", "running", 0.4, 0.6)])
    qtbot.wait(80)
    second = _count(_plot_image(view), STATE_HEX["running"])
    assert second > first * 1.5
    view.set_open_spans([Span(2, 0, "thread 2", "io_wait", 0.5, 0.5)])
    view.set_now(0.7)
    qtbot.wait(80)
    short = _count(_plot_image(view), STATE_HEX["io_wait"])
    view.set_now(0.95)
    qtbot.wait(80)
    longer = _count(_plot_image(view), STATE_HEX["io_wait"])
    assert short > 0 and longer > short * 1.5
    row2 = view.lane_labels(0).index("thread 2")
    assert view.span_at(_to_widget(view, 0, 0.8, row2 + 0.5)) == Span(2, 0, "thread 2", "io_wait", 0.5, 0.5)
    # a lane nobody announced gets a row of its own
    view.append_spans([Span(3, 0, "thread 3", "blocking", 0.1, 0.3)])
    qtbot.wait(80)
    assert "thread 3" in view.lane_labels(0)


def test_throttle_coalesces_many_appends(view: TimelineView, qtbot) -> None:  # type: ignore[no-untyped-def]
    view.begin_live("threads")
    before = view.redraw_count
    for i in range(500):
        view.append_spans([Span(i, 0, f"thread {i % 4 + 1}", "running", i * 0.001, i * 0.001 + 0.0005)])
        view.append_lag([(i * 0.001, 0.001)])
        view.set_now(i * 0.001)
    qtbot.wait(150)
    redraws = view.redraw_count - before
    assert 0 < redraws <= 10
    assert view.lane_labels(0) == ["thread 1", "thread 2", "thread 3", "thread 4"]
    # once nothing changes the frame timer stops
    qtbot.waitUntil(lambda: not any(t.isActive() for t in view.findChildren(QTimer)), timeout=1000)


def _wheel(view: TimelineView, index: int) -> None:
    target = view.graphics.viewport()
    vb = view.plots(index)[0].getViewBox()
    pos = QPointF(view.graphics.mapFromScene(vb.sceneBoundingRect().center()))
    event = QWheelEvent(pos, QPointF(target.mapToGlobal(pos.toPoint())), QPoint(0, 0), QPoint(0, 120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
                        False)
    QApplication.sendEvent(target, event)


def test_follow_mode_stops_on_user_zoom_and_fit_resumes_it(view: TimelineView, qtbot) -> None:  # type: ignore[no-untyped-def]
    view.begin_live("threads", ["thread 1"])
    view.append_spans([Span(1, 0, "thread 1", "running", 0.0, 1.5)])
    view.set_now(2.0)
    qtbot.wait(80)
    assert view.following
    assert view.plots(0)[0].viewRange()[0][1] >= 2.0
    _wheel(view, 0)
    assert not view.following
    zoomed = view.plots(0)[0].viewRange()[0]
    view.set_now(4.0)
    qtbot.wait(80)
    assert view.plots(0)[0].viewRange()[0] == pytest.approx(zoomed)
    view.fit_action.trigger()
    assert view.following
    view.set_now(6.0)
    qtbot.wait(80)
    assert view.plots(0)[0].viewRange()[0][1] >= 6.0
    assert view.fit_action.shortcut().toString() == "Ctrl+0"


def test_end_live_replaces_the_live_section(view: TimelineView, qtbot) -> None:  # type: ignore[no-untyped-def]
    view.set_runs([_run("sequential", [Span(1, 0, "thread 1", "running", 0.0, 1.0)])])
    view.begin_live("threads", ["thread 1"])
    view.append_spans([Span(1, 0, "thread 1", "running", 0.0, 0.3)])
    qtbot.wait(60)
    assert view.section_count() == 2 and view.is_live
    final = _run("threads", [Span(1, 0, "thread 1", "running", 0.0, 0.6),
                             Span(2, 0, "thread 2", "io_wait", 0.0, 1.0)])
    view.end_live(final)
    assert not view.is_live and view.section_count() == 2
    assert view.lane_labels(1) == ["thread 1", "thread 2"]
    assert "running…" not in view.legend_text(1)


def test_many_lanes_are_folded_into_one_row(view: TimelineView) -> None:
    spans = [Span(i, 0, f"task {i}", "io_wait", i * 1e-5, 0.5) for i in range(10_000)]
    view.set_runs([_run("asyncio", spans)])
    labels = view.lane_labels(0)
    assert len(labels) <= view.max_rows + 2
    assert labels[-1] == f"+{10_000 - view.max_rows} more lanes"
    assert len(view.graphics.scene().items()) < 300
    last = len(labels) - 1
    found = view.span_at(_to_widget(view, 0, 0.3, last + 0.5))
    assert found is not None and int(found.worker.split()[1]) >= view.max_rows


def test_bad_input_draws_nothing_instead_of_crashing(view: TimelineView) -> None:
    view.set_runs([])
    assert view.section_count() == 0
    view.fit()
    odd = [Span(1, 0, "thread 1", "mystery", 0.0, 0.1), Span(1, 1, "thread 1", "running", 0.3, 0.2)]
    view.set_runs([_run("threads", odd)])
    _plot_image(view)
    view.append_spans([Span(1, 0, "x", "running", 0, 1)])  # no live run: ignored
    view.set_now(float("nan"))
    assert view.section_count() == 1


def test_no_timer_left_running_after_close(qtbot) -> None:  # type: ignore[no-untyped-def]
    widget = TimelineView()
    qtbot.addWidget(widget)
    widget.show()
    widget.begin_live("asyncio")
    widget.append_spans([Span(1, 0, "task 1", "running", 0.0, 0.1)])
    timers = widget.findChildren(QTimer)
    assert any(t.isActive() for t in timers)
    widget.close()
    assert not any(t.isActive() for t in timers)
    widget.deleteLater()
    qtbot.wait(10)


def test_span_store_culls_merges_and_appends() -> None:
    store = SpanStore()
    n = 200_000
    t0 = np.linspace(0.0, 10.0, n)
    store.append(np.zeros(n, np.int32), np.ones(n, np.int8), t0, t0 + 1e-5, np.arange(n))
    store.append([1], [0], [-5.0], [20.0], [n])  # a long span starting far left of any view
    px = 0.01
    frame = store.frame(4.0, 5.0, px, 2)
    lit = np.nonzero(frame.raster[0])[0]
    assert 95 <= lit.size <= 102  # ~100 pixel columns lit, not ~20,000 spans drawn
    assert set(frame.raster[0][lit]) == {2}  # state index 1, stored as 1 + index
    assert not frame.raster[1].any()
    assert sum(len(r) for r in frame.rects) == 1 and frame.rects[0][0, 0] == -5.0
    for _ in range(40):
        store.append([0], [2], [11.0], [11.5], [n + 1])
        store.flush()
        assert store.block_count <= 8  # small appended blocks keep merging
    assert store.hit(11.2, 0) == n + 1 and store.hit(3.0, 1) == n and store.hit(30.0, 0) == -1


def test_sub_pixel_spans_are_drawn_merged(view: TimelineView) -> None:
    n = 50_000
    spans = [Span(i, 0, "thread 1", "running" if i % 2 else "ready_wait", i * 2e-5, i * 2e-5 + 1e-5)
             for i in range(n)]
    view.set_runs([_run("threads", spans)])
    image = _plot_image(view)
    assert _count(image, STATE_HEX["running"]) + _count(image, STATE_HEX["ready_wait"]) > 2000
    assert view.plots(0)[0].items[0].paint_count >= 1


def test_incremental_open_spans_grow_to_now_end_and_hover(view: TimelineView, qtbot) -> None:  # type: ignore[no-untyped-def]
    view.begin_live("threads", ["thread 1", "thread 2"])
    wait = Span(1, 0, "thread 1", "io_wait", 0.2, 0.2)
    view.update_open_spans([(10, wait), (11, Span(2, 0, "thread 2", "running", 0.1, 0.1))])
    view.set_now(0.3)  # the view follows from 0 to at least 0.5 s
    qtbot.wait(80)
    short = _count(_plot_image(view), STATE_HEX["io_wait"])
    view.set_now(0.9)
    qtbot.wait(80)
    longer = _count(_plot_image(view), STATE_HEX["io_wait"])
    assert short > 0 and longer > short * 2
    row1 = view.lane_labels(0).index("thread 1")
    assert view.span_at(_to_widget(view, 0, 0.85, row1 + 0.5)) == wait
    assert "duration now" in view.tooltip_at(_to_widget(view, 0, 0.85, row1 + 0.5))
    running = _count(_plot_image(view), STATE_HEX["running"])
    view.update_open_spans([(11, None)])  # only thread 2's span ended; thread 1's keeps growing
    view.append_spans([Span(2, 0, "thread 2", "running", 0.1, 0.6)])
    view.set_now(1.4)
    qtbot.wait(80)
    image = _plot_image(view)
    assert 0 < _count(image, STATE_HEX["running"]) < running
    assert _count(image, STATE_HEX["io_wait"]) > longer
    assert view.span_at(_to_widget(view, 0, 1.3, row1 + 0.5)) == wait
    # a full replacement drops everything the incremental calls left in progress
    view.set_open_spans([])
    qtbot.wait(80)
    assert _count(_plot_image(view), STATE_HEX["io_wait"]) == 0
    assert view.span_at(_to_widget(view, 0, 1.3, row1 + 0.5)) is None


def test_ten_thousand_waits_from_a_recorder_draw_as_one_bar_reaching_now(view: TimelineView, qtbot) -> None:  # type: ignore[no-untyped-def]
    rec = Recorder()
    rec.start()
    lanes = [rec.lane(f"task {t}") for t in range(10_000)]
    for t, lane in enumerate(lanes):
        lane.open = (t, 0, "io_wait", rec.origin + t * 1e-5)
    view.begin_live("asyncio")
    view.update_open_spans(rec.open_changes(0.5))
    view.set_now(0.5)
    qtbot.wait(80)
    labels = view.lane_labels(0)
    fold = len(labels) - 1
    assert labels[fold] == f"+{10_000 - view.max_rows} more lanes"
    item = view.plots(0)[0].items[0]
    frame = item.frame_for(0.0, 0.6, 0.001)
    bars = frame.rects[STATES.index("io_wait")]
    assert len(bars) <= len(labels)  # one bar per row, not one per wait
    folded = bars[np.isclose(bars[:, 1], fold + 0.12)]
    assert len(folded) == 1
    assert folded[0, 0] == pytest.approx(view.max_rows * 1e-5) and folded[0, 0] + folded[0, 2] == pytest.approx(0.5)
    # half the waits end: their spans are drained, the rest keep growing to the new "now"
    for t in range(0, 10_000, 2):
        lanes[t].add(t, 0, "io_wait", lanes[t].open[3], rec.origin + 0.6)  # type: ignore[index]
        lanes[t].open = None
    changes = rec.open_changes(0.8)
    assert len(changes) == 5_000
    view.append_spans(rec.drain())
    view.update_open_spans(changes)
    view.set_now(0.8)
    qtbot.wait(80)
    bars = item.frame_for(0.0, 1.0, 0.001).rects[STATES.index("io_wait")]
    assert float((bars[:, 0] + bars[:, 2]).max()) == pytest.approx(0.8)
    found = view.span_at(_to_widget(view, 0, 0.75, fold + 0.5))
    assert found is not None and found.task % 2 == 1 and found.task >= view.max_rows


def test_live_axis_and_legend_follow_new_lanes_and_states(view: TimelineView, qtbot) -> None:  # type: ignore[no-untyped-def]
    view.begin_live("threads")
    view.append_spans([Span(1, 0, "thread 1", "running", 0.0, 0.2)])
    view.set_now(0.3)
    qtbot.waitUntil(lambda: view.redraw_count > 0)
    qtbot.wait(80)
    axis = view.plots(0)[0].getAxis("left")
    assert state_label("io_wait", "threads") not in view.legend_text(0)
    for _ in range(3):  # frames with nothing new
        view.set_now(0.35)
        qtbot.wait(50)
    view.append_spans([Span(2, 0, "thread 2", "io_wait", 0.1, 0.3)])
    view.set_now(0.4)
    qtbot.wait(80)
    assert state_label("io_wait", "threads") in view.legend_text(0)
    assert "running…" in view.legend_text(0)
    ticks = [label for _, label in axis._tickLevels[0]]  # what the axis was last told to show
    assert ticks == ["thread 1", "thread 2"]
    assert view.plots(0)[0].viewRange()[1] == pytest.approx([0, 2])


def test_open_rects_merge_per_row_and_state() -> None:
    item = SpanItem()
    item.set_now(1.0)
    # three waits on row 0, a running span on row 0, a wait on row 1, and a wait stamped after "now"
    item.set_open([0, 0, 0, 0, 1, 0], [2, 2, 2, 1, 2, 2], [0.5, 0.2, 0.9, 0.4, 0.3, 1.5])
    rects = item.frame_for(0.0, 2.0, 0.01).rects
    waits = sorted(map(tuple, np.round(rects[2], 9)))
    pad = 0.12
    assert waits == [(0.2, pad, 0.8, 1 - 2 * pad), (0.3, 1 + pad, 0.7, 1 - 2 * pad),
                     (1.5, pad, 0.01, 1 - 2 * pad)]
    assert [tuple(r) for r in np.round(rects[1], 9)] == [(0.4, pad, 0.6, 1 - 2 * pad)]
    assert item.hit_open(0.95, 0) >= 0 and item.hit_open(0.95, 2) == -1


def test_set_open_spans_again_with_some_spans_gone_and_some_new(view: TimelineView, qtbot) -> None:  # type: ignore[no-untyped-def]
    view.begin_live("threads", ["thread 1", "thread 2", "thread 3"])
    a, b = Span(1, 0, "thread 1", "running", 0.1, 0.9), Span(2, 0, "thread 2", "io_wait", 0.2, 0.9)
    c = Span(3, 0, "thread 3", "ready_wait", 0.3, 0.9)
    view.set_open_spans([a, b])
    view.set_now(0.6)
    qtbot.wait(80)
    rows = {name: view.lane_labels(0).index(name) + 0.5 for name in ("thread 1", "thread 2", "thread 3")}
    assert view.span_at(_to_widget(view, 0, 0.5, rows["thread 1"])) == a
    assert view.span_at(_to_widget(view, 0, 0.5, rows["thread 2"])) == b
    view.set_open_spans([b, c])  # a ended, c began, b is the same object as before
    qtbot.wait(80)
    assert view.span_at(_to_widget(view, 0, 0.5, rows["thread 1"])) is None
    assert view.span_at(_to_widget(view, 0, 0.5, rows["thread 2"])) == b
    assert view.span_at(_to_widget(view, 0, 0.5, rows["thread 3"])) == c
    image = _plot_image(view)
    assert _count(image, STATE_HEX["running"]) == 0 and _count(image, STATE_HEX["ready_wait"]) > 0
    view.set_open_spans([Span(*b)])  # equal but a new object: still one bar, no leftovers
    qtbot.wait(80)
    assert view.span_at(_to_widget(view, 0, 0.5, rows["thread 3"])) is None
    assert view.span_at(_to_widget(view, 0, 0.5, rows["thread 2"])) == b


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
    _press_drag_release(view, [end, (start + end) / 2, start], Qt.KeyboardModifier.ShiftModifier)
    assert len(seen) == count
    assert view.plots(0)[0].viewRange()[0][0] > x_range[0] + 0.3  # dragged right to left: later times


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
