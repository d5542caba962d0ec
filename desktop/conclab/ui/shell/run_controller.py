"""The run controller: starts sessions and hands back their run handles.

It owns where runs are measured: a warm lab per interpreter (the default — the window only observes),
and this window's own loop and QThreads for runs made "inside this window". A run inside the window
is also measured in the lab afterwards, so the window's cost is shown, not hidden.
"""

from __future__ import annotations

import asyncio
import contextlib

from PySide6.QtCore import QObject, Signal

from conclab.engines.lab_client import LabPool
from conclab.engines.runtime import Runtime, check_workers
from conclab.engines.session import Executor, InProcessExecutor, drive
from conclab.engines.stop import StopToken
from conclab.model.errors import ConclabError
from conclab.model.live import LiveFrame
from conclab.model.plan_text import parse
from conclab.model.run import ModelRun, RunDocument
from conclab.model.session_spec import RunSpec, SessionRequest
from conclab.model.session_spec import Runtime as Where
from conclab.ui.shell.qt_runtime import qthread_factory
from conclab.ui.shell.run_handle import RunHandle
from conclab.ui.shell.window_heartbeat import WindowHeartbeat


class _Quiet:
    """A listener for the lab runs made only to compare with runs inside the window."""

    def run_started(self, index: int, spec: RunSpec) -> None:
        pass

    def frame(self, frame: LiveFrame) -> None:
        pass

    def run_finished(self, index: int, run: ModelRun) -> None:
        pass


class RunController(QObject):
    """At most one run at a time; `start` returns its handle (None when one is already going)."""

    run_started = Signal(object)  # RunHandle: every run, for views that follow whatever runs
    lab_problem = Signal(str)  # the lab could not be started ahead of a run

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.labs = LabPool()
        self.window_runtime = Runtime(qthread_factory)
        self._window_executor = InProcessExecutor(self.window_runtime)
        self.heartbeat = WindowHeartbeat()
        self.current: RunHandle | None = None
        self.last_document: RunDocument | None = None
        self._closed = False
        self._warming: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        """True from `start` until the handle's `finished` has been emitted."""
        return self.current is not None and not self.current.state.over

    def warm_up(self, python: str | None = None) -> None:
        """Start the lab now (it calibrates while the user reads), so the first run starts at once."""
        if self._closed or (self._warming is not None and not self._warming.done()):
            return
        self._warming = asyncio.ensure_future(self._warm(python))

    async def _warm(self, python: str | None) -> None:
        try:
            await self.labs.client(python).start()
        except ConclabError as exc:
            self.lab_problem.emit(str(exc))

    def start(self, request: SessionRequest) -> RunHandle | None:
        """Start a session; None when a run is going or the window is closing. Raises ConclabError for a
        request that cannot run (nothing starts then)."""
        if self.running or self._closed:
            return None
        request.check()
        for spec in request.runs:
            check_workers(spec.model, spec.workers)
        plan = parse(request.plan_text)
        handle = RunHandle(request, plan.task_count, self.heartbeat, self)
        handle.finished.connect(self._on_finished)
        self.current = handle
        self.heartbeat.start()
        handle.start(self._drive)
        self.run_started.emit(handle)
        return handle

    def stop(self) -> None:
        if self.current is not None:
            self.current.stop()

    def _executor_for(self, spec: RunSpec) -> Executor:
        return self._window_executor if spec.runtime == Where.WINDOW else self.labs

    async def _drive(self, handle: RunHandle) -> RunDocument:
        if self._warming is not None:
            await asyncio.gather(self._warming, return_exceptions=True)
        doc = await drive(handle.request, self._executor_for, handle.listener, handle.stop_token)
        if not handle.stop_token.is_set():
            await self._compare_with_lab(doc, handle.stop_token)
        return doc

    async def _compare_with_lab(self, doc: RunDocument, stop: StopToken) -> None:
        """Measure each run made inside the window again in the lab, unless the session already has it."""
        inside = [r for r in doc.runs if r.runtime == Where.WINDOW and not r.metrics.get("tasks_cancelled")]
        if not inside:
            return
        lab_walls = {(r.model, r.workers): r.metrics["wall_s"] for r in doc.runs if r.runtime == Where.LAB}
        missing = [r for r in inside if (r.model, r.workers) not in lab_walls]
        if missing:
            shadow = SessionRequest(doc.plan, tuple(RunSpec(r.model, r.workers, label=f"{r.name} (lab)")
                                                    for r in missing))
            with contextlib.suppress(ConclabError):
                measured = await drive(shadow, lambda _s: self.labs, _Quiet(), stop)
                lab_walls.update({(r.model, r.workers): r.metrics["wall_s"] for r in measured.runs})
        for run in inside:
            lab = lab_walls.get((run.model, run.workers))
            if lab:
                run.metrics["lab_wall_s"] = lab
                run.metrics["window_slowdown"] = run.metrics["wall_s"] / lab

    def _on_finished(self, doc: RunDocument) -> None:
        self.last_document = doc
        self.heartbeat.stop()

    async def wait(self) -> None:
        if self.current is not None:
            await self.current.wait()

    def shutdown(self) -> None:
        """Stop any run, the labs and the loopback server of runs inside the window (the app quits)."""
        self._closed = True
        self.stop()
        self.heartbeat.stop()
        if self._warming is not None:
            self._warming.cancel()
        self.labs.close()
        self.window_runtime.close()

