"""Qt pieces of the runtime: QThread workers for runs inside the window, and the Qt loop for headless ones."""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable
from typing import TypeVar

from PySide6.QtCore import QThread

T = TypeVar("T")


class _TargetThread(QThread):
    """A QThread that runs one function; it holds no logic of its own."""

    def __init__(self, target: Callable[[], None], name: str) -> None:
        super().__init__()
        self._target = target
        self.setObjectName(name)

    def run(self) -> None:
        self._target()

    def join(self, timeout: float | None = None) -> None:
        if timeout is None:
            self.wait()
        else:
            self.wait(max(0, int(timeout * 1000)))

    def is_alive(self) -> bool:
        return self.isRunning()


_started: weakref.WeakSet[_TargetThread] = weakref.WeakSet()


def qthread_factory(target: Callable[[], None], name: str) -> _TargetThread:
    """The window's thread factory: engine workers become QThreads."""
    thread = _TargetThread(target, name)
    _started.add(thread)
    return thread


def running_qthreads() -> list[str]:
    """Names of engine QThreads still running (the tests' leak guard uses this)."""
    return [t.objectName() for t in list(_started) if t.isRunning()]


def run_on_qt_loop(main: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine on the Qt loop with asyncio on it, exactly as the window would."""
    from conclab.ui.shell.qt_app import ensure_app, run_on_loop

    return run_on_loop(main, ensure_app(offscreen=True))
