"""The `asyncio` model: one coroutine per task on the running loop (qasync's in the window).

Step bodies are the idiomatic ones: `asyncio.sleep`, asyncio streams, and — deliberately — blocking
calls and pure-Python work run right on the loop, where they hold it. `in thread` / `in process`
offload a step with an executor, the standard fix.
"""

from __future__ import annotations

import asyncio
from time import perf_counter

from conclab.engines import sync_task, work
from conclab.engines.context import RunContext, RunEvent, cancel_on_stop, settle_threadsafe
from conclab.engines.pool import WorkerPool
from conclab.engines.procpool import ProcessWorkers
from conclab.engines.recorder import Lane
from conclab.engines.stop import Cancelled, StepError
from conclab.model.plan import Step, TaskSpec

OFFLOAD_THREADS = 8
START_BATCH = 500


async def _sleep(lane: Lane, task: int, index: int, secs: float) -> None:
    t0 = perf_counter()
    lane.open = (task, index, "io_wait", t0)
    deadline = t0 + secs
    try:
        await asyncio.sleep(secs)
    finally:
        lane.open = None
    t = perf_counter()
    if t - deadline > work.MIN_READY_S:
        lane.add(task, index, "io_wait", t0, deadline)
        lane.add(task, index, "ready_wait", deadline, t)
    else:
        lane.add(task, index, "io_wait", t0, t)


async def _net(lane: Lane, task: int, index: int, secs: float, addr: tuple[str, int]) -> None:
    t0 = perf_counter()
    lane.open = (task, index, "io_wait", t0)
    writer: asyncio.StreamWriter | None = None
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(*addr), 5.0)
        connected = perf_counter()
        writer.write(b"%d\n" % round(secs * 1e6))  # type: ignore[union-attr]
        line = await reader.readline()
        if not line:
            raise ConnectionError("the loopback server closed the connection")
    except OSError as exc:
        lane.add(task, index, "io_wait", t0, perf_counter())
        raise StepError(work.describe_net_error(exc)) from exc
    finally:
        lane.open = None
        if writer is not None:
            writer.close()
    work.record_round_trip(lane, task, index, t0, connected, line, perf_counter())


class AsyncioEngine:
    """Runs every task as a coroutine; `workers` (optional) bounds how many run at once."""

    def __init__(self, workers: int | None, needs_threads: bool, needs_processes: bool) -> None:
        self.workers = workers
        self._needs_threads = needs_threads
        self._needs_processes = needs_processes
        self._threads: WorkerPool | None = None
        self._procs: ProcessWorkers | None = None

    def prepare(self, ctx: RunContext) -> None:
        if self._needs_threads:
            self._threads = WorkerPool(ctx.thread_factory, OFFLOAD_THREADS, "offload thread", ctx.recorder)

    async def aprepare(self, ctx: RunContext) -> None:
        if self._needs_processes:
            self._procs = ProcessWorkers(None, ctx)
            await self._procs.start()

    async def _offload_thread(self, ctx: RunContext, task: int, index: int, step: Step) -> None:
        assert self._threads is not None
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()

        def job(lane: Lane) -> None:
            try:
                sync_task.run_step(lane, task, index, step, ctx.calibration, ctx.addr, ctx.stop)
            except BaseException as exc:
                settle_threadsafe(loop, fut, exc=exc)
            else:
                settle_threadsafe(loop, fut, None)

        self._threads.submit(task, job)
        await fut

    async def _task(self, ctx: RunContext, task: TaskSpec, sem: asyncio.Semaphore | None) -> None:
        if task.start_s > 0:
            await asyncio.sleep(max(0.0, task.start_s - ctx.recorder.elapsed()))
        lane = ctx.recorder.lane(f"task {task.id}")
        due = ctx.recorder.origin + task.start_s
        first_turn = perf_counter()
        if first_turn - due > work.MIN_READY_S:
            # Due, but its coroutine only got its first turn now: the loop was busy with others.
            lane.add(task.id, -1, "ready_wait", due, first_turn)
        try:
            if sem is not None:
                t0 = perf_counter()
                await sem.acquire()
                if perf_counter() - t0 > work.MIN_READY_S:
                    lane.add(task.id, -1, "queued", t0, perf_counter())
            try:
                ctx.sink(RunEvent("started", task.id))
                await self._steps(ctx, task, lane)
            finally:
                if sem is not None:
                    sem.release()
            ctx.finish(task, "done")
        except (Cancelled, asyncio.CancelledError):
            ctx.finish(task, "cancelled")
        except Exception as exc:
            ctx.fail(task, exc)

    async def _steps(self, ctx: RunContext, task: TaskSpec, lane: Lane) -> None:
        for i, step in enumerate(task.steps):
            if ctx.stop.is_set():
                raise Cancelled
            if step.offload is not None:
                t0 = perf_counter()
                lane.open = (task.id, i, "io_wait", t0)
                try:
                    if step.offload == "thread":
                        await self._offload_thread(ctx, task.id, i, step)
                    else:
                        assert self._procs is not None
                        await self._procs.run_task(ctx, task, steps=(step,), first_index=i)
                finally:
                    lane.open = None
                    lane.add(task.id, i, "io_wait", t0, perf_counter())
            elif step.kind == "sleep":
                await _sleep(lane, task.id, i, step.duration_s)
            elif step.kind == "net":
                if ctx.addr is None:
                    raise StepError("no loopback server is running for net steps")
                await _net(lane, task.id, i, step.duration_s, ctx.addr)
            else:
                # block, cpu and hash run right here on the loop: that is the point being shown.
                sync_task.run_step(lane, task.id, i, step, ctx.calibration, ctx.addr, ctx.stop,
                                   block_state="blocking")

    async def run(self, ctx: RunContext) -> None:
        sem = asyncio.Semaphore(self.workers) if self.workers else None
        coros: list[asyncio.Future[None]] = []
        cancel_on_stop(ctx, coros)
        for i, t in enumerate(ctx.tasks):
            coros.append(asyncio.ensure_future(self._task(ctx, t, sem)))
            if i % START_BATCH == START_BATCH - 1:
                # Let the loop breathe between batches: starting 100,000 tasks in one go would hold it
                # (and the window) for seconds; each batch's first steps run before the next is made.
                await asyncio.sleep(0)
                if ctx.stop.is_set():
                    break  # tasks never started are counted as cancelled by the runtime
        if coros:
            await asyncio.gather(*coros, return_exceptions=True)

    @property
    def children(self) -> ProcessWorkers | None:
        """The process workers of `in process` offloads, if the plan has any."""
        return self._procs

    def teardown(self) -> None:
        if self._threads is not None:
            self._threads.shutdown()
            self._threads = None
        if self._procs is not None:
            self._procs.shutdown()
            self._procs = None
