"""A fixed pool of worker threads made by a thread factory (QThreads in the window, threads on the CLI).

Each worker owns its lane (of the kind the pool is given: the model's workers, or asyncio's offload
threads), so its spans are written without locks. A job waits in the queue from `submit` (or from the
moment its submitter says it began waiting) until a worker takes it: that wait is recorded as `queued` in
the worker's own buffer of the queue lane. A job submitted with a claim runs only if the claim, asked when
a worker takes it, says so (as `Future.set_running_or_notify_cancel` does): its submitter has withdrawn
it otherwise, and records the wait itself.
"""

from __future__ import annotations

import queue
from collections.abc import Callable
from time import perf_counter

from conclab.engines.context import ThreadFactory, ThreadHandle
from conclab.engines.recorder import Lane, Recorder
from conclab.model.trace import QUEUE_LANE, LaneKind, State

Job = Callable[[Lane], None]
Claim = Callable[[], bool]
QUEUED_MIN_S = 50e-6


class WorkerPool:
    """`n` workers pulling jobs from one queue; `shutdown` lets them finish and joins them."""

    def __init__(self, factory: ThreadFactory, n: int, prefix: str, recorder: Recorder,
                 kind: LaneKind = LaneKind.WORKER) -> None:
        self._q: queue.SimpleQueue[tuple[int, Job, float, Claim | None] | None] = queue.SimpleQueue()
        self._threads: list[ThreadHandle] = []
        self.size = n
        for i in range(n):
            lane = recorder.lane(f"{prefix} {i + 1}", kind)
            qlane = recorder.new_lane(QUEUE_LANE, LaneKind.QUEUE)
            handle = factory(self._worker_main(lane, qlane), f"conclab-{prefix}-{i + 1}")
            self._threads.append(handle)
        for h in self._threads:
            h.start()

    def _worker_main(self, lane: Lane, qlane: Lane) -> Callable[[], None]:
        q = self._q

        def main() -> None:
            while True:
                item = q.get()
                if item is None:
                    return
                task, job, submitted, claim = item
                if claim is not None and not claim():
                    continue
                started = perf_counter()
                if started - submitted > QUEUED_MIN_S:
                    qlane.add(task, -1, State.QUEUED, submitted, started)
                job(lane)

        return main

    def submit(self, task: int, job: Job, since: float | None = None, claim: Claim | None = None) -> None:
        """Queue a job; `since`: when the task began waiting (default: now); `claim`: see the module."""
        self._q.put((task, job, perf_counter() if since is None else since, claim))

    def shutdown(self, timeout: float = 5.0) -> bool:
        """Stop the workers once the queue is empty; True when every thread has ended."""
        for _ in self._threads:
            self._q.put(None)
        deadline = perf_counter() + timeout
        for h in self._threads:
            h.join(max(0.0, deadline - perf_counter()))
        return not any(h.is_alive() for h in self._threads)
