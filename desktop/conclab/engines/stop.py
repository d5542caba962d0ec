"""Cooperative cancellation: a stop flag every step body checks between work quanta and waits."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol


class Cancelled(Exception):
    """Raised inside a step body when its run has been stopped."""


class StepError(Exception):
    """A step failed, with a message written for the user (no exception type name needed)."""


def failure_text(exc: BaseException) -> str:
    """How a task's failure reads: our own messages as they are, anything else with its type."""
    return str(exc) if isinstance(exc, StepError) else f"{type(exc).__name__}: {exc}"


class StopFlag(Protocol):
    """What a step body needs from a stop token: a cheap check and an interruptible wait."""

    def is_set(self) -> bool: ...

    def wait(self, timeout: float) -> bool: ...


class StopToken:
    """A thread-safe stop request; callbacks registered with `on_set` run once when it is set."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._callbacks: list[Callable[[], object]] = []
        self._lock = threading.Lock()

    def is_set(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float) -> bool:
        return self._event.wait(timeout)

    def on_set(self, callback: Callable[[], object]) -> None:
        with self._lock:
            fire = self._event.is_set()
            if not fire:
                self._callbacks.append(callback)
        if fire:
            callback()

    def set(self) -> None:
        with self._lock:
            if self._event.is_set():
                return
            self._event.set()
            callbacks, self._callbacks = self._callbacks, []
        for cb in callbacks:
            cb()
