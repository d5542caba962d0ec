"""A run handle: one session started by the controller, with its own typed signals and state.

Whoever starts a run keeps its handle and listens to that handle only, so the main window and a
lesson page never have to tell their runs apart with flags. The handle listens to the session:
frames and runs arrive from the lab's stream (or from a run inside this window) on the GUI thread, at
its `listener`, and leave as signals. It also measures what the window itself went through during each
run — how late its own event loop was, and how much of a core its thread used — and adds that to the
run's metrics.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from enum import Enum
from time import perf_counter, thread_time
from typing import Any

from PySide6.QtCore import QObject, Signal

from conclab.engines.stop import StopToken
from conclab.model.live import LiveFrame
from conclab.model.metrics import lag_metrics
from conclab.model.run import ModelRun, RunDocument
from conclab.model.session_spec import RunSpec, SessionRequest
from conclab.ui.shell.window_heartbeat import WindowHeartbeat


class RunState(Enum):
    """Where a run handle is in its life."""

    RUNNING = "running"
    STOPPING = "stopping"
    FINISHED = "finished"  # every run of the request completed
    STOPPED = "stopped"  # stopped by the user; the document holds what was measured
    FAILED = "failed"  # ended by an error; the document holds what was measured before it

    @property
    def over(self) -> bool:
        return self in (RunState.FINISHED, RunState.STOPPED, RunState.FAILED)


class RunHandle(QObject):
    """One session in progress. Signals arrive on the GUI thread, in this order: `run_started`,
    `frame_arrived`…, `run_finished` for each run of the request; then `finished` once."""

    state_changed = Signal(object)  # RunState
    run_started = Signal(int, object)  # index in the request, RunSpec
    frame_arrived = Signal(object)  # LiveFrame
    run_finished = Signal(int, object)  # index, ModelRun (with the window's own metrics added)
    progress_changed = Signal(int, int, float)  # tasks done, tasks in all runs, seconds since start
    task_failed = Signal(str)
    finished = Signal(object)  # RunDocument: complete, stopped, or what was measured before a failure
    failed = Signal(str)  # why the run ended early (emitted just before `finished`)

    def __init__(self, request: SessionRequest, tasks_per_run: int, heartbeat: WindowHeartbeat,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.request = request
        self.stop_token = StopToken()
        self.state = RunState.RUNNING
        self.document: RunDocument | None = None
        self.error = ""
        self._heartbeat = heartbeat
        self._tasks_per_run = tasks_per_run
        self._done_before = 0
        self._t0 = perf_counter()
        self._run_t0 = 0.0
        self._run_cpu0 = 0.0
        self._task: asyncio.Task[None] | None = None
        self.listener = _Listener(self)

    @property
    def total_tasks(self) -> int:
        return self._tasks_per_run * len(self.request.runs)

    def stop(self) -> None:
        """Ask the run to stop; `finished` follows within about 200 ms (the lab is ended after 1 s)."""
        if self.state == RunState.RUNNING:
            self._set_state(RunState.STOPPING)
            self.stop_token.set()

    def start(self, body: Callable[[RunHandle], Coroutine[Any, Any, RunDocument]]) -> None:
        """Run `body` (the controller's session driver) on the running loop; the handle keeps the task."""
        self._task = asyncio.ensure_future(self._main(body))

    async def wait(self) -> None:
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)

    async def _main(self, body: Callable[[RunHandle], Coroutine[Any, Any, RunDocument]]) -> None:
        from conclab.engines.session import SessionError
        from conclab.model.errors import ConclabError

        doc: RunDocument | None = None
        try:
            doc = await body(self)
        except SessionError as exc:
            self.error, doc = str(exc), exc.partial
        except ConclabError as exc:
            self.error = str(exc)
        except Exception as exc:
            self.error = f"the run failed: {type(exc).__name__}: {exc}"
        self.document = doc or RunDocument(self.request.plan_text, {}, {}, [])
        if self.error:
            end = RunState.FAILED
        elif self.stop_token.is_set() or any(r.metrics.get("tasks_cancelled", 0) for r in self.document.runs):
            end = RunState.STOPPED
        else:
            end = RunState.FINISHED
        self._set_state(end)
        if self.error:
            self.failed.emit(self.error)
        self.finished.emit(self.document)

    def _set_state(self, state: RunState) -> None:
        self.state = state
        self.state_changed.emit(state)

    # -- what the session reports (through `listener`) -----------------------------------------------
    def _on_run_started(self, index: int, spec: RunSpec) -> None:
        self._run_t0 = perf_counter()
        self._run_cpu0 = thread_time()
        self._heartbeat.mark()
        self.run_started.emit(index, spec)

    def _on_frame(self, frame: LiveFrame) -> None:
        self.frame_arrived.emit(frame)
        for line in frame.failures:
            self.task_failed.emit(line)
        self.progress_changed.emit(self._done_before + frame.done, self.total_tasks, perf_counter() - self._t0)

    def _on_run_finished(self, index: int, run: ModelRun) -> None:
        wall = max(perf_counter() - self._run_t0, 1e-9)
        window = lag_metrics(self._heartbeat.since_mark())
        run.metrics["window_lag_p99_ms"] = window["lag_p99_ms"]
        run.metrics["window_lag_max_ms"] = window["lag_max_ms"]
        # The window's thread holds the GIL whenever it runs Python, so its CPU time bounds what it took.
        run.metrics["window_cpu_share"] = min(1.0, (thread_time() - self._run_cpu0) / wall)
        self._done_before += self._tasks_per_run
        self.run_finished.emit(index, run)
        self.progress_changed.emit(self._done_before, self.total_tasks, perf_counter() - self._t0)


class _Listener:
    """The session's listener for one handle (the handle's signals carry the same names)."""

    def __init__(self, handle: RunHandle) -> None:
        self._handle = handle

    def run_started(self, index: int, spec: RunSpec) -> None:
        self._handle._on_run_started(index, spec)

    def frame(self, frame: LiveFrame) -> None:
        self._handle._on_frame(frame)

    def run_finished(self, index: int, run: ModelRun) -> None:
        self._handle._on_run_finished(index, run)
