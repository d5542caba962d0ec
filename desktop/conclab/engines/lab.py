"""The lab: a child Python process that runs sessions and streams what it records to the window.

Measured runs happen here, on a plain asyncio loop and `threading` threads, so the window never holds
the GIL of the process it measures. The lab is started once and kept warm: it calibrates and starts
the loopback server before the first run, so calibration and measurement happen in the same quiet
process. It imports no Qt (it may run under another interpreter, from the app's own files).

Commands arrive on stdin, one JSON object per line: `{"op": "run", "request": {...}, "first_index": N}`,
`{"op": "stop"}`, `{"op": "ping"}`, `{"op": "quit"}`. Messages leave on stdout (see `stream.py`);
anything printed by accident goes to stderr instead. When stdin closes — the window has gone, whatever
killed it — the current run is stopped and the lab exits at once; its pool workers and the loopback
server watch their own parents and follow it.

Run: `python -m conclab.engines.lab`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import sys
import threading
from collections.abc import Callable
from time import perf_counter
from typing import Any, BinaryIO

from conclab.engines.context import TaskEnded
from conclab.engines.machine import python_info
from conclab.engines.recorder import Recorder
from conclab.engines.runtime import Runtime
from conclab.engines.session import failure_line, run_session
from conclab.engines.stop import StopToken
from conclab.engines.stream import FRAME_S, FrameEncoder, FramePump, Kind, json_message, next_frame_in
from conclab.model.errors import ConclabError
from conclab.model.plan_text import parse
from conclab.model.run import ModelRun, Outcome
from conclab.model.runfile import run_to_dict
from conclab.model.session_spec import RunSpec, SessionRequest

EXIT_AFTER_PARENT_S = 0.5


class _Writer:
    """Writes whole messages from any thread; a window that has gone ends the lab."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._lock = threading.Lock()

    def write(self, data: bytes) -> None:
        try:
            with self._lock:
                self._out.write(data)
                self._out.flush()
        except (BrokenPipeError, OSError):
            os._exit(0)


class _StreamingObserver:
    """Streams one session: a frame every 1/30 s from a thread of its own, so encoding and writing
    never run on the measured loop; then the run's result without its spans (they were streamed)."""

    def __init__(self, writer: _Writer, request: SessionRequest, first_index: int) -> None:
        self.writer = writer
        self.names = {t.id: t.name for t in parse(request.plan_text).tasks()}
        self.run_names = {first_index + i: spec.name for i, spec in enumerate(request.runs)}
        self._pump: FramePump | None = None
        self._encoder = FrameEncoder()
        self._quit = threading.Event()
        self._thread: threading.Thread | None = None

    def run_started(self, index: int, spec: RunSpec, recorder: Recorder) -> None:
        self._pump = FramePump(recorder, index)
        self._encoder = FrameEncoder()
        self.writer.write(json_message(Kind.RUN_STARTED, {"index": index, "label": spec.name}))
        self._quit.clear()
        self._thread = threading.Thread(target=self._stream, name="conclab-lab-stream", daemon=True)
        self._thread.start()

    def _stream(self) -> None:
        wait = FRAME_S
        while not self._quit.wait(wait):
            pump = self._pump
            if pump is not None:
                t0 = perf_counter()
                self.writer.write(self._encoder.encode(pump.frame()))
                wait = next_frame_in(perf_counter() - t0)

    def task_event(self, index: int, event: TaskEnded) -> None:
        if event.outcome == Outcome.FAILED and self._pump is not None:
            self._pump.add_failure(failure_line(self.run_names.get(index, ""), self.names, event))

    def run_finished(self, index: int, run: ModelRun) -> None:
        self._quit.set()
        if self._thread is not None:
            self._thread.join()
        if self._pump is not None:
            self.writer.write(self._encoder.encode(self._pump.frame()))
        self._pump = None
        self.writer.write(json_message(Kind.RUN_DONE, {"index": index, "run": run_to_dict(run, spans=False)}))


class Lab:
    """Serves sessions one at a time until the window goes or says quit."""

    def __init__(self, writer: _Writer, runtime: Runtime | None = None) -> None:
        self.writer = writer
        self.runtime = runtime or Runtime()
        self._stop: StopToken | None = None
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._done: asyncio.Future[None] | None = None

    async def serve(self, commands: BinaryIO) -> None:
        self._loop = asyncio.get_running_loop()
        self._done = self._loop.create_future()
        threading.Thread(target=self._read_commands, args=(commands,), name="conclab-lab-commands",
                         daemon=True).start()
        await self.runtime.warm_up()
        self.writer.write(json_message(Kind.HELLO, {"pid": os.getpid(), "python": python_info(),
                                                     "calibration": self.runtime.calibration_info()}))
        try:
            await self._done
        finally:
            if self._stop is not None:
                self._stop.set()
            if self._task is not None:
                await asyncio.gather(self._task, return_exceptions=True)
            self.runtime.close()

    def _read_commands(self, commands: BinaryIO) -> None:
        for line in commands:
            try:
                msg = json.loads(line)
            except (ValueError, RecursionError):  # deep nesting too: this thread must outlive any line
                continue
            if not isinstance(msg, dict):
                continue
            if msg.get("op") == "stop" and self._stop is not None:
                self._stop.set()  # at once, from this thread: a busy loop must not delay a stop
            self._post(functools.partial(self._on_command, msg))
        # The window has gone: stop, and leave even if the run does not wind down in time.
        if self._stop is not None:
            self._stop.set()
        threading.Timer(EXIT_AFTER_PARENT_S, os._exit, args=(0,)).start()
        self._post(self._finish)

    def _post(self, fn: Callable[[], None]) -> None:
        assert self._loop is not None
        with contextlib.suppress(RuntimeError):  # the loop has closed: we are leaving anyway
            self._loop.call_soon_threadsafe(fn)

    def _finish(self) -> None:
        if self._done is not None and not self._done.done():
            self._done.set_result(None)

    def _on_command(self, msg: dict[str, Any]) -> None:
        op = msg.get("op")
        if op == "quit":
            self._finish()
        elif op == "ping":
            self.writer.write(json_message(Kind.PONG, {"id": msg.get("id")}))
        elif op == "run":
            if self._task is not None and not self._task.done():
                self.writer.write(json_message(Kind.ERROR, {"message": "the lab is already running a session"}))
                return
            self._task = asyncio.ensure_future(self._session(msg))

    async def _session(self, msg: dict[str, Any]) -> None:
        try:
            request = SessionRequest.from_dict(msg.get("request"))
            first = int(msg.get("first_index", 0))
            self._stop = StopToken()
            observer = _StreamingObserver(self.writer, request, first)
            doc = await run_session(self.runtime, request, stop=self._stop, observer=observer, first_index=first)
        except ConclabError as exc:
            self.writer.write(json_message(Kind.ERROR, {"message": str(exc)}))
        except Exception as exc:
            self.writer.write(json_message(Kind.ERROR, {"message": f"the run failed: {type(exc).__name__}: {exc}"}))
        else:
            self.writer.write(json_message(Kind.SESSION_DONE, {"plan": doc.plan, "machine": doc.machine,
                                                                "calibration": doc.calibration}))
        finally:
            self._stop = None


def main() -> int:
    """The lab's entry point: messages go to the real stdout, stray output to stderr."""
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb", buffering=0)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    lab = Lab(_Writer(out))
    asyncio.run(lab.serve(sys.stdin.buffer))
    return 0


if __name__ == "__main__":
    sys.exit(main())
