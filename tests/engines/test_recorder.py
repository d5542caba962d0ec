"""Recorder: drained spans arrive once with their cause, spans in progress and their changes, lane kinds,
no-trace merging."""

from __future__ import annotations

import threading

from hypothesis import given, settings
from hypothesis import strategies as st

from conclab.engines.recorder import Recorder
from conclab.model.trace import Cause, LaneKind, Span


def _recorder() -> Recorder:
    rec = Recorder()
    # Raw stamps below are absolute; spans come back relative to this. Offsets are binary fractions,
    # so the subtraction is exact and spans compare equal.
    rec.origin = 100.0
    return rec


def test_drain_returns_each_closed_span_once_relative_to_the_origin() -> None:
    rec = _recorder()
    a, b = rec.lane("task 1"), rec.lane("task 2")
    a.add(1, 0, "running", 100.5, 101.0)
    b.add(2, 0, "io_wait", 100.25, 100.75)
    first = rec.drain()
    assert sorted(first) == sorted([Span(1, 0, "task 1", "running", 0.5, 1.0),
                                    Span(2, 0, "task 2", "io_wait", 0.25, 0.75)])
    assert rec.drain() == []
    a.add(1, 1, "ready_wait", 101.0, 101.5)
    c = rec.lane("task 3")  # a lane that appears after a drain is read too
    c.add(3, 0, "running", 100.0, 100.125)
    second = rec.drain()
    assert sorted(second) == sorted([Span(1, 1, "task 1", "ready_wait", 1.0, 1.5),
                                     Span(3, 0, "task 3", "running", 0.0, 0.125)])
    assert rec.drain() == []
    assert sorted(rec.spans()) == sorted(first + second)


def test_drain_keeps_each_lanes_order() -> None:
    rec = _recorder()
    lane = rec.lane("thread 1")
    for i in range(50):
        lane.add(i, 0, "running", 100.0 + i, 100.5 + i)
    assert [s.task for s in rec.drain()] == list(range(50))


def test_drain_while_a_thread_writes_loses_and_repeats_nothing() -> None:
    rec = _recorder()
    lanes = [rec.new_lane("queue") for _ in range(3)]
    total = 30_000
    done = threading.Event()

    def write() -> None:
        for i in range(total):
            lanes[i % 3].add(i, 0, "queued", 100.0, 100.0 + i)
        done.set()

    writer = threading.Thread(target=write)
    writer.start()
    seen: list[int] = []
    while not done.is_set():
        seen.extend(s.task for s in rec.drain())
    writer.join()
    seen.extend(s.task for s in rec.drain())
    assert sorted(seen) == list(range(total))


def test_open_spans_reach_now() -> None:
    rec = _recorder()
    lane = rec.lane("task 1")
    rec.lane("task 2")  # nothing in progress there
    lane.open = (1, 0, "io_wait", 100.25)
    assert rec.open_spans(0.5) == [Span(1, 0, "task 1", "io_wait", 0.25, 0.5)]
    rec.start()
    live = rec.open_spans()
    assert len(live) == 1 and live[0].t1 >= 0.0 and live[0].t0 < 0.0


def test_open_changes_reports_only_what_changed() -> None:
    rec = _recorder()
    lanes = [rec.lane(f"task {i}") for i in range(5)]
    for i, lane in enumerate(lanes):
        lane.open = (i, 0, "io_wait", 100.0 + i / 8)
    first = rec.open_changes(1.0)
    assert [c.key for c in first] == [0, 1, 2, 3, 4]
    assert first[2].span == Span(2, 0, "task 2", "io_wait", 0.25, 1.0)
    assert rec.open_changes(1.1) == []  # nothing changed: nothing to report, however many are open
    lanes[1].open = None
    lanes[3].open = (3, 1, "running", 100.875)
    changes = {c.key: c.span for c in rec.open_changes(1.25)}
    assert changes == {1: None, 3: Span(3, 1, "task 3", "running", 0.875, 1.25)}
    lanes[3].open = (3, 2, "running", 101.0)  # the next step, straight after the last one
    assert rec.open_changes(1.5) == [(3, Span(3, 2, "task 3", "running", 1.0, 1.5))]


def test_open_changes_tell_buffers_with_one_name_apart() -> None:
    rec = _recorder()
    q1, q2 = rec.new_lane("queue"), rec.new_lane("queue")
    q1.open = (1, -1, "queued", 100.0)
    q2.open = (2, -1, "queued", 100.1)
    changes = rec.open_changes(0.5)
    assert len({c.key for c in changes}) == 2
    assert {c.span.task for c in changes if c.span} == {1, 2}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 7), st.booleans(), st.booleans()), max_size=60))
def test_applied_open_changes_equal_the_open_spans(moves: list[tuple[int, bool, bool]]) -> None:
    rec = _recorder()
    lanes = [rec.lane(f"task {i}") for i in range(8)]
    mirror: dict[int, Span] = {}
    for step, (i, opening, read) in enumerate(moves):
        lanes[i].open = (i, step, "running", 100.0 + step / 100) if opening else None
        if read:
            for key, span in rec.open_changes(5.0):
                if span is None:
                    mirror.pop(key, None)
                else:
                    mirror[key] = span
            assert sorted(mirror.values()) == sorted(rec.open_spans(5.0))


def test_spans_carry_their_cause_and_lanes_their_kind() -> None:
    rec = _recorder()
    task = rec.lane("fetch 1", LaneKind.TASK)
    worker = rec.lane("thread 1", LaneKind.WORKER)
    rec.new_lane("queue", LaneKind.QUEUE)
    rec.new_lane("queue", LaneKind.QUEUE)
    task.add(0, 0, "ready_wait", 100.25, 100.5, Cause.LOOP)
    worker.add(1, 0, "ready_wait", 100.5, 100.75, Cause.GIL)
    worker.add(1, 0, "running", 100.75, 101.0)
    assert rec.drain() == [Span(0, 0, "fetch 1", "ready_wait", 0.25, 0.5, "loop"),
                           Span(1, 0, "thread 1", "ready_wait", 0.5, 0.75, "gil"),
                           Span(1, 0, "thread 1", "running", 0.75, 1.0, "")]
    assert [s.cause for s in rec.spans()] == ["loop", "gil", ""]
    assert rec.lane_kinds() == {"fetch 1": LaneKind.TASK, "thread 1": LaneKind.WORKER, "queue": LaneKind.QUEUE}
    assert rec.lane("fetch 1", LaneKind.WORKER) is task and task.kind == LaneKind.TASK  # made once


def test_a_lane_made_without_a_kind_gets_the_kind_its_name_implies() -> None:
    rec = _recorder()
    for name in ("process 1", "offload process 1", "queue", "logger"):
        rec.lane(name)
    assert rec.lane_kinds() == {"process 1": LaneKind.WORKER, "offload process 1": LaneKind.OFFLOAD,
                                "queue": LaneKind.QUEUE, "logger": LaneKind.TASK}


def test_no_trace_mode_keeps_one_running_span_per_task() -> None:
    rec = Recorder(detail=False)
    rec.origin = 100.0
    lane = rec.lane("thread 1")
    assert not lane.detail
    lane.add(1, -1, "queued", 100.0, 100.1)  # waiting for a worker is not the task's own time
    lane.add(1, 0, "running", 100.1, 100.3)
    lane.add(1, 1, "io_wait", 100.3, 100.6)
    lane.add(1, 2, "ready_wait", 100.6, 100.7, Cause.GIL)
    lane.add(2, 0, "io_wait", 100.7, 101.0)
    spans = rec.spans()
    assert spans == [Span(1, -1, "thread 1", "running", spans[0].t0, spans[0].t1),
                     Span(2, -1, "thread 1", "running", spans[1].t0, spans[1].t1)]
    assert (round(spans[0].t0, 9), round(spans[0].t1, 9)) == (0.1, 0.7)
    assert (round(spans[1].t0, 9), round(spans[1].t1, 9)) == (0.7, 1.0)
    assert Recorder().lane("x").detail


def test_elapsed_counts_from_start() -> None:
    rec = Recorder()
    rec.start()
    first = rec.elapsed()
    assert 0.0 <= first <= rec.elapsed()
