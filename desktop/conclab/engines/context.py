"""What every engine gets for one run: the recorder, the stop token, calibration, the server address and
the event sink; and the task outcomes it fills in.

It also holds the rules every engine shares for a group's `limit` and `timeout` (their meaning is in
`conclab.model.plan`): a task's due time and deadline on the `perf_counter` clock, the outcome of a task
that timed out, and the group slots of the models that hand tasks to a pool.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from time import perf_counter
from typing import Protocol, TypeVar

from conclab.engines.calibrate import Calibration
from conclab.engines.recorder import Recorder
from conclab.engines.stop import StopToken, failure_text
from conclab.model.plan import TaskSpec
from conclab.model.plan_text import format_duration
from conclab.model.run import Outcome, TaskOutcome


@dataclass(frozen=True)
class TaskEnded:
    """A task ended: done, failed (with the error) or cancelled. Sinks may be called from any thread."""

    task: int
    outcome: Outcome
    error: str | None = None


Sink = Callable[[TaskEnded], None]
T = TypeVar("T")


def settle_threadsafe(
    loop: asyncio.AbstractEventLoop, fut: asyncio.Future[T], result: T | None = None,
    exc: BaseException | None = None,
) -> None:
    """Complete a loop future from any thread (once; later calls are ignored)."""

    def settle() -> None:
        if fut.done():
            return
        if exc is not None:
            fut.set_exception(exc)
        else:
            fut.set_result(result)  # type: ignore[arg-type]

    loop.call_soon_threadsafe(settle)


class ThreadHandle(Protocol):
    """What a thread factory returns: threading.Thread satisfies it, and so does the UI's QThread wrapper."""

    def start(self) -> None: ...

    def join(self, timeout: float | None = None) -> None: ...

    def is_alive(self) -> bool: ...


ThreadFactory = Callable[[Callable[[], None], str], ThreadHandle]


def cancel_on_stop(ctx: RunContext, futures: list[asyncio.Future[None]]) -> None:
    """When the run is stopped, cancel every future in `futures` (the list as it is by then)."""
    loop = asyncio.get_running_loop()

    def cancel_all() -> None:
        for f in futures:
            f.cancel()

    ctx.stop.on_set(lambda: loop.call_soon_threadsafe(cancel_all))


def plain_thread_factory(target: Callable[[], None], name: str) -> ThreadHandle:
    """The command line's factory: ordinary daemon threads."""
    return threading.Thread(target=target, name=name, daemon=True)


@dataclass
class RunContext:
    """Shared state of one run, handed to the engine and to every step body."""

    tasks: list[TaskSpec]
    recorder: Recorder
    stop: StopToken
    sink: Sink
    thread_factory: ThreadFactory
    calibration: Calibration | None = None
    addr: tuple[str, int] | None = None
    outcomes: dict[int, TaskOutcome] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def finish(self, task: TaskSpec, state: str, error: str | None = None) -> None:
        """Record how a task ended (first word wins) and tell the sink."""
        outcome = Outcome(state)
        with self._lock:
            if task.id in self.outcomes:
                return
            self.outcomes[task.id] = TaskOutcome(task.id, task.name, outcome, error)
            self.recorder.done.append(task.id)
        self.sink(TaskEnded(task.id, outcome, error))

    def due_at(self, task: TaskSpec) -> float:
        """When the task is due, on the `perf_counter` clock."""
        return self.recorder.origin + task.start_s

    def deadline_at(self, task: TaskSpec) -> float | None:
        """When the task times out, on the `perf_counter` clock (None: it has no timeout)."""
        deadline = task.deadline_s
        return None if deadline is None else self.recorder.origin + deadline

    def expired(self, task: TaskSpec, now: float | None = None) -> bool:
        """Whether the task's deadline has passed (`now`: this instant)."""
        deadline = self.deadline_at(task)
        return deadline is not None and (perf_counter() if now is None else now) >= deadline

    def time_out(self, task: TaskSpec) -> None:
        """The task's deadline passed before it ended: it failed, whatever it does later."""
        self.finish(task, "failed", timeout_text(task))

    def end(self, task: TaskSpec, state: str, error: str | None = None) -> None:
        """A task's work ended now, as `state`: past its deadline it timed out, however it ended."""
        if self.expired(task):
            self.time_out(task)
        else:
            self.finish(task, state, error)

    def fail(self, task: TaskSpec, exc: BaseException) -> None:
        """A task failed: its outcome carries the error as the user should read it."""
        self.finish(task, "failed", failure_text(exc))

    def end_failed(self, task: TaskSpec, exc: BaseException) -> None:
        """A task's work ended now with an error (a timeout when its deadline has passed)."""
        self.end(task, "failed", failure_text(exc))

    def cancel_unfinished(self) -> None:
        for t in self.tasks:
            if t.id not in self.outcomes:
                self.finish(t, "cancelled")


def loop_time_at(moment: float) -> float:
    """A `perf_counter` moment on the running loop's clock (for `asyncio.timeout_at`, `call_at`)."""
    return asyncio.get_running_loop().time() + (moment - perf_counter())


async def acquire_by(slot: asyncio.Semaphore, deadline: float | None) -> bool:
    """Take a slot, waiting no later than `deadline` (a `perf_counter` moment; None: as long as it takes).
    False: the deadline came first, and no slot was taken."""
    if deadline is None:
        await slot.acquire()
        return True
    try:
        async with asyncio.timeout_at(loop_time_at(deadline)):
            await slot.acquire()
    except TimeoutError:
        return False
    return True


def timeout_text(task: TaskSpec) -> str:
    """The error of a task that timed out, with its group's timeout as the plan writes it."""
    return f"timed out after {format_duration(round((task.timeout_s or 0.0) * 1e6))}"


class GroupSlots:
    """The slots of limited groups for an engine that hands tasks to a pool from its loop: a task that
    finds no free slot waits in its group's line, in the order tasks asked (single-threaded: the loop)."""

    def __init__(self) -> None:
        self._free: dict[int, int] = {}
        self._lines: dict[int, deque[TaskSpec]] = {}
        # Tasks leave a line by being forgotten here; `release` skips them (no search through the line).
        self._waiting: set[int] = set()

    def take(self, task: TaskSpec) -> bool:
        """Take a slot of the task's group; False: none is free, and the task waits in line for one."""
        if not task.limit:
            return True
        free = self._free.get(task.group, task.limit)
        if free > 0:
            self._free[task.group] = free - 1
            return True
        self._lines.setdefault(task.group, deque()).append(task)
        self._waiting.add(task.id)
        return False

    def release(self, task: TaskSpec) -> TaskSpec | None:
        """Give back the slot `task` held; returns the waiting task that takes it now, if any."""
        if not task.limit:
            return None
        line = self._lines.get(task.group)
        while line:
            nxt = line.popleft()
            if nxt.id in self._waiting:
                self._waiting.discard(nxt.id)
                return nxt
        self._free[task.group] = self._free.get(task.group, task.limit) + 1
        return None

    def leave(self, task: TaskSpec) -> bool:
        """Take a waiting task out of its line (its deadline passed); False: it was not waiting."""
        if task.id not in self._waiting:
            return False
        self._waiting.discard(task.id)
        return True

    def clear(self) -> list[TaskSpec]:
        """Empty every line (a stop); returns the tasks that were waiting."""
        waiting = [t for line in self._lines.values() for t in line if t.id in self._waiting]
        self._lines.clear()
        self._waiting.clear()
        return waiting
