"""The runtime: runs a plan under a model on the running loop and returns a measured `ModelRun`.

It owns what outlives a single run — the calibration and the loopback server — and sets up and tears
down what belongs to one run (worker pools, process pools). Setting up is measured as `startup_s` and
kept out of `wall_s`, so models compare on their work.
"""

from __future__ import annotations

import asyncio
import gc
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from time import perf_counter
from typing import Any, Protocol, TypeVar

from conclab.engines import work
from conclab.engines.aio import AsyncioEngine
from conclab.engines.calibrate import Calibration, drifted, measure, set_calibration
from conclab.engines.context import (
    RunContext,
    Sink,
    TaskEnded,
    ThreadFactory,
    plain_thread_factory,
    settle_threadsafe,
)
from conclab.engines.netserver import NetServer
from conclab.engines.probe import Heartbeat, ResourceProbe
from conclab.engines.procpool import ProcessEngine
from conclab.engines.recorder import Recorder
from conclab.engines.stop import Cancelled, StopFlag, StopToken
from conclab.engines.threaded import ThreadedEngine
from conclab.model.errors import ConclabError
from conclab.model.metrics import compute_metrics
from conclab.model.plan import Plan
from conclab.model.run import ModelRun
from conclab.model.session_spec import default_workers as session_defaults
from conclab.model.trace import MODELS

T = TypeVar("T")

MAX_THREADS = int(os.environ.get("CONCLAB_MAX_THREADS", "2000"))
MAX_PROCESSES = int(os.environ.get("CONCLAB_MAX_PROCESSES", "64"))


RUN_GC_THRESHOLDS = (20_000, 1000, 1000)


@contextmanager
def young_gc_only() -> Iterator[None]:
    """During a run, collect only young objects: a full collection over a heap holding 100,000 live
    tasks stalls the loop for ~0.4 s each time, which would be the instrument's doing, not the plan's.
    The heap that existed before the run is frozen out of collections; everything is restored after."""
    old = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*RUN_GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*old)
        gc.unfreeze()


def _calibrated(previous: Calibration | None, stop: StopFlag | None = None) -> tuple[Calibration, float] | None:
    """Fresh work rates and what recording costs on cpu work, or None when `previous` still holds or the
    session was stopped meanwhile (a stop must not wait for a measurement no run will use)."""
    try:
        if previous is not None and not drifted(previous, stop=stop):
            return None
        cal = measure(stop=stop)
    except Cancelled:
        return None
    if stop is not None and stop.is_set():
        return None
    set_calibration(cal)
    return cal, work.measure_overhead(cal)


class RunError(ConclabError):
    """A run that cannot start: unknown model, too many workers, the server would not start."""


class Engine(Protocol):
    """What a model's engine offers the runtime: set up, run every task of a context, tear down."""

    def prepare(self, ctx: RunContext) -> None: ...

    async def run(self, ctx: RunContext) -> None: ...

    def teardown(self) -> None: ...


def default_workers(model: str, tasks: int) -> int:
    """The pool size of a model here when none is asked for (see `session_spec.default_workers`)."""
    return max(1, session_defaults(model, tasks, os.cpu_count() or 1))


def check_workers(model: str, workers: int | None) -> None:
    if workers is None:
        return
    if workers < 1:
        raise RunError(f"workers must be at least 1 (got {workers})")
    if model == "threads" and workers > MAX_THREADS:
        raise RunError(f"{workers} threads is more than this app starts (at most {MAX_THREADS}); "
                       f"use a pool of, say, {min(MAX_THREADS, 256)} workers")
    if model == "processes" and workers > MAX_PROCESSES:
        raise RunError(f"{workers} processes is more than this app starts (at most {MAX_PROCESSES}); "
                       f"use a pool of {os.cpu_count() or 1}, one per core")


class Runtime:
    """Runs plans on the current event loop; `close()` stops the loopback server.

    It owns what outlives one run: the calibration (checked at the start of every session and measured
    again when the machine's speed has drifted) and the loopback server.
    """

    def __init__(self, thread_factory: ThreadFactory | None = None) -> None:
        self.thread_factory = thread_factory or plain_thread_factory
        self.server = NetServer()
        self.calibration: Calibration | None = None
        self.recording_overhead: float | None = None

    async def _in_thread(self, fn: Callable[[], T]) -> T:
        """Run set-up work off the loop (so a window stays responsive) on a factory thread."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[T] = loop.create_future()

        def target() -> None:
            try:
                result = fn()
            except BaseException as exc:
                settle_threadsafe(loop, fut, exc=exc)
            else:
                settle_threadsafe(loop, fut, result)

        handle = self.thread_factory(target, "conclab-setup")
        handle.start()
        try:
            return await fut
        finally:
            handle.join(5.0)

    async def calibrate(self, check: bool = True, stop: StopFlag | None = None) -> None:
        """Measure the work rates now, or (`check`) only if they are missing or have drifted; a `stop`
        ends the measurement early and keeps the numbers there were."""
        previous = self.calibration if check else None
        fresh = await self._in_thread(lambda: _calibrated(previous, stop))
        if fresh is not None:
            self.calibration, self.recording_overhead = fresh

    async def warm_up(self) -> None:
        """Calibrate and start the loopback server before any run asks for them (the lab does this)."""
        await self.calibrate(check=False)
        await self._start_server()

    async def ensure_ready(self, plan: Plan) -> None:
        """Calibrate and start the loopback server if the plan needs them (measured as start-up)."""
        kinds = plan.kinds()
        if kinds & {"cpu", "hash"} and self.calibration is None:
            await self.calibrate(check=False)
        if "net" in kinds:
            await self._start_server()

    async def _start_server(self) -> None:
        if not self.server.alive:
            try:
                await self._in_thread(self.server.start)
            except Exception as exc:
                raise RunError(f"could not start the loopback server for net steps: {exc}") from exc

    def _engine(self, plan: Plan, model: str, workers: int | None) -> tuple[Engine, int]:
        n = plan.task_count
        if model == "asyncio":
            offloads = plan.offloads()
            return AsyncioEngine(workers, "thread" in offloads, "process" in offloads), workers or 0
        if model == "processes":
            w = workers or default_workers(model, n)
            return ProcessEngine(w), w
        if model == "sequential":
            return ThreadedEngine(1, "worker", limits=False), 1
        w = workers or default_workers(model, n)
        return ThreadedEngine(w, "thread"), w

    async def run(
        self,
        plan: Plan,
        model: str,
        *,
        workers: int | None = None,
        recorder: Recorder | None = None,
        sink: Sink | None = None,
        stop: StopToken | None = None,
        detail: bool = True,
    ) -> ModelRun:
        """Run `plan` under `model`; returns when every task has ended (done, failed or cancelled)."""
        if model not in MODELS:
            raise RunError(f"unknown model {model!r} (choose from {', '.join(MODELS)})")
        check_workers(model, workers)
        t_setup = perf_counter()
        recorder = recorder or Recorder(detail=detail)
        stop = stop or StopToken()
        await self.ensure_ready(plan)
        engine, nworkers = self._engine(plan, model, workers)
        ctx = RunContext(plan.tasks(), recorder, stop, sink or _ignore, self.thread_factory,
                         self.calibration, self.server.addr)
        resources = ResourceProbe()
        heartbeat = Heartbeat(resources=resources, samples=recorder.lag)
        try:
            engine.prepare(ctx)
            aprepare = getattr(engine, "aprepare", None)
            if aprepare is not None:
                await aprepare(ctx)
            startup_s = perf_counter() - t_setup
            with young_gc_only():
                resources.begin()
                recorder.start()
                heartbeat.start(recorder.origin)
                try:
                    await engine.run(ctx)
                finally:
                    heartbeat.stop()
                    resources.end()
        finally:
            children = _children_of(engine)
            engine.teardown()
        ctx.cancel_unfinished()
        spans = recorder.spans()
        cpu_s, nctx, rss = resources.cpu_s, resources.ctx_switches, resources.peak_rss_mb
        if children is not None:
            cpu_s += children.child_cpu_s
            nctx += children.child_ctx
            rss += sum(children.child_rss_mb.values())
        metrics = compute_metrics(
            serial_s=plan.serial_s, critical_s=plan.critical_s, spans=spans, lag=heartbeat.samples,
            outcomes=ctx.outcomes.values(), cpu_s=cpu_s, ctx_switches=nctx, peak_rss_mb=rss,
            startup_s=startup_s,
        )
        outcomes = [ctx.outcomes[t.id] for t in ctx.tasks]
        run = ModelRun(model, nworkers, metrics, outcomes, spans, heartbeat.samples, recorder.lane_kinds())
        run.sources = dict(resources.sources)
        return run

    def close(self) -> None:
        self.server.stop()

    def calibration_info(self) -> dict[str, Any]:
        """The calibration, and the measured cost of recording on cpu work, for a run document."""
        if self.calibration is None:
            return {}
        info = self.calibration.to_dict()
        if self.recording_overhead is not None:
            info["recording_overhead"] = self.recording_overhead
        return info


def _children_of(engine: Any) -> Any:
    """The process workers of an engine that has them (their CPU time and memory count too)."""
    return getattr(engine, "children", None)


def _ignore(_event: TaskEnded) -> None:
    pass
