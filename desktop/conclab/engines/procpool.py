"""Process workers for the `processes` model and for `in process` offloads under asyncio.

A `ProcessPoolExecutor` started with `spawn` (never `fork` from a Qt process), warmed up before the run
so its start-up is measured apart from the work. Children record spans in their own buffers and send
them back with the result; `perf_counter` is one system-wide clock, so they land on the same axis.
Stopping sets a shared flag the children check between work quanta, then shuts the pool down, and
kills any child that has not left in time.

A group's limit is a semaphore per group taken before a task is handed to the pool, so a task waiting
for a slot sits on no worker. At a task's deadline its outcome is decided (failed: timed out); a task no
worker has taken yet is withdrawn (cancelled in the pool, or dropped by the worker that takes it late),
a running one goes on to its end, recorded as usual. An `in process` offload whose coroutine is
cancelled (asyncio's timeout) also runs on in its worker: its spans are recorded when it ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import signal
from concurrent.futures import BrokenExecutor, Future, ProcessPoolExecutor
from ctypes import c_byte
from time import perf_counter
from typing import Any

from conclab.engines.context import (
    RunContext,
    acquire_by,
    cancel_on_stop,
    loop_time_at,
    settle_threadsafe,
    timeout_text,
)
from conclab.engines.pool_child import EXPIRED, ChildResult, child_job, init_child
from conclab.engines.pool_child import warm as warm_up_job
from conclab.engines.recorder import Lane
from conclab.engines.stop import Cancelled, StepError
from conclab.model.plan import Step, TaskSpec
from conclab.model.trace import QUEUE_LANE, LaneKind, State

# After a stop, workers get this long to leave on their own before they are killed: they hold nothing
# worth a clean exit, and a stop must end the run within 200 ms even on a busy machine.
KILL_AFTER_S = 0.03
BROKEN_POLLS = 20
BROKEN_POLL_S = 0.01
WARMUP_S = 0.05
QUEUED_MIN_S = 50e-6
# After a stop, offloads whose coroutines were abandoned get this long to report before the run ends.
ABANDONED_AFTER_STOP_S = 0.1

def _death(pid: int, code: int) -> str:
    if code >= 0:
        return f"pid {pid}, exit status {code}"
    try:
        name = signal.Signals(-code).name
    except ValueError:
        name = f"signal {-code}"
    return f"pid {pid}, killed by {name}"


def _cancelling() -> bool:
    """Whether the running task itself is being cancelled (not merely a future it awaited)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


class ProcessWorkers:
    """A warmed-up spawn pool plus the bookkeeping that maps worker pids to lanes."""

    def __init__(self, workers: int | None, ctx: RunContext, prefix: str = "offload process",
                 kind: LaneKind = LaneKind.OFFLOAD) -> None:
        self.size = workers or os.cpu_count() or 1
        self.prefix = prefix
        self.kind = kind
        mp = multiprocessing.get_context("spawn")
        self._flag = mp.RawValue(c_byte, 0)
        cal = ctx.calibration.to_dict() if ctx.calibration is not None else None
        self._exec = ProcessPoolExecutor(self.size, mp_context=mp, initializer=init_child,
                                         initargs=(cal, self._flag))
        self._lanes: dict[int, Lane] = {}
        self._children: dict[int, Any] = {}
        self._manager: Any = None
        self._result_queue: Any = None
        self._ctx = ctx
        self.child_cpu_s = 0.0
        self.child_ctx = 0
        self.child_rss_mb: dict[int, float] = {}
        self._queue_lane = ctx.recorder.new_lane(QUEUE_LANE, LaneKind.QUEUE)
        self._abandoned: list[asyncio.Future[ChildResult]] = []
        ctx.stop.on_set(self._on_stop)

    async def start(self) -> None:
        """Start and warm up every worker. A stop before or during the warm-up is no error: the pool is
        then shut, and the run's tasks end cancelled; a pool that broke here fails them with a message."""
        loop = asyncio.get_running_loop()
        futs: list[asyncio.Future[int]] = []
        try:
            for _ in range(self.size):
                futs.append(loop.run_in_executor(self._exec, warm_up_job, WARMUP_S))
        except RuntimeError:  # shut by a stop, or broken: each task learns which in run_task
            pass
        warm = asyncio.gather(*futs, return_exceptions=True)
        stopped: asyncio.Future[None] = loop.create_future()
        self._ctx.stop.on_set(lambda: settle_threadsafe(loop, stopped))
        # Workers still importing after a stop are not waited for (that takes a second on a busy machine):
        # the pool is shut, and shutdown ends them.
        waiting: list[asyncio.Future[Any]] = [warm, stopped]
        await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        if not warm.done():
            warm.cancel()
        self._snapshot()

    def _snapshot(self) -> None:
        """Remember the worker processes, the pool's manager thread and its result pipe: the executor
        forgets them at its first `shutdown`, and they must still be joined and closed."""
        ex = self._exec
        self._children.update(getattr(ex, "_processes", None) or {})
        self._manager = getattr(ex, "_executor_manager_thread", None) or self._manager
        self._result_queue = getattr(ex, "_result_queue", None) or self._result_queue

    def _lane_for(self, pid: int) -> Lane:
        lane = self._lanes.get(pid)
        if lane is None:
            lane = self._ctx.recorder.lane(f"{self.prefix} {len(self._lanes) + 1}", self.kind)
            self._lanes[pid] = lane
        return lane

    async def run_task(self, ctx: RunContext, task: TaskSpec, steps: tuple[Step, ...], first_index: int = 0,
                       since: float | None = None, deadline: float | None = None) -> float:
        """Run steps of a task in a worker; raise like a local step would (Cancelled, errors). Returns when
        the result was back in this process. `since`: when the task began waiting (default: now); past
        `deadline` (None: none) a task no worker has taken never starts, and its wait ends there."""
        submitted = perf_counter() if since is None else since
        try:
            cfut = self._exec.submit(child_job, task.id, steps, first_index, ctx.addr,
                                     ctx.calibration is not None, deadline)
        except BrokenExecutor as exc:
            raise StepError(await self._broken_message()) from exc
        except RuntimeError as exc:  # the pool was shut down: a stop came first
            raise Cancelled from exc
        # A spawn pool starts workers on demand, inside submit: remember each one now, for it is gone from
        # the executor's table once the pool breaks, and its exit status is what says how the pool broke.
        self._snapshot()
        back: list[float] = []
        # Added before the wrapper's own callback, so the stamp is taken first, on the pool's thread.
        cfut.add_done_callback(lambda _f: back.append(perf_counter()))
        expire = None if deadline is None else asyncio.get_running_loop().call_at(loop_time_at(deadline),
                                                                                   cfut.cancel)
        try:
            result = await asyncio.wrap_future(cfut)
        except asyncio.CancelledError as exc:
            if _cancelling():
                self._abandon(cfut, task.id, submitted)
                raise
            if deadline is not None and perf_counter() >= deadline:
                self.queued(task.id, submitted, deadline)
                raise StepError(timeout_text(task)) from exc
            raise Cancelled from exc
        except BrokenExecutor as exc:
            raise StepError(await self._broken_message()) from exc
        finally:
            if expire is not None:
                expire.cancel()
        state, error = self._absorb(task.id, submitted, result, deadline)
        if state == EXPIRED:
            raise StepError(timeout_text(task))
        if state == "cancelled":
            raise Cancelled
        if state == "failed":
            raise StepError(error or "failed")
        return back[0] if back else perf_counter()

    def queued(self, task: int, t0: float, t1: float) -> None:
        """Record a task's wait for a slot or a worker (on the loop)."""
        if t1 - t0 > QUEUED_MIN_S:
            self._queue_lane.add(task, -1, State.QUEUED, t0, t1)

    def _absorb(self, task: int, submitted: float, result: ChildResult,
                deadline: float | None = None) -> tuple[str, str | None]:
        """Take in a child's result (on the loop): its spans, CPU time and memory, and the wait before it."""
        pid, start, spans, state, error, cpu_s, nctx, rss = result
        self.child_cpu_s += cpu_s
        self.child_ctx += nctx
        self.child_rss_mb[pid] = max(self.child_rss_mb.get(pid, 0.0), rss)
        self.queued(task, submitted, start if state != EXPIRED or deadline is None else min(start, deadline))
        self._lane_for(pid).spans.extend(spans)
        return state, error

    def _abandon(self, cfut: Future[ChildResult], task: int, submitted: float) -> None:
        """Its coroutine was cancelled, but the job goes on if a worker holds it: record it when it ends."""
        if cfut.cancelled():
            return
        wrapped = asyncio.wrap_future(cfut)

        def absorb(f: asyncio.Future[ChildResult]) -> None:
            if not f.cancelled() and f.exception() is None:
                self._absorb(task, submitted, f.result())

        wrapped.add_done_callback(absorb)
        self._abandoned.append(wrapped)

    async def settle_abandoned(self) -> None:
        """Wait for abandoned offloads to end and record them (briefly after a stop: they were told to)."""
        if not self._abandoned:
            return
        timeout = ABANDONED_AFTER_STOP_S if self._flag.value else None
        await asyncio.wait(self._abandoned, timeout=timeout)

    async def _broken_message(self) -> str:
        """Which worker died and how (the pool fails every task it holds, not just the dead one's)."""
        self._snapshot()
        dead: list[str] = []
        # The pool's manager thread reaps the dead worker concurrently; its exit code shows once it has.
        for _ in range(BROKEN_POLLS):
            dead = [_death(pid, proc.exitcode) for pid, proc in sorted(self._children.items())
                    if proc.exitcode not in (None, 0)]
            if dead:
                break
            await asyncio.sleep(BROKEN_POLL_S)
        detail = f" ({'; '.join(dead)})" if dead else ""
        return f"the process pool broke: a worker process died{detail}"

    def _on_stop(self) -> None:
        self._flag.value = 1
        self._snapshot()
        self._exec.shutdown(wait=False, cancel_futures=True)

    def shutdown(self) -> None:
        self._snapshot()
        procs = list(self._children.values())
        self._exec.shutdown(wait=False, cancel_futures=True)
        deadline = perf_counter() + (KILL_AFTER_S if self._flag.value else 5.0)
        for p in procs:
            p.join(max(0.0, deadline - perf_counter()))
        for p in procs:
            if p.is_alive():
                p.kill()
                p.join(1.0)
        self._exec.shutdown(wait=True)
        self._release(procs)

    def _release(self, procs: list[Any]) -> None:
        """Join the pool's manager thread and close its result pipe and the workers' handles now. Left
        to the garbage collector (the executor sits in reference cycles) they stay open for many runs,
        and a long session piles up file descriptors."""
        if self._manager is not None:
            self._manager.join(5.0)
            if self._manager.is_alive():
                return  # still winding down: closing its pipes under it would break it
        if self._result_queue is not None:
            with contextlib.suppress(OSError):
                self._result_queue.close()
        for p in procs:
            with contextlib.suppress(ValueError):  # still running: it keeps its handle
                p.close()
        self._children.clear()
        self._manager = self._result_queue = None


class ProcessEngine:
    """The `processes` model: every task runs in a worker process of a warmed-up spawn pool."""

    def __init__(self, workers: int | None) -> None:
        self.workers = workers
        self._procs: ProcessWorkers | None = None

    def prepare(self, ctx: RunContext) -> None:
        self._procs = ProcessWorkers(self.workers, ctx, prefix="process", kind=LaneKind.WORKER)

    async def aprepare(self, ctx: RunContext) -> None:
        assert self._procs is not None
        await self._procs.start()

    async def _one(self, ctx: RunContext, task: TaskSpec, slot: asyncio.Semaphore | None) -> None:
        assert self._procs is not None
        if task.start_s > 0:
            await asyncio.sleep(max(0.0, task.start_s - ctx.recorder.elapsed()))
        since = perf_counter()
        deadline = ctx.deadline_at(task)
        # The outcome is decided at the deadline, while the task's work may go on.
        timer = None if deadline is None else asyncio.get_running_loop().call_at(
            loop_time_at(deadline), ctx.time_out, task)
        try:
            if ctx.stop.is_set():
                raise Cancelled
            if slot is not None and not await acquire_by(slot, deadline):
                self._procs.queued(task.id, since, perf_counter())
                raise StepError(timeout_text(task))
            try:
                await self._procs.run_task(ctx, task, task.steps, since=since, deadline=deadline)
            finally:
                if slot is not None:
                    slot.release()
            ctx.end(task, "done")
        except (Cancelled, asyncio.CancelledError):
            ctx.finish(task, "cancelled")
        except Exception as exc:
            ctx.end_failed(task, exc)
        finally:
            if timer is not None:
                timer.cancel()

    async def run(self, ctx: RunContext) -> None:
        slots = {g: asyncio.Semaphore(n) for g, n in {t.group: t.limit for t in ctx.tasks if t.limit}.items()}
        coros: list[asyncio.Future[None]] = [asyncio.ensure_future(self._one(ctx, t, slots.get(t.group)))
                                             for t in ctx.tasks]
        cancel_on_stop(ctx, coros)
        if coros:
            await asyncio.gather(*coros, return_exceptions=True)

    @property
    def children(self) -> ProcessWorkers | None:
        return self._procs

    def teardown(self) -> None:
        if self._procs is not None:
            self._procs.shutdown()
            self._procs = None
