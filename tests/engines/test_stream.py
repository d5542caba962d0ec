"""The live stream: frames survive the wire exactly, lane names cross once, messages split at any byte, and
reading frames slows down rather than take more than its share of a big run."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from conclab.engines.recorder import Recorder
from conclab.engines.stream import (
    FRAME_S,
    PUMP_SHARE,
    FrameDecoder,
    FrameEncoder,
    FramePump,
    Kind,
    MessageReader,
    json_message,
    next_frame_in,
)
from conclab.model.live import LiveFrame
from conclab.model.trace import CAUSES, STATES, LaneKind, Span

LANES = ["fetch 1", "fetch 2", "thread 1", "queue", "offload thread 1", "crunch (2)", "ünïcode lane"]
times = st.floats(min_value=0, max_value=1e5, allow_nan=False)
spans = st.builds(Span, st.integers(0, 2**31 - 1), st.integers(-1, 10**6), st.sampled_from(LANES),
                  st.sampled_from([str(s) for s in STATES]), times, times, st.sampled_from([str(c) for c in CAUSES]))


def _frame(index: int, closed: list[Span], opened: list[tuple[int, Span | None]],
           lag: list[tuple[float, float]], failures: list[str]) -> LiveFrame:
    kinds = {s.worker: LaneKind.WORKER for s in closed}
    return LiveFrame(index, 1.5, len(closed), closed, opened, lag, kinds, failures)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.lists(spans, max_size=30),
                          st.lists(st.tuples(st.integers(0, 10**6), st.none() | spans), max_size=10),
                          st.lists(st.tuples(times, times), max_size=5),
                          st.lists(st.text(max_size=30), max_size=3)), min_size=1, max_size=4))
def test_frames_cross_the_wire_unchanged(frames: list[tuple[list[Span], list[tuple[int, Span | None]],
                                                            list[tuple[float, float]], list[str]]]) -> None:
    encoder, decoder, reader = FrameEncoder(), FrameDecoder(), MessageReader()
    sent = [_frame(0, *f) for f in frames]
    wire = b"".join(encoder.encode(f) for f in sent)
    got = [decoder.decode(payload) for _kind, payload in reader.feed(wire)]
    assert len(got) == len(sent)
    for a, b in zip(sent, got, strict=True):
        assert b.spans == a.spans and b.opened == a.opened and b.lag == a.lag and b.failures == a.failures
        assert (b.run_index, b.done, b.now) == (a.run_index, a.done, a.now)
    seen: set[str] = set()
    for frame in got:  # a lane's name and kind cross once, in the first frame that uses it
        assert not (set(frame.lanes) & seen)
        seen |= set(frame.lanes)


def test_messages_split_anywhere_are_read_whole() -> None:
    wire = json_message(Kind.HELLO, {"pid": 1}) + FrameEncoder().encode(
        LiveFrame(3, 0.25, 1, [Span(0, 0, "a", "running", 0.0, 0.1)])) + json_message(Kind.PONG, {"id": 7})
    reader = MessageReader()
    got = [m for i in range(len(wire)) for m in reader.feed(wire[i:i + 1])]
    assert [k for k, _ in got] == [Kind.HELLO, Kind.FRAME, Kind.PONG]
    assert FrameDecoder().decode(got[1][1]).spans == [Span(0, 0, "a", "running", 0.0, 0.1)]


def test_the_pump_reports_only_what_changed() -> None:
    rec = Recorder()
    rec.start()
    pump = FramePump(rec, 2)
    lane = rec.lane("fetch 1", LaneKind.TASK)
    lane.open = (0, 0, "io_wait", rec.origin + 0.01)
    first = pump.frame()
    assert first.run_index == 2 and first.lanes == {"fetch 1": LaneKind.TASK}
    assert [s.state for _k, s in first.opened if s] == ["io_wait"]
    lane.add(0, 0, "io_wait", rec.origin + 0.01, rec.origin + 0.2)
    lane.open = None
    rec.done.append(0)
    pump.add_failure("fetch 1 failed: boom")
    second = pump.frame()
    assert second.lanes == {} and second.done == 1 and second.failures == ["fetch 1 failed: boom"]
    assert [(s.state, round(s.t1, 3)) for s in second.spans] == [("io_wait", 0.2)]
    assert second.opened == [(first.opened[0][0], None)]
    assert pump.frame().is_empty()


def test_reading_frames_takes_at_most_its_share() -> None:
    assert next_frame_in(0.001) == FRAME_S
    assert math.isclose(next_frame_in(0.05), 0.05 / PUMP_SHARE)
