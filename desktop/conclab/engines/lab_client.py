"""The observer's side of the lab: start a lab process for an interpreter, keep it warm, run sessions in
it, and turn its stream back into frames and runs.

The stream is read with `loop.add_reader` on the lab's stdout. On the window's qasync loop that is a
QSocketNotifier, so frames arrive on the GUI thread through the Qt loop without a thread of ours; on
a plain loop (the command line) the same code reads it the same way. The lab runs in a session of its
own, so a Ctrl+C in the terminal reaches only this process, which then asks the lab to stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from conclab.engines.interpreters import Interpreter, default_cache_path, resolve
from conclab.engines.session import SessionError, SessionListener
from conclab.engines.stop import StopToken
from conclab.engines.stream import FrameDecoder, Kind, MessageReader
from conclab.model.run import ModelRun, RunDocument
from conclab.model.runfile import run_from_dict
from conclab.model.session_spec import SessionRequest
from conclab.model.trace import Span

START_TIMEOUT_S = 60.0
STOP_ANSWER_S = 1.0
QUIT_WAIT_S = 0.3
STDERR_TAIL = 4000
PACKAGE_DIR = Path(__file__).resolve().parent.parent


class LabError(SessionError):
    """The lab could not start, crashed, or did not answer a stop in time."""


def _package_path_for(interpreter: Interpreter) -> str:
    """A folder holding only this app's package, for another interpreter's PYTHONPATH: it imports the
    app's own files and nothing else installed beside them."""
    digest = hashlib.sha256(str(PACKAGE_DIR).encode()).hexdigest()[:16]
    folder = default_cache_path().parent / "lab-path" / digest
    folder.mkdir(parents=True, exist_ok=True)
    link = folder / "conclab"
    if not (link.is_symlink() and link.resolve() == PACKAGE_DIR):
        with contextlib.suppress(FileNotFoundError):
            link.unlink()
        link.symlink_to(PACKAGE_DIR, target_is_directory=True)
    return str(folder)


def lab_command(interpreter: Interpreter | None) -> tuple[list[str], dict[str, str]]:
    """How to start a lab: this Python (or this frozen app), or another interpreter on the app's files."""
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    if interpreter is None or Path(interpreter.executable) == Path(sys.executable):
        if getattr(sys, "frozen", False):
            return [sys.executable, "--lab"], env
        return [sys.executable, "-m", "conclab.engines.lab"], env
    env["PYTHONPATH"] = _package_path_for(interpreter)
    env.pop("PYTHONHOME", None)
    return [interpreter.executable, "-s", "-m", "conclab.engines.lab"], env


class _Session:
    """What one session has received so far."""

    def __init__(self, request: SessionRequest, listener: SessionListener, first_index: int,
                 done: asyncio.Future[RunDocument]) -> None:
        self.request = request
        self.listener = listener
        self.first_index = first_index
        self.done = done
        self.decoder = FrameDecoder()
        self.spans: dict[int, list[Span]] = {}
        self.runs: list[ModelRun] = []

    def partial(self) -> RunDocument:
        return RunDocument(self.request.plan_text, {}, {}, list(self.runs))


class LabClient:
    """One lab process: started on first use (or `start`), kept warm between sessions."""

    def __init__(self, interpreter: Interpreter | None = None) -> None:
        self.interpreter = interpreter
        self.info: dict[str, Any] = {}
        self._proc: subprocess.Popen[bytes] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._reader = MessageReader()
        self._stderr = bytearray()
        self._hello: asyncio.Future[dict[str, Any]] | None = None
        self._session: _Session | None = None
        self._write_lock = threading.Lock()
        self.restarts = 0

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    async def start(self) -> None:
        """Start the lab and wait until it has calibrated and is ready (a no-op when it is running)."""
        loop = asyncio.get_running_loop()
        if self.alive and self._hello is not None and self._hello.done() and not self._hello.exception():
            if loop is not self._loop:
                self._watch(loop)
            return
        self._shut(kill=True)
        try:
            argv, env = lab_command(self.interpreter)
        except OSError as exc:  # the cache folder holding the package path for another Python
            raise LabError(f"could not prepare the lab: {exc.strerror or exc}: {exc.filename}") from None
        try:
            self._proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                          stderr=subprocess.PIPE, env=env, start_new_session=True)
        except OSError as exc:
            raise LabError(f"could not start the lab ({argv[0]}): {exc.strerror or exc}") from None
        assert self._proc.stdout is not None and self._proc.stderr is not None
        self._reader = MessageReader()
        self._stderr.clear()
        self._hello = loop.create_future()
        for pipe in (self._proc.stdout, self._proc.stderr):
            os.set_blocking(pipe.fileno(), False)
        self._watch(loop)
        try:
            self.info = await asyncio.wait_for(asyncio.shield(self._hello), START_TIMEOUT_S)
        except TimeoutError:
            self._shut(kill=True)
            raise LabError(f"the lab did not start within {START_TIMEOUT_S:.0f} s") from None

    def _watch(self, loop: asyncio.AbstractEventLoop) -> None:
        """Read the lab's pipes on `loop` (a warm lab serves whichever loop runs the next session)."""
        assert self._proc is not None and self._proc.stdout is not None and self._proc.stderr is not None
        self._unwatch()
        self._loop = loop
        loop.add_reader(self._proc.stdout.fileno(), self._on_stdout)
        loop.add_reader(self._proc.stderr.fileno(), self._on_stderr)

    def _unwatch(self) -> None:
        proc, loop = self._proc, self._loop
        if proc is None or loop is None or loop.is_closed():
            return
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                with contextlib.suppress(ValueError, OSError):
                    loop.remove_reader(pipe.fileno())

    # -- reading ------------------------------------------------------------------------------------
    def _on_stdout(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        try:
            data = os.read(self._proc.stdout.fileno(), 1 << 20)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._on_lab_gone()
            return
        try:
            for kind, payload in self._reader.feed(data):
                self._dispatch(kind, payload)
        except Exception as exc:  # whatever garbled bytes make the decoder raise, the run must fail, not hang
            self._fail(LabError(f"the lab sent something unreadable ({exc or type(exc).__name__}); it will start "
                               "afresh"), kill=True)

    def _on_stderr(self) -> None:
        assert self._proc is not None and self._proc.stderr is not None
        try:
            data = os.read(self._proc.stderr.fileno(), 1 << 16)
        except (BlockingIOError, OSError):
            return
        if not data and self._loop is not None:
            self._loop.remove_reader(self._proc.stderr.fileno())
            return
        self._stderr += data
        del self._stderr[:-STDERR_TAIL]

    def _drain_stderr(self) -> None:
        if self._proc is None or self._proc.stderr is None:
            return
        with contextlib.suppress(OSError, ValueError):
            while data := os.read(self._proc.stderr.fileno(), 1 << 16):
                self._stderr += data
        del self._stderr[:-STDERR_TAIL]

    def _dispatch(self, kind: int, payload: bytes) -> None:
        session = self._session
        if kind == Kind.FRAME:
            if session is not None:
                frame = session.decoder.decode(payload)
                session.spans.setdefault(frame.run_index, []).extend(frame.spans)
                session.listener.frame(frame)
            return
        data = json.loads(payload)
        if kind == Kind.HELLO and self._hello is not None and not self._hello.done():
            self._hello.set_result(data)
        elif kind == Kind.RUN_STARTED and session is not None:
            index = int(data["index"])
            session.listener.run_started(index, session.request.runs[index - session.first_index])
        elif kind == Kind.RUN_DONE and session is not None:
            self._run_done(session, data)
        elif kind == Kind.SESSION_DONE and session is not None:
            self._session = None
            if not session.done.done():
                session.done.set_result(RunDocument(data["plan"], data["machine"], data["calibration"],
                                                    session.runs))
        elif kind == Kind.ERROR:
            self._fail(LabError(str(data.get("message", "the lab could not run the session"))), kill=False)

    def _run_done(self, session: _Session, data: dict[str, Any]) -> None:
        index = int(data["index"])
        run = run_from_dict(data["run"], f"run {index}")
        run.spans = sorted(session.spans.pop(index, []), key=lambda s: (s.t0, s.t1))
        session.runs.append(run)
        session.listener.run_finished(index, run)

    def _on_lab_gone(self) -> None:
        code = self._proc.wait() if self._proc is not None else None
        self._drain_stderr()  # its last words may still be in the pipe: they are the reason
        reason = _describe_exit(code, bytes(self._stderr))
        if self._hello is not None and not self._hello.done():
            self._hello.set_exception(LabError(f"the lab could not start: {reason}"))
        self._fail(LabError(f"the lab process ended during the run ({reason}); the next run starts a "
                            "fresh lab"), kill=True)

    def _fail(self, error: LabError, kill: bool) -> None:
        session, self._session = self._session, None
        if kill:
            self._shut(kill=True)
        if session is not None and not session.done.done():
            error.partial = session.partial()
            session.done.set_exception(error)

    # -- running ------------------------------------------------------------------------------------
    async def run(self, request: SessionRequest, listener: SessionListener, stop: StopToken,
                  first_index: int) -> RunDocument:
        """Run `request` in the lab; a stop is passed on at once and must be answered within 1 s."""
        await self.start()
        loop = asyncio.get_running_loop()
        if self._session is not None:
            raise LabError("the lab is already running a session")
        done: asyncio.Future[RunDocument] = loop.create_future()
        self._session = session = _Session(request, listener, first_index, done)
        self._send({"op": "run", "request": request.to_dict(), "first_index": first_index})
        stop.on_set(lambda: self._on_stop(loop, session))
        return await done

    def _on_stop(self, loop: asyncio.AbstractEventLoop, session: _Session) -> None:
        self._send({"op": "stop"})
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(loop.call_later, STOP_ANSWER_S, self._check_stopped, session)

    def _check_stopped(self, session: _Session) -> None:
        if self._session is session and not session.done.done():
            self.restarts += 1
            self._fail(LabError(f"the lab did not answer the stop within {STOP_ANSWER_S:.0f} s, so it was "
                                "ended; the next run starts a fresh lab"), kill=True)

    def _send(self, msg: dict[str, Any]) -> None:
        proc = self._proc
        if proc is None or proc.stdin is None:
            return
        line = json.dumps(msg, separators=(",", ":")).encode() + b"\n"
        try:
            with self._write_lock:
                proc.stdin.write(line)
                proc.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            pass  # the lab has gone; reading its stdout reports why

    # -- ending -------------------------------------------------------------------------------------
    def _shut(self, kill: bool) -> None:
        if self._proc is None:
            return
        self._unwatch()
        proc, self._proc = self._proc, None
        with contextlib.suppress(OSError, ValueError):
            if proc.stdin is not None:
                proc.stdin.close()
        if not kill:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(QUIT_WAIT_S)
        # The lab's session holds its pool workers and loopback server too: none of them may outlive it.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()

    def close(self) -> None:
        """Ask the lab to leave (it stops any run), then make sure it and its children have."""
        self._send({"op": "quit"})
        self._shut(kill=False)
        if self._session is not None:
            self._fail(LabError("the lab was closed"), kill=False)


def _describe_exit(code: int | None, stderr: bytes) -> str:
    if code is None:
        how = "it stopped answering"
    elif code < 0:
        try:
            how = f"killed by {signal.Signals(-code).name}"
        except ValueError:
            how = f"killed by signal {-code}"
    else:
        how = f"exit status {code}"
    last = stderr.decode(errors="replace").strip().splitlines()[-1:] if stderr else []
    return f"{how}: {last[0]}" if last else how


class LabPool:
    """One warm lab per interpreter: the default (the app's own Python) and any asked for by version."""

    def __init__(self) -> None:
        self._labs: dict[str, LabClient] = {}

    def client(self, python: str | None = None) -> LabClient:
        key = python or ""
        lab = self._labs.get(key)
        if lab is None:
            lab = self._labs[key] = LabClient(resolve(python) if python else None)
        return lab

    async def run(self, request: SessionRequest, listener: SessionListener, stop: StopToken,
                  first_index: int) -> RunDocument:
        """The executor for requests whose runs all name one interpreter."""
        python = request.runs[0].python if request.runs else None
        return await self.client(python).run(request, listener, stop, first_index)

    def clients(self) -> list[LabClient]:
        return list(self._labs.values())

    def close(self) -> None:
        for lab in self._labs.values():
            lab.close()
        self._labs.clear()
