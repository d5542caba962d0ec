"""The `threads` and `sequential` models: a pool of worker threads (one worker for sequential)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

from conclab.engines import sync_task
from conclab.engines.context import RunContext, RunEvent
from conclab.engines.pool import Job, WorkerPool
from conclab.engines.recorder import Lane
from conclab.engines.stop import Cancelled
from conclab.model.plan import TaskSpec


class ThreadedEngine:
    """Submits each task to a worker pool at its start time; awaits the last one on the loop."""

    def __init__(self, workers: int, prefix: str = "thread") -> None:
        self.workers = workers
        self.prefix = prefix
        self._pool: WorkerPool | None = None

    def prepare(self, ctx: RunContext) -> None:
        self._pool = WorkerPool(ctx.thread_factory, self.workers, self.prefix, ctx.recorder)

    async def run(self, ctx: RunContext) -> None:
        assert self._pool is not None
        pool = self._pool
        loop = asyncio.get_running_loop()
        all_done: asyncio.Future[None] = loop.create_future()
        remaining = len(ctx.tasks)
        lock = threading.Lock()

        def settle() -> None:
            if not all_done.done():
                all_done.set_result(None)

        def one_done() -> None:
            nonlocal remaining
            with lock:
                remaining -= 1
                last = remaining == 0
            if last:
                loop.call_soon_threadsafe(settle)

        submitted: set[int] = set()

        def job_for(task: TaskSpec) -> None:
            submitted.add(task.id)
            pool.submit(task.id, _job(ctx, task, one_done))

        handles: list[asyncio.TimerHandle] = []
        for task in ctx.tasks:
            if task.start_s > 0:
                handles.append(loop.call_later(task.start_s, job_for, task))
            else:
                job_for(task)

        def on_stop() -> None:
            for h in handles:
                h.cancel()
            # Tasks never submitted will not report; count them off here.
            pending = [t for t in ctx.tasks if t.id not in submitted]
            for t in pending:
                ctx.finish(t, "cancelled")
                one_done()

        ctx.stop.on_set(lambda: loop.call_soon_threadsafe(on_stop))
        if not ctx.tasks:
            settle()
        await all_done

    def teardown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None


def _job(ctx: RunContext, task: TaskSpec, one_done: Callable[[], None]) -> Job:
    """A worker's job for one task: its steps in order, its outcome reported, `one_done` called last."""

    def job(lane: Lane) -> None:
        try:
            if ctx.stop.is_set():
                raise Cancelled
            ctx.sink(RunEvent("started", task.id))
            sync_task.run_steps(lane, task.id, task.steps, ctx.calibration, ctx.addr, ctx.stop)
            ctx.finish(task, "done")
        except Cancelled:
            ctx.finish(task, "cancelled")
        except Exception as exc:
            ctx.fail(task, exc)
        finally:
            one_done()

    return job
