"""The run controller: owns the one running run, drives the engines on the window's qasync loop,
and feeds live data to the views at ~30 Hz."""

from __future__ import annotations

import asyncio
import sys
from time import perf_counter

from PySide6.QtCore import QObject, QTimer, Signal

from conclab.engines.context import RunEvent
from conclab.engines.machine import machine_info
from conclab.engines.recorder import Recorder
from conclab.engines.runtime import Runtime, check_workers
from conclab.engines.stop import StopToken
from conclab.model.errors import ConclabError
from conclab.model.plan import Plan
from conclab.model.plan_text import format_plan
from conclab.model.run import ModelRun, RunDocument
from conclab.model.trace import Span
from conclab.ui.shell.bridge import EngineBridge
from conclab.ui.shell.qt_runtime import qthread_factory

FRAME_MS = 33


class RunController(QObject):
    """Runs a plan under several models one after another; at most one run at a time."""

    run_started = Signal(list)  # models
    model_started = Signal(str)
    live_updated = Signal(list, list, list, float)  # new spans, changed open spans, new lag samples, now
    progress_changed = Signal(int, int, float)  # done, total, elapsed seconds
    model_finished = Signal(object)  # ModelRun
    run_finished = Signal(object)  # RunDocument (possibly partial, when stopped)
    run_failed = Signal(str)
    task_failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runtime = Runtime(qthread_factory, kind="qt")
        self.bridge = EngineBridge(self)
        self.bridge.events_arrived.connect(self._on_events)
        self._timer = QTimer(self)
        self._timer.setInterval(FRAME_MS)
        self._timer.timeout.connect(self._on_frame)
        self._task: asyncio.Task[None] | None = None
        self._active = False
        self._closed = False
        self._stop: StopToken | None = None
        self._recorder: Recorder | None = None
        self._lag_seen = 0
        self._done_before = 0
        self._total = 0
        self._t_start = 0.0
        self.last_document: RunDocument | None = None

    @property
    def running(self) -> bool:
        """True from `start` until just before `run_finished` is emitted."""
        return self._active

    def start(self, plan: Plan, models: list[str], workers: int | None, switch_ms: float | None) -> bool:
        """Start a run; returns False (and emits run_failed) if it cannot start."""
        if self.running or self._closed:
            return False
        try:
            for m in models:
                check_workers(m, workers)
            if not models:
                raise ConclabError("choose at least one model to run")
        except ConclabError as exc:
            self.run_failed.emit(str(exc))
            return False
        if switch_ms is not None:
            sys.setswitchinterval(max(0.0001, switch_ms / 1000))
        self._stop = StopToken()
        self._total = plan.task_count * len(models)
        self._done_before = 0
        self._t_start = perf_counter()
        self._active = True
        self._task = asyncio.ensure_future(self._run_all(plan, models, workers, self._stop))
        self.run_started.emit(list(models))
        self._timer.start()
        return True

    def stop(self) -> None:
        if self._stop is not None:
            self._stop.set()

    async def _run_all(self, plan: Plan, models: list[str], workers: int | None, stop: StopToken) -> None:
        runs: list[ModelRun] = []
        try:
            for model in models:
                if stop.is_set():
                    break
                self._recorder = Recorder()
                self._lag_seen = 0
                self.model_started.emit(model)
                run = await self.runtime.run(plan, model, workers=workers, recorder=self._recorder,
                                             sink=self.bridge.post, stop=stop)
                self._on_frame()
                self._done_before += plan.task_count
                self._recorder = None
                runs.append(run)
                self.model_finished.emit(run)
        except ConclabError as exc:
            self.run_failed.emit(str(exc))
        except Exception as exc:
            self.run_failed.emit(f"the run failed: {type(exc).__name__}: {exc}")
        finally:
            self._timer.stop()
            self._recorder = None
            doc = RunDocument(format_plan(plan), machine_info(), self.runtime.calibration_info(), runs)
            self.last_document = doc
            self._active = False
            self.run_finished.emit(doc)

    def _on_frame(self) -> None:
        rec = self._recorder
        elapsed = perf_counter() - self._t_start
        if rec is None:
            self.progress_changed.emit(self._done_before, self._total, elapsed)
            return
        spans: list[Span] = rec.drain()
        opened = rec.open_changes()
        lag = rec.lag[self._lag_seen:]
        self._lag_seen += len(lag)
        self.live_updated.emit(spans, opened, lag, rec.elapsed())
        self.progress_changed.emit(self._done_before + len(rec.done), self._total, elapsed)

    def _on_events(self, events: list[RunEvent]) -> None:
        for e in events:
            if e.kind == "finished" and e.state == "failed":
                self.task_failed.emit(f"task {e.task} failed: {e.error}")

    async def wait(self) -> None:
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)

    def shutdown(self) -> None:
        """Stop any run and the loopback server (called when the app quits)."""
        self._closed = True
        self.stop()
        self._timer.stop()
        self.runtime.close()
