"""Fuzzed messages between the window and its lab, both ways.

Into the lab: random lines on a real lab's stdin — bytes, JSON of every shape, commands with random
fields, run requests with random plans, models, pools and switch intervals, a deeply nested line, a
huge line, broken UTF-8 — never crash it: after every batch it answers a ping, afterwards it still runs
a session, its stderr holds no traceback, and it still leaves as soon as its stdin closes.

Out of the lab: a fake lab (a Python that says hello as the lab does, then writes random bytes, a frame
damaged anywhere, or a good stream cut short, and exits or goes silent) makes the client fail the run
with a message — "sent something unreadable", "ended during the run", or after a Stop "did not answer
the stop" — never hang, and end the fake's whole process group.
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conclab.engines.interpreters import Interpreter
from conclab.engines.lab_client import LabClient, LabError
from conclab.engines.runtime import Runtime
from conclab.engines.session import drive
from conclab.engines.stop import StopToken
from conclab.engines.stream import FrameDecoder, FrameEncoder, Kind, MessageReader, json_message
from conclab.model.live import LiveFrame
from conclab.model.plan_text import parse
from conclab.model.run import RunDocument
from conclab.model.runfile import run_from_dict, run_to_dict
from conclab.model.session_spec import SessionRequest
from conclab.model.trace import LaneKind, Span
from tests.reliability.labtools import Collect, alive

STDIN_EXAMPLES = 250
STREAM_EXAMPLES = 30
FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
ANSWER_S = 10.0


class RealLab:
    """A lab process driven by hand: lines in, messages out (read on a thread of their own)."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "conclab.engines.lab"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        self.messages: queue.Queue[tuple[int, Any]] = queue.Queue()
        self.stderr = bytearray()
        self.errors: list[str] = []
        self._ping = 0
        threading.Thread(target=self._read, daemon=True, name="fuzz-lab-out").start()
        threading.Thread(target=self._read_err, daemon=True, name="fuzz-lab-err").start()
        assert self.wait_for(Kind.HELLO, 60.0) is not None, "the lab did not start"

    def _read(self) -> None:
        assert self.proc.stdout is not None
        reader = MessageReader()
        while data := self.proc.stdout.read1(1 << 16):
            for kind, payload in reader.feed(data):
                if kind != Kind.FRAME:
                    self.messages.put((kind, json.loads(payload)))
        self.messages.put((0, None))

    def _read_err(self) -> None:
        assert self.proc.stderr is not None
        while data := self.proc.stderr.read1(1 << 16):
            self.stderr += data

    def send(self, data: bytes) -> None:
        """Write to the lab's stdin; a lab that no longer reads it fills the pipe, and the write never ends."""
        stdin = self.proc.stdin
        assert stdin is not None
        written = threading.Event()

        def write() -> None:
            stdin.write(data)
            stdin.flush()
            written.set()

        threading.Thread(target=write, daemon=True, name="fuzz-lab-in").start()
        assert written.wait(ANSWER_S), "the lab stopped reading its stdin"

    def wait_for(self, kind: Kind, timeout: float, match: Any = None) -> Any:
        end = time.monotonic() + timeout
        while (left := end - time.monotonic()) > 0:
            try:
                got, data = self.messages.get(timeout=left)
            except queue.Empty:
                break
            if got == 0:
                return None
            if got == Kind.ERROR:
                self.errors.append(str(data.get("message")))
            if got == kind and (match is None or data == match):
                return data
        return None

    def answers_a_ping(self) -> bool:
        self._ping += 1
        self.send(json.dumps({"op": "ping", "id": f"check-{self._ping}"}).encode() + b"\n")
        return self.wait_for(Kind.PONG, ANSWER_S, {"id": f"check-{self._ping}"}) is not None


@pytest.fixture(scope="module")
def real_lab() -> Iterator[RealLab]:
    lab = RealLab()
    yield lab
    if lab.proc.poll() is None:
        lab.proc.kill()
    lab.proc.wait()


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False), st.text(max_size=20)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=10,
)
# Plans that either are refused or run in a few milliseconds: a fuzzed request must never start a long run.
PLANS = ["sleep 1ms", "2x sleep 1ms; net 1ms", "block 2ms in thread", "", "2x slep 1ms", "100001x sleep 1ms",
         "sleep 61s", ";;", "a: sleep 1ms, net 1ms in thread", "x" * 300]
runs = st.lists(st.fixed_dictionaries({}, optional={
    "model": st.one_of(st.sampled_from(["sequential", "asyncio", "threads", "processes", "fibers"]), json_values),
    "workers": st.one_of(st.none(), st.integers(-3, 5), st.sampled_from([2001, 65, 10**12]), json_values),
    "python": st.one_of(st.none(), st.text(max_size=8)),
    "runtime": st.one_of(st.sampled_from(["lab", "window", "moon"]), json_values),
    "label": st.one_of(st.text(max_size=6), json_values),
}), max_size=3)
requests = st.fixed_dictionaries({}, optional={
    "plan": st.one_of(st.sampled_from(PLANS), json_values),
    "runs": st.one_of(runs, json_values),
    "switch_interval_ms": st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True), json_values),
    "detail": json_values,
})
commands = st.fixed_dictionaries({"op": st.one_of(st.sampled_from(["run", "stop", "ping", "frob", ""]), json_values)},
                                 optional={"request": st.one_of(requests, json_values), "id": json_values,
                                           "first_index": st.one_of(st.integers(-5, 5), json_values)})
lines = st.one_of(
    st.binary(max_size=120),
    json_values.map(lambda v: json.dumps(v).encode()),
    commands.map(lambda c: json.dumps(c).encode()),
    st.sampled_from([b"[" * 100_000, b"{" * 50_000, b"x" * (1 << 20), b"\xff\xfe\x00{\"op\": \"ping\"}",
                     b'{"op": "run", "request": {"plan": "sleep 1ms", "runs": [{"model": "asyncio"}]}}',
                     b'{"op": "ping", "id": ' + b"9" * 5000 + b"}", b'{"op": "stop"}']),
)


@settings(FUZZ, max_examples=STDIN_EXAMPLES)
@given(batch=st.lists(lines, min_size=1, max_size=5))
def test_garbage_on_the_labs_stdin_never_crashes_it(real_lab: RealLab, batch: list[bytes]) -> None:
    real_lab.send(b"".join(line.replace(b"\n", b" ") + b"\n" for line in batch))
    assert real_lab.proc.poll() is None, real_lab.stderr.decode(errors="replace")[-1000:]
    assert real_lab.answers_a_ping(), "the lab stopped answering"


def test_after_the_garbage_the_lab_still_runs_and_leaves_when_its_stdin_closes(real_lab: RealLab) -> None:
    """Runs after the fuzzing, so it checks the lab the fuzzing went through."""
    request = SessionRequest.for_models("2x sleep 5ms; net 5ms", ["asyncio", "threads"]).to_dict()
    for _ in range(20):  # a fuzzed run may still be going: it is refused meanwhile
        real_lab.send(json.dumps({"op": "run", "request": request, "first_index": 0}).encode() + b"\n")
        done = real_lab.wait_for(Kind.SESSION_DONE, ANSWER_S)
        if done is not None and done.get("plan") == "2x sleep 5ms; net 5ms":
            break
        time.sleep(0.2)
    else:
        pytest.fail(f"the lab would not run a good session after the fuzzing: {real_lab.errors[-3:]}")
    assert real_lab.proc.stdin is not None
    real_lab.proc.stdin.close()
    code = real_lab.proc.wait(timeout=2.0)
    assert code == 0
    err = real_lab.stderr.decode(errors="replace")
    assert "Traceback" not in err and "Exception in" not in err, err[-2000:]


# -- a fake lab ------------------------------------------------------------------------------------------

FAKE_LAB = """#!{python}
import os, sys
from conclab.engines.stream import Kind, json_message

out = sys.stdout.buffer
out.write(json_message(Kind.HELLO, {{"pid": os.getpid(), "python": {{}}, "calibration": {{}}}}))
out.flush()
sys.stdin.buffer.readline()  # the run command
with open(os.environ["FAKE_LAB_STREAM"], "rb") as f:
    out.write(f.read())
out.flush()
if os.environ["FAKE_LAB_THEN"] == "exit":
    sys.exit(0)
for _line in sys.stdin.buffer:  # silent, reading commands (a stop too), until the window goes
    pass
"""


@pytest.fixture(scope="module")
def fake_python(tmp_path_factory: pytest.TempPathFactory) -> Interpreter:
    path = tmp_path_factory.mktemp("fake-lab") / "python3"
    path.write_text(FAKE_LAB.format(python=sys.executable))
    path.chmod(0o755)
    return Interpreter(str(path), "3.11.7", "CPython", gil_enabled=True, free_threaded=False, usable=True)


def _good_stream() -> tuple[bytes, int, bytes]:
    """What a lab writes for one run of `sleep 1ms` under threads: a real run's result, a frame with closed
    and open spans, lag and a failure line; and where the frame starts; and the session's end."""
    rt = Runtime()
    try:
        run = asyncio.run(rt.run(parse("sleep 1ms"), "threads"))
    finally:
        rt.close()
    frame = LiveFrame(0, 0.5, 1, [Span(0, 0, "thread 1", "running", 0.0, 0.1)],
                      [(1, Span(1, 0, "thread 2", "io_wait", 0.1, 0.2)), (2, None)], [(0.1, 0.002)],
                      {"thread 1": LaneKind.WORKER, "thread 2": LaneKind.WORKER}, ["threads: task a failed: boom"])
    started = json_message(Kind.RUN_STARTED, {"index": 0, "label": "threads"})
    stream = started + FrameEncoder().encode(frame) + json_message(Kind.RUN_DONE, {"index": 0,
                                                                                  "run": run_to_dict(run, spans=False)})
    end = json_message(Kind.SESSION_DONE, {"plan": "sleep 1ms", "machine": {}, "calibration": {}})
    return stream, len(started), end


GOOD, FRAME_AT, SESSION_END = _good_stream()


def _session_with(fake: Interpreter, stream: bytes, then: str, tmp: Path, stop_after: float | None = None,
                  ) -> tuple[RunDocument | BaseException | None, float, int | None]:
    """Run a session on the fake lab writing `stream`; what it returned or raised, how long it took, its pid."""
    (tmp / "stream.bin").write_bytes(stream)
    os.environ["FAKE_LAB_STREAM"] = str(tmp / "stream.bin")
    os.environ["FAKE_LAB_THEN"] = then
    client = LabClient(fake)

    async def go() -> tuple[RunDocument | BaseException | None, float, int | None]:
        await client.start()
        pid = client.pid
        stop = StopToken()
        t0 = time.perf_counter()
        if stop_after is not None:
            asyncio.get_running_loop().call_later(stop_after, stop.set)
        try:
            doc = await asyncio.wait_for(drive(SessionRequest.for_models("sleep 1ms", ["threads"]),
                                               lambda _s: client, Collect(), stop), ANSWER_S)
        except (LabError, TimeoutError) as exc:
            return exc, time.perf_counter() - t0, pid
        return doc, time.perf_counter() - t0, pid

    try:
        return asyncio.run(go())
    finally:
        client.close()
        for key in ("FAKE_LAB_STREAM", "FAKE_LAB_THEN"):
            os.environ.pop(key, None)


def _fails_with_a_message(error: RunDocument | BaseException | None, pid: int | None) -> str:
    assert isinstance(error, LabError), f"the run did not fail with a message: {error!r}"
    assert pid is not None and not alive(pid), "the fake lab was not ended"
    return str(error)


def test_the_fake_lab_is_faithful(fake_python: Interpreter, tmp_path: Path) -> None:
    """The good stream, ended, makes a complete run: what the fuzzing damages is what a lab sends."""
    outcome, _took, _pid = _session_with(fake_python, GOOD + SESSION_END, "hang", tmp_path)
    assert not isinstance(outcome, BaseException), outcome
    assert outcome is not None and outcome.runs[0].metrics["tasks_done"] == 1


def _readable(stream: bytes) -> bool:
    """Whether every whole message in `stream` reads as what its kind says (the test's own reading, to
    judge the client by): a run index of the one-run request, a frame, a run, JSON where JSON belongs."""
    try:
        frames = FrameDecoder()
        for kind, payload in MessageReader().feed(stream):
            if kind == Kind.FRAME:
                frames.decode(payload)
                continue
            data = json.loads(payload)
            if kind == Kind.RUN_STARTED:
                (None,)[int(data["index"])]
            elif kind == Kind.RUN_DONE:
                int(data["index"])
                run_from_dict(data["run"])
            elif kind == Kind.SESSION_DONE:
                data["plan"], data["machine"], data["calibration"]
            elif kind in (Kind.HELLO, Kind.ERROR, Kind.PONG):
                data.get("message")
    except Exception:
        return False
    return True


STOP_AFTER_S = 1.0


@settings(FUZZ, max_examples=STREAM_EXAMPLES)
@given(data=st.data())
def test_a_garbled_or_truncated_stream_fails_the_run_with_a_message(fake_python: Interpreter, tmp_path: Path,
                                                                    data: st.DataObject) -> None:
    """Random bytes after the run's start, a frame or result damaged anywhere, or a good stream cut short;
    then the fake exits, or stays silent until a Stop (pressed after a second, as a user would) goes
    unanswered. Whatever the client cannot read fails the run at once, before the Stop."""
    how = data.draw(st.sampled_from(["random bytes", "damaged", "cut short"]))
    if how == "random bytes":
        stream = GOOD[:FRAME_AT] + data.draw(st.binary(min_size=1, max_size=400))
    elif how == "damaged":
        damaged = bytearray(GOOD)
        for _ in range(data.draw(st.integers(1, 4))):
            damaged[data.draw(st.integers(FRAME_AT, len(GOOD) - 1))] = data.draw(st.integers(0, 255))
        stream = bytes(damaged)
    else:
        stream = GOOD[:data.draw(st.integers(1, len(GOOD) - 1))]
    then = data.draw(st.sampled_from(["exit", "hang"]))
    outcome, took, pid = _session_with(fake_python, stream, then, tmp_path, stop_after=STOP_AFTER_S)
    readable = _readable(stream)
    if not isinstance(outcome, LabError):
        assert readable and isinstance(outcome, RunDocument), (outcome, readable)
        return
    message = _fails_with_a_message(outcome, pid)
    if "unreadable" in message:
        assert not readable and took < STOP_AFTER_S, (message, took)
    elif "ended during the run" in message:
        assert then == "exit", message
    elif "did not answer the stop" in message:
        assert then == "hang" and readable, f"unreadable bytes waited for the Stop: {message}"
        assert took < STOP_AFTER_S + 2.0
    else:
        assert "the lab could not run the session" in message or readable, message


def test_a_stream_cut_short_by_a_lab_that_goes_silent_is_ended_by_stop(fake_python: Interpreter,
                                                                      tmp_path: Path) -> None:
    """A lab that stops mid-message and stays alive cannot be told from a busy one until a Stop goes
    unanswered: then it is ended within about a second, with the reason."""
    outcome, took, pid = _session_with(fake_python, GOOD[:FRAME_AT + 30], "hang", tmp_path, stop_after=0.2)
    message = _fails_with_a_message(outcome, pid)
    assert "did not answer the stop" in message, message
    assert took < 0.2 + 2.0
