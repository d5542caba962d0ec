"""The timeline model without Qt: sections fed by LiveFrames (live, whole runs and replay alike), lane rows
from lane kinds, the derived event-loop row, legends by measured cause, titles, queue depth, observers,
and the span store and layer the bar item draws from."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from conclab.engines.recorder import Recorder
from conclab.model.live import LiveFrame
from conclab.model.run import ModelRun, TaskOutcome
from conclab.model.trace import STATES, Cause, LaneKind, Span
from conclab.ui.timeline.replay_feed import ReplayFeed
from conclab.ui.timeline.span_layer import SpanLayer
from conclab.ui.timeline.span_store import ROW_PAD, SpanStore
from conclab.ui.timeline.timeline_model import Change, TimelineModel

TASK, WORKER, QUEUE, OFFLOAD = LaneKind.TASK, LaneKind.WORKER, LaneKind.QUEUE, LaneKind.OFFLOAD


def _run(model: str, spans: list[Span], lanes: dict[str, LaneKind], lag: list[tuple[float, float]] | None = None,
         label: str = "") -> ModelRun:
    tasks = [TaskOutcome(t, f"job {t}", "done") for t in sorted({s.task for s in spans})]
    return ModelRun(model, 2, {}, tasks, spans, lag or [], lanes, {}, label)


def _frame(now: float, spans: list[Span] | None = None, opened: list[tuple[int, Span | None]] | None = None,
           lanes: dict[str, LaneKind] | None = None, lag: list[tuple[float, float]] | None = None) -> LiveFrame:
    return LiveFrame(0, now, 0, spans or [], opened or [], lag or [], lanes or {})


def test_the_model_modules_import_no_qt() -> None:
    code = ("import sys; import conclab.ui.timeline.timeline_model, conclab.ui.timeline.replay_feed, "
            "conclab.ui.timeline.timeline_layout; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'qasync', 'shiboken6')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_rows_come_from_lane_kinds_and_keep_their_spans_when_a_queue_arrives_late() -> None:
    model = TimelineModel()
    section = model.begin_run("threads")
    section.apply(_frame(0.2, [Span(0, 0, "worker a", "running", 0.0, 0.1)], lanes={"worker a": WORKER}))
    section.apply(_frame(0.3, [Span(1, -1, "waiting room", "queued", 0.0, 0.2)], lanes={"waiting room": QUEUE},
                         opened=[(5, Span(2, 0, "worker a", "io_wait", 0.1, 0.1))]))
    assert section.lanes.labels == ["queue (max 1)", "worker a"]  # a queue by kind, whatever its name
    assert section.span_at(0.05, 1, 0.0) == (Span(0, 0, "worker a", "running", 0.0, 0.1), False)
    assert section.span_at(0.25, 1, 0.0) == (Span(2, 0, "worker a", "io_wait", 0.1, 0.1), True)
    assert section.span_at(0.1, 0, 0.0) == (Span(1, -1, "waiting room", "queued", 0.0, 0.2), False)


def test_the_event_loop_row_shows_whoever_holds_the_loop_on_task_lanes_only() -> None:
    model = TimelineModel()
    section = model.begin_run("asyncio", names={0: "fetch 1", 1: "crunch"})
    lanes = {"fetch 1": TASK, "crunch": TASK, "offload 1": OFFLOAD}
    section.apply(_frame(0.5, [Span(0, 0, "fetch 1", "running", 0.0, 0.1), Span(1, 0, "offload 1", "running", 0.1, 0.2),
                               Span(1, 1, "crunch", "io_wait", 0.2, 0.3)], lanes=lanes,
                         opened=[(3, Span(1, 2, "crunch", "blocking", 0.4, 0.4))]))
    assert section.lanes.labels == ["event loop", "fetch 1", "crunch", "offload 1"]
    assert section.span_at(0.05, 0, 0.0) == (Span(0, 0, "fetch 1", "running", 0.0, 0.1), False)
    assert section.span_at(0.15, 0, 0.0) is None and section.span_at(0.25, 0, 0.0) is None
    assert section.span_at(0.45, 0, 0.0) == (Span(1, 2, "crunch", "blocking", 0.4, 0.4), True)
    section.apply(_frame(0.6, opened=[(3, Span(1, 3, "crunch", "io_wait", 0.5, 0.5))]))
    assert section.span_at(0.55, 0, 0.0) is None  # waiting does not hold the loop
    assert section.describe(Span(1, 2, "crunch", "blocking", 0.4, 0.5), False).splitlines()[0] == "crunch — step 3"


def test_the_legend_names_each_cause_measured_and_nothing_else() -> None:
    spans = [Span(0, 0, "t1", "ready_wait", 0.0, 0.1, Cause.GIL), Span(1, 0, "t2", "ready_wait", 0.0, 0.1, Cause.CORE),
             Span(1, 1, "t2", "ready_wait", 0.1, 0.2), Span(0, 1, "t1", "running", 0.1, 0.2)]
    model = TimelineModel()
    model.set_runs([_run("threads", spans, {"t1": WORKER, "t2": WORKER})])
    words = [w for _, w in model.sections[0].legend()]
    assert words == ["running — executing code on a core", "ready — waiting for the GIL",
                     "ready — waiting for a free core", "ready — waiting for the GIL or a core"]


def test_observers_hear_of_every_change_and_a_finished_run_replaces_its_live_section() -> None:
    model = TimelineModel()
    heard: list[tuple[Change, int]] = []
    model.subscribe(lambda change, index: heard.append((change, index)))
    model.set_runs([_run("sequential", [Span(0, 0, "w", "running", 0.0, 2.0)], {"w": WORKER})])
    live = model.begin_run("threads", "threads · Python 3.13.0")
    model.apply(_frame(0.5, [Span(0, 0, "thread 1", "running", 0.0, 0.4)], lanes={"thread 1": WORKER}))
    assert model.axis_end() == 2.0 and live.t_end() == 0.5
    final = _run("threads", [Span(0, 0, "thread 1", "running", 0.0, 0.9)], {"thread 1": WORKER}, label="threads")
    model.end_run(final)
    assert heard == [(Change.RESET, -1), (Change.ADDED, 1), (Change.UPDATED, 1), (Change.REPLACED, 1)]
    assert model.live is None and model.sections[1].run is final and model.sections[1].title == "threads"
    model.apply(_frame(0.7))  # a late frame after the end changes nothing
    assert len(heard) == 4


def test_a_replay_is_made_of_frames_and_ends_where_the_recorded_runs_are() -> None:
    first = _run("asyncio", [Span(0, 0, "fetch 1", "io_wait", 0.0, 0.3), Span(0, 1, "fetch 1", "running", 0.3, 0.4)],
                 {"fetch 1": TASK}, lag=[(0.1, 0.001), (0.35, 0.002)])
    second = _run("threads", [Span(0, -1, "queue", "queued", 0.0, 0.2), Span(0, 0, "thread 1", "running", 0.2, 1.0)],
                  {"thread 1": WORKER, "queue": QUEUE})
    played, whole = TimelineModel(), TimelineModel()
    whole.set_runs([first, second])
    feed = ReplayFeed(played, [first, second])
    assert feed.duration == pytest.approx(1.4)
    feed.show(0.34)
    section = played.sections[0]
    assert section.live and [s.state for s in section.spans] == ["io_wait"] and len(section.lag) == 1
    assert section.span_at(0.32, 1, 0.0) == (first.spans[1], True)
    feed.show(0.5)  # into the second run: the first is finished as recorded
    assert [s.live for s in played.sections] == [False, True] and played.sections[0].run is first
    assert played.axis_end() == pytest.approx(1.0)  # the axis is as long as the longest run from the start
    feed.show(0.2)  # backwards: rebuilt
    assert len(played.sections) == 1 and [s.state for s in played.sections[0].spans] == []
    feed.show(5.0)
    for a, b in zip(played.sections, whole.sections, strict=True):
        assert (a.lanes.labels, a.spans, a.t_end(), a.title) == (b.lanes.labels, b.spans, b.t_end(), b.title)


def test_ten_thousand_waits_in_progress_from_a_recorder_merge_into_one_bar_per_row() -> None:
    rec = Recorder()
    rec.start()
    lanes = [rec.lane(f"task {t}") for t in range(10_000)]
    for t, lane in enumerate(lanes):
        lane.open = (t, 0, "io_wait", rec.origin + t * 1e-5)
    model = TimelineModel(max_rows=64)
    section = model.begin_run("asyncio", lanes=rec.lane_kinds())
    model.apply(LiveFrame(0, 0.5, 0, rec.drain(), [(c.key, c.span) for c in rec.open_changes(0.5)], []))
    labels = section.lanes.labels
    assert len(labels) == 66 and labels[-1] == f"+{10_000 - 64} more lanes"
    bars = section.layer.frame(0.0, 0.6, 0.001).rects[STATES.index("io_wait")]
    assert len(bars) <= len(labels)  # one bar per row, not one per wait
    folded = bars[np.isclose(bars[:, 1], len(labels) - 1 + ROW_PAD)]
    assert len(folded) == 1 and folded[0, 0] + folded[0, 2] == pytest.approx(0.5)
    for t in range(0, 10_000, 2):  # half the waits end
        lanes[t].add(t, 0, "io_wait", lanes[t].open[3], rec.origin + 0.6)  # type: ignore[index]
        lanes[t].open = None
    model.apply(LiveFrame(0, 0.8, 0, rec.drain(), [(c.key, c.span) for c in rec.open_changes(0.8)], []))
    assert len(section.spans) == 5_000 and len(section.layer.opened) == 5_000
    found = section.span_at(0.75, len(labels) - 1, 0.0)
    assert found is not None and found[1] and found[0].task % 2 == 1


def test_span_store_culls_merges_and_appends() -> None:
    store = SpanStore()
    n = 200_000
    t0 = np.linspace(0.0, 10.0, n)
    store.append(np.zeros(n, np.int32), np.ones(n, np.int8), t0, t0 + 1e-5, np.arange(n))
    store.append([1], [0], [-5.0], [20.0], [n])  # a long span starting far left of any view
    frame = store.frame(4.0, 5.0, 0.01, 2)
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
    store.remap_rows(np.array([3, 4], np.int32))
    assert store.hit(11.2, 3) == n + 1 and store.hit(3.0, 4) == n and store.hit(11.2, 0) == -1


def test_spans_in_progress_merge_per_row_and_state_and_free_their_slots() -> None:
    layer = SpanLayer()
    layer.now = 1.0
    starts = [(0, 2, 0.5), (0, 2, 0.2), (0, 2, 0.9), (0, 1, 0.4), (1, 2, 0.3), (0, 2, 1.5)]
    layer.opened.apply(range(6), [Span(k, 0, "x", STATES[s], t, t) for k, (_, s, t) in enumerate(starts)],
                       [row for row, _, _ in starts])
    rects = layer.frame(0.0, 2.0, 0.01).rects
    assert sorted(map(tuple, np.round(rects[2], 9))) == [(0.2, ROW_PAD, 0.8, 1 - 2 * ROW_PAD),
                                                         (0.3, 1 + ROW_PAD, 0.7, 1 - 2 * ROW_PAD),
                                                         (1.5, ROW_PAD, 0.01, 1 - 2 * ROW_PAD)]
    assert [tuple(r) for r in np.round(rects[1], 9)] == [(0.4, ROW_PAD, 0.6, 1 - 2 * ROW_PAD)]
    assert layer.hit_open(0.95, 0) is not None and layer.hit_open(0.95, 2) is None
    layer.opened.apply([*range(6), 9], [None] * 6 + [Span(9, 0, "x", "running", 0.0, 0.0)], [-1] * 6 + [0])
    assert len(layer.opened) == 1 and len(layer.opened.spans) == 6  # a freed slot was reused
