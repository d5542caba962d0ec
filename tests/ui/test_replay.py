"""Replay: the cursor moves at the chosen speed, the timeline shows only what happened before it."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from PySide6.QtGui import QColor, QImage

from conclab.model.errors import ConclabError
from conclab.model.run import ModelRun, TaskOutcome
from conclab.model.trace import Span
from conclab.ui.palette import STATE_HEX
from conclab.ui.timeline.replay_panel import SPEEDS, ReplayPanel
from conclab.ui.timeline.timeline_view import TimelineView


def _run(model: str, spans: list[Span], lag: list[tuple[float, float]] | None = None) -> ModelRun:
    tasks = [TaskOutcome(t, f"job{t}", "done") for t in sorted({s.task for s in spans})]
    return ModelRun(model, 2, {}, tasks, spans, lag or [])


LONG = _run("threads", [Span(0, 0, "thread 1", "running", 0.0, 2.0),
                        Span(1, 0, "thread 2", "io_wait", 1.2, 2.0)], [(0.5, 0.001), (1.5, 0.002)])
SHORT = _run("asyncio", [Span(0, 0, "task 0", "io_wait", 0.0, 0.15),
                         Span(0, 1, "task 0", "ready_wait", 0.15, 0.2)])


@pytest.fixture
def timeline(qtbot) -> Iterator[TimelineView]:  # type: ignore[no-untyped-def]
    view = TimelineView()
    qtbot.addWidget(view)
    view.resize(900, 500)
    view.show()
    qtbot.waitExposed(view)
    yield view
    view.close()


def _panel(qtbot, timeline: TimelineView, runs: list[ModelRun]) -> ReplayPanel:  # type: ignore[no-untyped-def]
    panel = ReplayPanel(timeline, runs)
    qtbot.addWidget(panel)
    return panel


def _count(view: TimelineView, hex_color: str, qtbot) -> int:  # type: ignore[no-untyped-def]
    qtbot.wait(120)  # the live view repaints on its ~30 Hz timer
    img = view.graphics.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    arr = np.frombuffer(img.constBits(), dtype=np.uint8).reshape(img.height(), img.bytesPerLine())
    arr = arr[:, : img.width() * 4].astype(int)
    c = QColor(hex_color)
    near = [abs(arr[:, i::4] - v) <= 6 for i, v in ((2, c.red()), (1, c.green()), (0, c.blue()))]
    hit = near[0] & near[1] & near[2]
    return int(hit.sum())


def test_quarter_speed_moves_the_cursor_a_quarter_of_real_time(qtbot, timeline: TimelineView) -> None:  # type: ignore[no-untyped-def]
    panel = _panel(qtbot, timeline, [LONG])
    panel.set_speed(0.25)
    seen: list[float] = []
    panel.position_changed.connect(seen.append)
    panel.play()
    qtbot.wait(1000)
    pos = panel.position()
    panel.pause()
    assert 0.25 * 0.6 < pos < 0.25 * 1.8, pos
    assert seen and max(seen) <= pos + 1e-9
    assert len(seen) >= 5  # it animates, not jumps
    assert timeline.is_live
    paused_at = panel.position()
    qtbot.wait(200)
    assert panel.position() == paused_at


def test_spans_are_clipped_to_the_cursor(qtbot, timeline: TimelineView) -> None:  # type: ignore[no-untyped-def]
    panel = _panel(qtbot, timeline, [LONG])
    panel.seek(0.6)
    assert _count(timeline, STATE_HEX["running"], qtbot) > 100
    assert _count(timeline, STATE_HEX["io_wait"], qtbot) == 0
    panel.seek(1.8)
    assert _count(timeline, STATE_HEX["io_wait"], qtbot) > 100
    panel.seek(0.3)  # backwards: rebuilt without the later span
    assert _count(timeline, STATE_HEX["io_wait"], qtbot) == 0
    assert panel.scrubber.value() == round(panel.scrubber.maximum() * 0.3 / panel.duration())


def test_runs_play_one_after_another_and_finish_complete(qtbot, timeline: TimelineView) -> None:  # type: ignore[no-untyped-def]
    panel = _panel(qtbot, timeline, [SHORT, LONG])
    assert panel.duration() == pytest.approx(2.2)
    panel.seek(0.1)
    assert timeline.section_count() == 1 and timeline.is_live
    panel.seek(1.0)
    assert timeline.section_count() == 2 and timeline.is_live
    qtbot.wait(120)  # titles are written on the next repaint
    assert "asyncio" in timeline.legend_text(0) and "threads" in timeline.legend_text(1)
    panel.finish()
    assert timeline.section_count() == 2 and not timeline.is_live
    panel.seek(0.05)
    assert timeline.section_count() == 1


def test_reaching_the_end_stops_and_reports(qtbot, timeline: TimelineView) -> None:  # type: ignore[no-untyped-def]
    panel = _panel(qtbot, timeline, [SHORT])
    with qtbot.waitSignal(panel.replay_finished, timeout=5000):
        panel.play()
    assert not panel.is_playing()
    assert panel.position() == pytest.approx(panel.duration())
    assert not timeline.is_live and timeline.section_count() == 1
    panel.play()  # from the end, play starts over
    assert panel.position() < 0.1
    panel.pause()


def test_controls_drive_the_replay(qtbot, timeline: TimelineView) -> None:  # type: ignore[no-untyped-def]
    panel = _panel(qtbot, timeline, [LONG])
    panel.speed_box.setCurrentIndex(SPEEDS.index(0.5))
    assert panel.speed() == 0.5
    panel.scrubber.setValue(panel.scrubber.maximum() // 2)
    assert panel.position() == pytest.approx(1.0, abs=1e-3)
    panel.play_button.click()
    assert panel.is_playing()
    panel.play_button.click()
    assert not panel.is_playing()
    panel.set_speed(0.1)
    assert panel.speed_box.currentText() == "0.1x"


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf"), "fast", True])
def test_bad_speed_is_a_clear_error(qtbot, timeline: TimelineView, bad: object) -> None:  # type: ignore[no-untyped-def]
    panel = _panel(qtbot, timeline, [LONG])
    with pytest.raises(ConclabError, match="speed"):
        panel.set_speed(bad)  # type: ignore[arg-type]
    with pytest.raises(ConclabError, match="position"):
        panel.seek(float("nan"))
    assert panel.speed() == 1.0


def test_empty_replay_does_nothing(qtbot, timeline: TimelineView) -> None:  # type: ignore[no-untyped-def]
    panel = _panel(qtbot, timeline, [])
    panel.play()
    assert not panel.is_playing() and panel.duration() == 0.0 and timeline.section_count() == 0


def _tall(model: str, lanes: int, length: float) -> ModelRun:
    return _run(model, [Span(i, 0, f"thread {i + 1}", "running", 0.0, length) for i in range(lanes)])


def test_replay_scrolls_the_run_it_plays_into_view(qtbot, timeline: TimelineView) -> None:  # type: ignore[no-untyped-def]
    runs = [_tall("sequential", 12, 0.5), _tall("threads", 12, 0.5), _tall("processes", 12, 0.5)]
    panel = _panel(qtbot, timeline, runs)
    panel.seek(1.2)  # in the third run
    qtbot.waitUntil(lambda: timeline.section_count() == 3 and timeline.section_visible(2), timeout=2000)
    value, maximum = timeline.scroll_position()
    assert maximum > 0 and value > 0, "three runs of twelve lanes do not fit 500 px: the view scrolls"
    assert "replaying…" in timeline.legend_text(2)
    panel.seek(0.2)  # back in the first
    qtbot.waitUntil(lambda: timeline.section_visible(0), timeout=2000)


def test_replay_keeps_one_time_axis_as_long_as_the_longest_run(qtbot, timeline: TimelineView) -> None:  # type: ignore[no-untyped-def]
    panel = _panel(qtbot, timeline, [SHORT, LONG])
    panel.seek(0.1)
    qtbot.wait(120)
    lo, hi = timeline.plots(0)[0].viewRange()[0]
    assert lo == 0.0 and 2.0 <= hi < 2.3, (lo, hi)
    panel.finish()
    qtbot.wait(120)
    for index in (0, 1):
        lo, hi = timeline.plots(index)[0].viewRange()[0]
        assert lo == 0.0 and 2.0 <= hi < 2.3, (index, lo, hi)
