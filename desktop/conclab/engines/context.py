"""What every engine gets for one run: the recorder, the stop token, calibration, the server address and
the event sink; and the task outcomes it fills in."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from conclab.engines.calibrate import Calibration
from conclab.engines.recorder import Recorder
from conclab.engines.stop import StopToken, failure_text
from conclab.model.plan import TaskSpec
from conclab.model.run import TaskOutcome


@dataclass(frozen=True)
class RunEvent:
    """A task started or finished. Sinks may be called from any thread."""

    kind: str  # "started" | "finished"
    task: int
    state: str = ""  # for "finished": done | failed | cancelled
    error: str | None = None


Sink = Callable[[RunEvent], None]
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
        with self._lock:
            if task.id in self.outcomes:
                return
            self.outcomes[task.id] = TaskOutcome(task.id, task.name, state, error)
            self.recorder.done.append(task.id)
        self.sink(RunEvent("finished", task.id, state, error))

    def fail(self, task: TaskSpec, exc: BaseException) -> None:
        """A task failed: its outcome carries the error as the user should read it."""
        self.finish(task, "failed", failure_text(exc))

    def cancel_unfinished(self) -> None:
        for t in self.tasks:
            if t.id not in self.outcomes:
                self.finish(t, "cancelled")
