"""The live stream: frames pumped out of a recorder, and their compact wire form between lab and window.

`FramePump` turns what a run's recorder holds into `LiveFrame`s (new closed spans, spans in progress
that changed, lag samples, lanes, failures). The lab pumps ~30 times a second and writes each frame as
one message; a run inside the window pumps the same way and hands frames over directly.

Wire form: every message is a little-endian `u32 length, u8 kind` header and a payload. Control
messages carry JSON; frames are columnar: fixed-size `array` columns of task ids, steps, lane indices,
states, causes and times, so a frame of 10,000 spans is a few hundred kilobytes packed in C, not ten
thousand JSON objects. Lane names cross once, in the frame that first uses them.
"""

from __future__ import annotations

import json
import struct
import threading
from array import array
from collections import deque
from collections.abc import Iterator
from enum import IntEnum
from typing import Any

from conclab.engines.recorder import Recorder
from conclab.model.live import LiveFrame, OpenChange
from conclab.model.trace import CAUSES, STATES, LaneKind, Span

FRAME_S = 1 / 30
# Reading a frame must not take more than this share of the measured program's time: a run with tens
# of thousands of lanes gets fewer, larger frames instead of a busier loop (or GIL).
PUMP_SHARE = 0.2
_HEADER = struct.Struct("<IB")
_FRAME_HEAD = struct.Struct("<IdIIIIII")
MAX_MESSAGE = 1 << 30
_STATE_CODE = {str(s): i for i, s in enumerate(STATES)}
_CAUSE_CODE = {str(c): i for i, c in enumerate(CAUSES)}


class Kind(IntEnum):
    """What a message is."""

    HELLO = 1  # the lab is ready: its pid, Python and calibration (JSON)
    RUN_STARTED = 2  # one run of a session began (JSON: index, spec)
    FRAME = 3  # a LiveFrame (binary columns)
    RUN_DONE = 4  # one run ended: the ModelRun without its spans, which were streamed (JSON)
    SESSION_DONE = 5  # the session ended (JSON: plan, machine, calibration)
    ERROR = 6  # the session could not run (JSON: message)
    PONG = 7  # the answer to a ping (JSON)


def message(kind: Kind, payload: bytes) -> bytes:
    return _HEADER.pack(len(payload), int(kind)) + payload


def json_message(kind: Kind, data: dict[str, Any]) -> bytes:
    return message(kind, json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode())


class MessageReader:
    """Splits a byte stream into (kind, payload) messages; `feed` takes whatever arrived."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> Iterator[tuple[int, bytes]]:
        self._buf += data
        while len(self._buf) >= _HEADER.size:
            size, kind = _HEADER.unpack_from(self._buf)
            if size > MAX_MESSAGE:
                raise ValueError(f"a message of {size} bytes is not one the lab sends")
            end = _HEADER.size + size
            if len(self._buf) < end:
                return
            payload = bytes(self._buf[_HEADER.size:end])
            del self._buf[:end]
            yield kind, payload


class _Columns:
    """Span columns for the wire (array types are fixed-size C types)."""

    def __init__(self) -> None:
        self.task = array("i")
        self.step = array("i")
        self.lane = array("I")
        self.state = array("B")
        self.cause = array("B")
        self.t0 = array("d")
        self.t1 = array("d")

    def add(self, span: Span, lane: int) -> None:
        self.task.append(span.task)
        self.step.append(span.step)
        self.lane.append(lane)
        self.state.append(_STATE_CODE.get(span.state, 0))
        self.cause.append(_CAUSE_CODE.get(span.cause, 0))
        self.t0.append(span.t0)
        self.t1.append(span.t1)

    def tobytes(self) -> bytes:
        return b"".join(a.tobytes() for a in (self.task, self.step, self.lane, self.state, self.cause,
                                              self.t0, self.t1))


def _read_columns(payload: bytes, at: int, n: int, lanes: list[str]) -> tuple[list[Span], int]:
    cols: list[array[Any]] = []
    for code in ("i", "i", "I", "B", "B", "d", "d"):
        col = array(code)
        size = col.itemsize * n
        col.frombytes(payload[at:at + size])
        at += size
        cols.append(col)
    task, step, lane, state, cause, t0, t1 = cols
    states, causes = [str(s) for s in STATES], [str(c) for c in CAUSES]
    spans = [Span(a, b, lanes[c], states[d], f, g, causes[e])
             for a, b, c, d, e, f, g in zip(task, step, lane, state, cause, t0, t1, strict=True)]
    return spans, at


class FrameEncoder:
    """One run's frames to bytes; keeps the lane table the decoder rebuilds."""

    def __init__(self) -> None:
        self._lanes: dict[str, int] = {}

    def _lane(self, name: str, new: dict[str, LaneKind], kinds: dict[str, LaneKind]) -> int:
        index = self._lanes.get(name)
        if index is None:
            index = self._lanes[name] = len(self._lanes)
            new[name] = kinds.get(name, LaneKind.WORKER)
        return index

    def encode(self, frame: LiveFrame) -> bytes:
        new: dict[str, LaneKind] = {}
        for name in frame.lanes:
            self._lane(name, new, frame.lanes)
        closed = _Columns()
        for span in frame.spans:
            closed.add(span, self._lane(span.worker, new, frame.lanes))
        keys, present, opened = array("i"), array("B"), _Columns()
        for key, maybe in frame.opened:
            keys.append(key)
            present.append(maybe is not None)
            if maybe is not None:
                opened.add(maybe, self._lane(maybe.worker, new, frame.lanes))
        lag = array("d", [v for pair in frame.lag for v in pair])
        meta = json.dumps({"lanes": [[n, str(k)] for n, k in new.items()], "failures": frame.failures},
                          ensure_ascii=False).encode()
        head = _FRAME_HEAD.pack(frame.run_index, frame.now, frame.done, len(meta), len(frame.spans),
                                len(keys), len(opened.t0), len(frame.lag))
        return message(Kind.FRAME, b"".join((head, meta, closed.tobytes(), keys.tobytes(), present.tobytes(),
                                             opened.tobytes(), lag.tobytes())))


class FrameDecoder:
    """Bytes back to frames for one session (lane tables are kept per run index)."""

    def __init__(self) -> None:
        self._lanes: dict[int, list[str]] = {}

    def decode(self, payload: bytes) -> LiveFrame:
        index, now, done, n_meta, n_spans, n_keys, n_open, n_lag = _FRAME_HEAD.unpack_from(payload)
        at = _FRAME_HEAD.size
        meta = json.loads(payload[at:at + n_meta])
        at += n_meta
        lanes = self._lanes.setdefault(index, [])
        kinds: dict[str, LaneKind] = {}
        for name, kind in meta["lanes"]:
            lanes.append(name)
            kinds[name] = LaneKind(kind)
        spans, at = _read_columns(payload, at, n_spans, lanes)
        keys, present = array("i"), array("B")
        keys.frombytes(payload[at:at + 4 * n_keys])
        at += 4 * n_keys
        present.frombytes(payload[at:at + n_keys])
        at += n_keys
        opened_spans, at = _read_columns(payload, at, n_open, lanes)
        it = iter(opened_spans)
        opened: list[OpenChange] = [(k, next(it) if p else None) for k, p in zip(keys, present, strict=True)]
        lag = array("d")
        lag.frombytes(payload[at:at + 16 * n_lag])
        pairs = [(lag[2 * i], lag[2 * i + 1]) for i in range(n_lag)]
        return LiveFrame(index, now, done, spans, opened, pairs, kinds, list(meta["failures"]))


def next_frame_in(cost_s: float) -> float:
    """Seconds until the next frame, after one that took `cost_s` to read (and send): 1/30 s, or longer
    when reading costs more than PUMP_SHARE of the time."""
    return max(FRAME_S, cost_s / PUMP_SHARE)


class FramePump:
    """Reads a run's recorder into frames (one reader: call `frame` from one thread at a time).

    Task failures reported by the engines (from any thread) ride along in the next frame.
    """

    def __init__(self, recorder: Recorder, run_index: int) -> None:
        self.recorder = recorder
        self.run_index = run_index
        self._lag_seen = 0
        self._known_lanes = 0
        self._failures: deque[str] = deque()
        self._lock = threading.Lock()

    def add_failure(self, text: str) -> None:
        self._failures.append(text)

    def frame(self) -> LiveFrame:
        with self._lock:
            rec = self.recorder
            spans = rec.drain()
            opened = [(c.key, c.span) for c in rec.open_changes()]
            lag = rec.lag[self._lag_seen:]
            self._lag_seen += len(lag)
            fresh, self._known_lanes = rec.lanes_since(self._known_lanes)
            lanes: dict[str, LaneKind] = {}
            for name, kind in fresh:
                lanes.setdefault(name, kind)
            failures = []
            while self._failures:
                failures.append(self._failures.popleft())
            return LiveFrame(self.run_index, rec.elapsed(), len(rec.done), spans, opened, lag, lanes, failures)
