"""The `threads` and `sequential` models: a pool of worker threads (one worker for sequential).

A task goes to the pool when it is due and, in a limited group, once it holds one of the group's slots:
a task waiting for a slot never sits on a worker. Its slot comes back when its work ends. At a task's
deadline the loop decides its outcome (failed: timed out). A task no worker has taken yet is withdrawn
and never starts; a running one cannot be stopped from outside — a thread can only be asked — so it runs
to its end, recorded as usual, keeping its worker and its slot. Sequential runs one task at a time, so it
has no slots to hand out; its deadlines work the same way.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future
from time import perf_counter

from conclab.engines import sync_task
from conclab.engines.context import GroupSlots, RunContext
from conclab.engines.pool import QUEUED_MIN_S, Claim, Job, WorkerPool
from conclab.engines.recorder import Lane
from conclab.engines.stop import Cancelled
from conclab.model.plan import TaskSpec
from conclab.model.trace import QUEUE_LANE, LaneKind, State


class ThreadedEngine:
    """Submits each task to a worker pool when it is due (and has a slot); awaits the last one on the loop.

    `limits`: whether groups' limits apply (sequential's one worker makes them moot).
    """

    def __init__(self, workers: int, prefix: str = "thread", limits: bool = True) -> None:
        self.workers = workers
        self.prefix = prefix
        self.limits = limits
        self._pool: WorkerPool | None = None

    def prepare(self, ctx: RunContext) -> None:
        self._pool = WorkerPool(ctx.thread_factory, self.workers, self.prefix, ctx.recorder)

    async def run(self, ctx: RunContext) -> None:
        assert self._pool is not None
        await _Schedule(ctx, self._pool, asyncio.get_running_loop(), self.limits).run()

    def teardown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None


class _Schedule:
    """One run's hand-out of tasks to the pool, driven from the loop: due times, slots, deadlines, a stop."""

    def __init__(self, ctx: RunContext, pool: WorkerPool, loop: asyncio.AbstractEventLoop, limits: bool) -> None:
        self.ctx, self.pool, self.loop = ctx, pool, loop
        self.slots = GroupSlots() if limits and any(t.limit for t in ctx.tasks) else None
        self.all_done: asyncio.Future[None] = loop.create_future()
        self.remaining = len(ctx.tasks)
        self.lock = threading.Lock()
        # Tasks handed to the pool, or settled before they ever were: a stop need not count them off.
        self.handled: set[int] = set()
        self.tickets: dict[int, Future[None]] = {}
        self.since: dict[int, float] = {}
        self.handles: list[asyncio.TimerHandle] = []
        self.queue_lane: Lane | None = None

    async def run(self) -> None:
        ctx, loop = self.ctx, self.loop
        for task in ctx.tasks:
            if task.start_s > 0:
                self.handles.append(loop.call_later(task.start_s, self.due, task))
            else:
                self.due(task)
            deadline = ctx.deadline_at(task)
            if deadline is not None:
                self.handles.append(loop.call_later(max(0.0, deadline - perf_counter()), self.expire, task))
        ctx.stop.on_set(lambda: loop.call_soon_threadsafe(self.on_stop))
        if not ctx.tasks:
            self.settle()
        await self.all_done

    def settle(self) -> None:
        if not self.all_done.done():
            self.all_done.set_result(None)

    def count_off(self) -> None:
        """One task is over (its work ended, or it never started); any thread."""
        with self.lock:
            self.remaining -= 1
            last = self.remaining == 0
        if last:
            self.loop.call_soon_threadsafe(self.settle)

    def due(self, task: TaskSpec) -> None:
        if self.ctx.stop.is_set():
            return  # on_stop counts it off
        if self.slots is not None and not self.slots.take(task):
            self.since[task.id] = perf_counter()
            return
        self.submit(task, None)

    def submit(self, task: TaskSpec, since: float | None) -> None:
        self.handled.add(task.id)
        claim: Claim | None = None
        if task.timeout_s is not None:
            ticket: Future[None] = Future()
            self.tickets[task.id] = ticket
            claim = ticket.set_running_or_notify_cancel
            self.since[task.id] = perf_counter() if since is None else since
        self.pool.submit(task.id, _job(self.ctx, task, self.job_ended), since, claim)

    def job_ended(self, task: TaskSpec) -> None:
        """A worker finished the task's job (any outcome); called on the worker's thread."""
        if self.slots is not None and task.limit:
            self.loop.call_soon_threadsafe(self.release, task)
        self.count_off()

    def release(self, task: TaskSpec) -> None:
        assert self.slots is not None
        nxt = self.slots.release(task)
        if nxt is not None:
            self.submit(nxt, self.since.pop(nxt.id, None))

    def expire(self, task: TaskSpec) -> None:
        """The task's deadline: withdraw it if no worker has taken it, else only decide its outcome."""
        if task.id in self.ctx.outcomes:
            return
        if self.slots is not None and self.slots.leave(task):
            self.handled.add(task.id)
            self.withdrawn(task)
            return
        ticket = self.tickets.get(task.id)
        if ticket is not None and ticket.cancel():
            self.withdrawn(task)
            if self.slots is not None and task.limit:
                self.release(task)
            return
        self.ctx.time_out(task)  # it is running: its worker goes on to the end regardless

    def withdrawn(self, task: TaskSpec) -> None:
        """A task that never started: its wait ends at its deadline, and so does the task."""
        now = perf_counter()
        since = self.since.pop(task.id, now)
        if now - since > QUEUED_MIN_S:
            if self.queue_lane is None:
                self.queue_lane = self.ctx.recorder.new_lane(QUEUE_LANE, LaneKind.QUEUE)
            self.queue_lane.add(task.id, -1, State.QUEUED, since, now)
        self.ctx.time_out(task)
        self.count_off()

    def on_stop(self) -> None:
        for h in self.handles:
            h.cancel()
        if self.slots is not None:
            self.slots.clear()
        # Tasks never handed to the pool will not report; count them off here.
        for t in [t for t in self.ctx.tasks if t.id not in self.handled]:
            self.ctx.finish(t, "cancelled")
            self.count_off()


def _job(ctx: RunContext, task: TaskSpec, ended: Callable[[TaskSpec], None]) -> Job:
    """A worker's job for one task: its steps in order, its outcome reported, `ended` called last."""

    def job(lane: Lane) -> None:
        try:
            if ctx.stop.is_set():
                raise Cancelled
            if ctx.expired(task):
                ctx.time_out(task)  # its time was up before a worker took it: it never starts
                return
            sync_task.run_steps(lane, task.id, task.steps, ctx.calibration, ctx.addr, ctx.stop)
            ctx.end(task, "done")
        except Cancelled:
            ctx.finish(task, "cancelled")
        except Exception as exc:
            ctx.end_failed(task, exc)
        finally:
            ended(task)

    return job
