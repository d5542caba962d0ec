"""The session layer: the one code path that turns a plan and its runs into a run document.

`run_session` runs a `SessionRequest` in this process, one run after another, on the running loop —
the lab does this in its own process, a run inside the window does it on the window's loop, and
`conclab run --runtime plain` on a plain loop. `drive` is what every caller uses: it splits a request
into consecutive groups that share where they are measured (the lab of one interpreter, or this
window), hands each group to the executor for that place, and assembles the one document. Nothing else
turns plans into run documents.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from dataclasses import replace
from itertools import groupby
from time import perf_counter
from typing import Protocol

from conclab.engines.context import TaskEnded
from conclab.engines.machine import machine_info, python_info
from conclab.engines.recorder import Recorder
from conclab.engines.runtime import Runtime
from conclab.engines.stop import StopToken
from conclab.engines.stream import FRAME_S, FramePump, next_frame_in
from conclab.model.errors import ConclabError
from conclab.model.live import LiveFrame
from conclab.model.metrics import compare_to_sequential
from conclab.model.plan_text import format_plan, parse
from conclab.model.run import ModelRun, Outcome, RunDocument
from conclab.model.session_spec import RunSpec, SessionRequest


class RunObserver(Protocol):
    """What `run_session` reports, on the loop's thread (task events may come from any thread)."""

    def run_started(self, index: int, spec: RunSpec, recorder: Recorder) -> None: ...

    def run_finished(self, index: int, run: ModelRun) -> None: ...

    def task_event(self, index: int, event: TaskEnded) -> None: ...


class SessionListener(Protocol):
    """What a session reports to whoever shows it: the same calls whether it runs here or in a lab."""

    def run_started(self, index: int, spec: RunSpec) -> None: ...

    def frame(self, frame: LiveFrame) -> None: ...

    def run_finished(self, index: int, run: ModelRun) -> None: ...


class Executor(Protocol):
    """Runs a request (all of whose runs it can measure) and reports to a listener."""

    async def run(self, request: SessionRequest, listener: SessionListener, stop: StopToken,
                  first_index: int) -> RunDocument: ...


class SessionError(ConclabError):
    """A session that ended before its document was complete; `partial` holds what was measured."""

    def __init__(self, message: str, partial: RunDocument | None = None) -> None:
        super().__init__(message)
        self.partial = partial


def failure_line(run_name: str, task_names: dict[int, str], event: TaskEnded) -> str:
    name = task_names.get(event.task, f"#{event.task}")
    return f"{run_name}: task {name} failed: {event.error}"


async def run_session(runtime: Runtime, request: SessionRequest, *, stop: StopToken | None = None,
                      observer: RunObserver | None = None, first_index: int = 0) -> RunDocument:
    """Run every run of `request` here, one after another; a stop ends the session after the current run."""
    request.check()
    plan = parse(request.plan_text)
    stop = stop or StopToken()
    if plan.kinds() & {"cpu", "hash"}:
        await runtime.calibrate(check=True, stop=stop)
    old_switch = sys.getswitchinterval()
    if request.switch_interval_ms is not None:
        sys.setswitchinterval(request.switch_interval_ms / 1000)
    runs: list[ModelRun] = []
    try:
        for i, spec in enumerate(request.runs):
            if stop.is_set():
                break
            index = first_index + i
            recorder = Recorder(detail=request.detail)
            if observer is not None:
                observer.run_started(index, spec, recorder)
            sink = _ignore if observer is None else (lambda e, _i=index: observer.task_event(_i, e))
            run = await runtime.run(plan, spec.model, workers=spec.workers, recorder=recorder, sink=sink,
                                    stop=stop)
            run.label, run.runtime, run.python = spec.label, str(spec.runtime), python_info()
            runs.append(run)
            if observer is not None:
                observer.run_finished(index, run)
    finally:
        sys.setswitchinterval(old_switch)
    compare_to_sequential(runs)
    return RunDocument(format_plan(plan), machine_info(), runtime.calibration_info(), runs)


def _ignore(_event: TaskEnded) -> None:
    pass


class _PumpingObserver:
    """Feeds a listener from a run here: a frame every 1/30 s from a loop timer, and one at the end."""

    def __init__(self, listener: SessionListener, request: SessionRequest, first_index: int) -> None:
        self.listener = listener
        self.names = {t.id: t.name for t in parse(request.plan_text).tasks()}
        self.run_names = {first_index + i: spec.name for i, spec in enumerate(request.runs)}
        self._pump: FramePump | None = None
        self._timer: asyncio.TimerHandle | None = None

    def run_started(self, index: int, spec: RunSpec, recorder: Recorder) -> None:
        self._pump = FramePump(recorder, index)
        self.listener.run_started(index, spec)
        self._schedule()

    def _schedule(self, after: float = FRAME_S) -> None:
        self._timer = asyncio.get_running_loop().call_later(after, self._tick)

    def _tick(self) -> None:
        if self._pump is not None:
            t0 = perf_counter()
            self.listener.frame(self._pump.frame())
            self._schedule(next_frame_in(perf_counter() - t0))

    def task_event(self, index: int, event: TaskEnded) -> None:
        if event.outcome == Outcome.FAILED and self._pump is not None:
            self._pump.add_failure(failure_line(self.run_names.get(index, ""), self.names, event))

    def run_finished(self, index: int, run: ModelRun) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._pump is not None:
            self.listener.frame(self._pump.frame())
        self._pump = None
        self.listener.run_finished(index, run)


class InProcessExecutor:
    """Runs sessions in this process on a runtime (plain threads, or the window's QThreads)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def run(self, request: SessionRequest, listener: SessionListener, stop: StopToken,
                  first_index: int) -> RunDocument:
        observer = _PumpingObserver(listener, request, first_index)
        return await run_session(self.runtime, request, stop=stop, observer=observer, first_index=first_index)

    def close(self) -> None:
        self.runtime.close()


ExecutorFor = Callable[[RunSpec], Executor]


def _place(spec: RunSpec) -> tuple[str, str]:
    return str(spec.runtime), spec.python or ""


async def drive(request: SessionRequest, executor_for: ExecutorFor, listener: SessionListener,
                stop: StopToken | None = None) -> RunDocument:
    """Run a whole request: each group of consecutive runs measured in one place goes to its executor.

    Runs keep their order and their index in the request. A stop ends the session after the current
    run; a group that fails raises SessionError carrying the runs measured so far.
    """
    request.check()
    stop = stop or StopToken()
    runs: list[ModelRun] = []
    first: RunDocument | None = None
    calibration: dict[str, object] = {}
    index = 0
    for _place_key, group in groupby(request.runs, key=_place):
        specs = tuple(group)
        if stop.is_set():
            break
        part = replace(request, runs=specs)
        try:
            doc = await executor_for(specs[0]).run(part, listener, stop, index)
        except SessionError as exc:
            got = exc.partial.runs if exc.partial is not None else []
            exc.partial = _assemble(request, first or exc.partial, calibration, runs + got)
            raise
        first = first or doc
        calibration = calibration or dict(doc.calibration)
        runs.extend(doc.runs)
        index += len(specs)
    return _assemble(request, first, calibration, runs)


def _assemble(request: SessionRequest, first: RunDocument | None, calibration: dict[str, object],
              runs: list[ModelRun]) -> RunDocument:
    plan = first.plan if first is not None else format_plan(parse(request.plan_text))
    machine = dict(first.machine) if first is not None else machine_info()
    # Runs arrive one by one as each ends (from a lab, before its session compared them): the
    # speed-ups against the session's measured sequential run are set here, over all of them.
    compare_to_sequential(runs)
    return RunDocument(plan, machine, dict(calibration), runs)
