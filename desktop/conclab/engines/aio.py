"""The `asyncio` model: one coroutine per task on the running loop (qasync's in the window).

Step bodies are the idiomatic ones: `asyncio.sleep`, asyncio streams, and — deliberately — blocking
calls and pure-Python work run right on the loop, where they hold it. `in thread` / `in process`
offload a step with an executor, the standard fix.

Each task has its own lane, named after the task as the user wrote it. A coroutine that could go on
(its timer is due, its connection accepted, its reply on the socket, its offloaded step done or its
result back from a process) but has not been resumed yet is `ready_wait`, waiting for the loop.

A group's limit is an `asyncio.Semaphore` per group, taken when the task is due (before the model's
own worker limit); the wait for both is the task's `queued` span. A group's timeout is
`asyncio.timeout_at` the task's deadline around everything after it is due: the cancellation lands at
the `await` the task is suspended in, and the wait it ends is recorded up to that moment. A step that
holds the loop runs to its end first; an offloaded step runs on in its worker, recorded there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from time import perf_counter

from conclab.engines import sync_task, work
from conclab.engines.context import RunContext, cancel_on_stop, loop_time_at, settle_threadsafe
from conclab.engines.pool import WorkerPool
from conclab.engines.procpool import ProcessWorkers
from conclab.engines.recorder import Lane
from conclab.engines.stop import Cancelled, StepError
from conclab.model.plan import Step, TaskSpec
from conclab.model.trace import LOOP_LANE, MIN_READY_S, QUEUE_LANE, Cause, LaneKind, State

OFFLOAD_THREADS = 8
START_BATCH = 500


def unique_lane_names(names: Iterable[str], taken: Iterable[str] = ()) -> list[str]:
    """Lane names for tasks: each task's own name, with " (2)", " (3)"... where it is already taken."""
    seen = set(taken)
    out: list[str] = []
    for name in names:
        unique, n = name, 1
        while unique in seen:
            n += 1
            unique = f"{name} ({n})"
        seen.add(unique)
        out.append(unique)
    return out


def _resumed(lane: Lane, task: int, index: int, t0: float, due: float | None, t: float,
             state: str = State.IO_WAIT) -> None:
    """A wait from `t0` that could have ended at `due` (None: unknown), resumed by the loop at `t`."""
    if due is not None and t - due > MIN_READY_S:
        lane.add(task, index, state, t0, due)
        lane.add(task, index, State.READY_WAIT, due, t, Cause.LOOP)
    else:
        lane.add(task, index, state, t0, t)


async def _sleep(lane: Lane, task: int, index: int, secs: float) -> None:
    t0 = perf_counter()
    lane.open = (task, index, State.IO_WAIT, t0)
    try:
        await asyncio.sleep(secs)
    except asyncio.CancelledError:
        # Cancelled at its timer or later: a timer that was already due waited for the loop meanwhile.
        _resumed(lane, task, index, t0, t0 + secs, perf_counter())
        raise
    finally:
        lane.open = None
    _resumed(lane, task, index, t0, t0 + secs, perf_counter())


async def _net(lane: Lane, task: int, index: int, secs: float, addr: tuple[str, int]) -> None:
    t0 = perf_counter()
    lane.open = (task, index, State.IO_WAIT, t0)
    writer: asyncio.StreamWriter | None = None
    try:
        # Not `wait_for`: on Python 3.11 it runs the connection in a new task that starts only at the
        # loop's next turn, so a task blocking the loop now would delay even the connect() call.
        async with asyncio.timeout(work.CONNECT_TIMEOUT_S):
            reader, writer = await asyncio.open_connection(*addr)
        connected = perf_counter()
        writer.write(b"%d\n" % round(secs * 1e6))
        line = await reader.readline()
        if not line:
            raise ConnectionError("the loopback server closed the connection")
    except OSError as exc:
        lane.add(task, index, State.IO_WAIT, t0, perf_counter())
        raise StepError(work.describe_net_error(exc)) from exc
    except asyncio.CancelledError:
        lane.add(task, index, State.IO_WAIT, t0, perf_counter())
        raise
    finally:
        lane.open = None
        if writer is not None:
            writer.close()
    work.record_round_trip(lane, task, index, t0, connected, line, perf_counter(), work.loop_wait,
                           work.loop_wait)


class AsyncioEngine:
    """Runs every task as a coroutine; `workers` (optional) bounds how many run at once."""

    def __init__(self, workers: int | None, needs_threads: bool, needs_processes: bool) -> None:
        self.workers = workers
        self._needs_threads = needs_threads
        self._needs_processes = needs_processes
        self._threads: WorkerPool | None = None
        self._procs: ProcessWorkers | None = None
        self._lane_names: dict[int, str] = {}

    def prepare(self, ctx: RunContext) -> None:
        if self._needs_threads:
            self._threads = WorkerPool(ctx.thread_factory, OFFLOAD_THREADS, "offload thread", ctx.recorder,
                                       LaneKind.OFFLOAD)
        taken = {LOOP_LANE, QUEUE_LANE, *ctx.recorder.lane_kinds()}
        names = unique_lane_names((t.name for t in ctx.tasks), taken)
        self._lane_names = {t.id: name for t, name in zip(ctx.tasks, names, strict=True)}

    async def aprepare(self, ctx: RunContext) -> None:
        if self._needs_processes:
            self._procs = ProcessWorkers(None, ctx)
            await self._procs.start()

    async def _offload_thread(self, ctx: RunContext, task: int, index: int, step: Step) -> float:
        """Run a step on an offload thread; returns the moment it finished there."""
        assert self._threads is not None
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[float] = loop.create_future()

        def job(lane: Lane) -> None:
            try:
                sync_task.run_step(lane, task, index, step, ctx.calibration, ctx.addr, ctx.stop)
            except BaseException as exc:
                settle_threadsafe(loop, fut, exc=exc)
            else:
                settle_threadsafe(loop, fut, perf_counter())

        # Like `asyncio.to_thread`: a job whose coroutine was cancelled before a thread took it never runs.
        self._threads.submit(task, job, claim=lambda: not fut.cancelled())
        return await fut

    def _lane(self, ctx: RunContext, task: TaskSpec) -> Lane:
        return ctx.recorder.lane(self._lane_names.get(task.id, task.name), LaneKind.TASK)

    async def _task(self, ctx: RunContext, task: TaskSpec, slots: Sequence[asyncio.Semaphore]) -> None:
        if task.start_s > 0:
            await asyncio.sleep(max(0.0, task.start_s - ctx.recorder.elapsed()))
        lane = self._lane(ctx, task)
        due = ctx.due_at(task)
        first_turn = perf_counter()
        if first_turn - due > MIN_READY_S:
            # Due, but its coroutine only got its first turn now: the loop was busy with others.
            lane.add(task.id, -1, State.READY_WAIT, due, first_turn, Cause.LOOP)
        deadline = ctx.deadline_at(task)
        timer = None if deadline is None else asyncio.timeout_at(loop_time_at(deadline))
        try:
            if timer is None:  # the common case, kept lean: 100,000 tasks pay for every extra layer
                await (self._in_slots(ctx, task, lane, slots) if slots else self._steps(ctx, task, lane))
            else:
                async with timer:
                    await self._in_slots(ctx, task, lane, slots)
            ctx.end(task, "done")
        except (Cancelled, asyncio.CancelledError, TimeoutError) as exc:
            if timer is not None and timer.expired():
                ctx.time_out(task)
            elif isinstance(exc, TimeoutError):
                ctx.end_failed(task, exc)
            else:
                ctx.finish(task, "cancelled")
        except Exception as exc:
            ctx.end_failed(task, exc)

    async def _in_slots(self, ctx: RunContext, task: TaskSpec, lane: Lane,
                        slots: Sequence[asyncio.Semaphore]) -> None:
        """The task's steps, once it holds every slot it needs (its group's, then a worker's)."""
        held: list[asyncio.Semaphore] = []
        try:
            if slots:
                t0 = perf_counter()
                try:
                    for slot in slots:
                        await slot.acquire()
                        held.append(slot)
                finally:
                    if perf_counter() - t0 > MIN_READY_S:
                        lane.add(task.id, -1, State.QUEUED, t0, perf_counter())
            await self._steps(ctx, task, lane)
        finally:
            for slot in held:
                slot.release()

    async def _steps(self, ctx: RunContext, task: TaskSpec, lane: Lane) -> None:
        for i, step in enumerate(task.steps):
            if ctx.stop.is_set():
                raise Cancelled
            if step.offload is not None:
                t0 = perf_counter()
                lane.open = (task.id, i, State.IO_WAIT, t0)
                finished: float | None = None
                try:
                    if step.offload == "thread":
                        finished = await self._offload_thread(ctx, task.id, i, step)
                    else:
                        assert self._procs is not None
                        finished = await self._procs.run_task(ctx, task, steps=(step,), first_index=i)
                finally:
                    lane.open = None
                    _resumed(lane, task.id, i, t0, finished, perf_counter())
            elif step.kind == "sleep":
                await _sleep(lane, task.id, i, step.duration_s)
            elif step.kind == "net":
                if ctx.addr is None:
                    raise StepError("no loopback server is running for net steps")
                await _net(lane, task.id, i, step.duration_s, ctx.addr)
            else:
                # block, cpu and hash run right here on the loop: that is the point being shown.
                sync_task.run_step(lane, task.id, i, step, ctx.calibration, ctx.addr, ctx.stop,
                                   block_state=State.BLOCKING)

    async def run(self, ctx: RunContext) -> None:
        workers = [asyncio.Semaphore(self.workers)] if self.workers else []
        groups = {g: asyncio.Semaphore(n) for g, n in {t.group: t.limit for t in ctx.tasks if t.limit}.items()}
        coros: list[asyncio.Future[None]] = []
        cancel_on_stop(ctx, coros)
        for i, t in enumerate(ctx.tasks):
            slots = [groups[t.group], *workers] if t.limit else workers
            coros.append(asyncio.ensure_future(self._task(ctx, t, slots)))
            if i % START_BATCH == START_BATCH - 1:
                # Let the loop breathe between batches: starting 100,000 tasks in one go would hold it
                # (and the window) for seconds; each batch's first steps run before the next is made.
                await asyncio.sleep(0)
                if ctx.stop.is_set():
                    break  # tasks never started are counted as cancelled by the runtime
        if coros:
            await asyncio.gather(*coros, return_exceptions=True)
        if self._procs is not None:
            await self._procs.settle_abandoned()

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
