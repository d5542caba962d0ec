"""Running a session from the command line: in the lab (the default), or in this process.

Ctrl+C and SIGTERM stop the run (the lab is told at once and answers within 200 ms); what was measured
so far is kept, marked as stopped, and the command exits 130 or 143. On a terminal, runs longer than a
second show their progress on stderr (the run, tasks done of all, elapsed); nothing of it when stderr is
not a terminal.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Awaitable, Callable
from time import perf_counter
from typing import TextIO

from conclab.engines.session import Executor, SessionError, drive
from conclab.engines.stop import StopToken
from conclab.model.live import LiveFrame
from conclab.model.plan_text import parse
from conclab.model.run import ModelRun, RunDocument
from conclab.model.session_spec import RunSpec, SessionRequest

RUNTIMES = ("lab", "plain", "qt")
PROGRESS_AFTER_S = 1.0
PROGRESS_EVERY_S = 0.1
EXIT_FOR_SIGNAL = {signal.SIGINT: 130, signal.SIGTERM: 143}


class ProgressLine:
    """The session's listener on a terminal: one line on stderr, rewritten in place."""

    def __init__(self, request: SessionRequest, out: TextIO | None = None) -> None:
        self.out = out if out is not None else sys.stderr
        self.enabled = self.out.isatty()
        self.tasks = parse(request.plan_text).task_count
        self.total = self.tasks * len(request.runs)
        self.t0 = perf_counter()
        self._done_before = 0
        self._name = ""
        self._last = 0.0
        self._shown = False

    def run_started(self, index: int, spec: RunSpec) -> None:
        self._name = spec.name

    def frame(self, frame: LiveFrame) -> None:
        self._show(self._done_before + frame.done)

    def run_finished(self, index: int, run: ModelRun) -> None:
        self._done_before += self.tasks
        self._show(self._done_before)

    def _show(self, done: int) -> None:
        now = perf_counter()
        elapsed = now - self.t0
        if not self.enabled or elapsed < PROGRESS_AFTER_S or now - self._last < PROGRESS_EVERY_S:
            return
        self._last = now
        self._shown = True
        self.out.write(f"\r{self._name}: {done:,} of {self.total:,} tasks done, {elapsed:.1f} s\033[K")
        self.out.flush()

    def close(self) -> None:
        if self._shown:
            self.out.write("\r\033[K")
            self.out.flush()


def _executor(runtime: str) -> tuple[Callable[[RunSpec], Executor], Callable[[], None]]:
    if runtime == "lab":
        from conclab.engines.lab_client import LabPool

        pool = LabPool()
        return (lambda _spec: pool), pool.close
    from conclab.engines.runtime import Runtime
    from conclab.engines.session import InProcessExecutor

    if runtime == "qt":
        from conclab.ui.shell.qt_runtime import qthread_factory

        here = InProcessExecutor(Runtime(qthread_factory))
    else:
        here = InProcessExecutor(Runtime())
    return (lambda _spec: here), here.close


async def _run(request: SessionRequest, runtime: str, stop: StopToken, caught: list[int]) -> RunDocument:
    loop = asyncio.get_running_loop()

    def on_signal(sig: int) -> None:
        caught.append(sig)
        stop.set()

    for sig in EXIT_FOR_SIGNAL:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, on_signal, sig)
    executor_for, close = _executor(runtime)
    progress = ProgressLine(request)
    try:
        return await drive(request, executor_for, progress, stop)
    except SessionError as exc:
        if exc.partial is None or not caught:
            raise
        return exc.partial
    finally:
        progress.close()
        close()
        for sig in EXIT_FOR_SIGNAL:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(sig)


def run_request(request: SessionRequest, runtime: str = "lab") -> tuple[RunDocument, int | None]:
    """Run a whole request; returns the document and the signal that stopped it (None: ran to the end)."""
    stop = StopToken()
    caught: list[int] = []

    def main() -> Awaitable[RunDocument]:
        return _run(request, runtime, stop, caught)

    if runtime == "qt":
        from conclab.ui.shell.qt_runtime import run_on_qt_loop

        doc = run_on_qt_loop(main)
    else:
        docs: list[RunDocument] = []

        async def kept_apart() -> None:
            # Not returned: asyncio's runner formats its main task, result included, when it leaves.
            docs.append(await main())

        asyncio.run(kept_apart())
        doc = docs[0]
    return doc, (caught[0] if caught else None)


def exit_status(stopped_by: int | None) -> int:
    """130 after Ctrl+C, 143 after SIGTERM, 0 otherwise."""
    return 0 if stopped_by is None else EXIT_FOR_SIGNAL.get(signal.Signals(stopped_by), 1)
