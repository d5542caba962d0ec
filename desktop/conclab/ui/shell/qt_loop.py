"""An asyncio loop on Qt that keeps its timers in a heap and arms one Qt timer for the earliest deadline.

qasync's `QEventLoop` turns every `call_soon`, `call_later` and `call_at` into a Qt timer of its own.
Qt keeps its timers in a list sorted on insertion, so scheduling n timers costs O(n²): 100,000
`asyncio.sleep(1)` under `asyncio.gather` take about ten times as long as on plain asyncio. qasync
also truncates delays to whole milliseconds, so a 0.3 ms sleep fires at once.

`TimerHeapEventLoop` schedules the way asyncio's own loop does: callbacks wait in asyncio's ready
queue, timers in a heap ordered by deadline (then by order of scheduling), and one single-shot
precise `QTimer` is armed for whatever is due first. When it fires the loop runs a bounded batch of
ready callbacks and due timers and returns to Qt, so sockets, paints and input are served between
batches even while a flood of timers is due.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
from collections.abc import Callable
from contextvars import Context
from heapq import heapify, heappop, heappush
from typing import Any

import qasync
from PySide6.QtCore import QCoreApplication, Qt, QTimer

logger = logging.getLogger(__name__)

_NOW = -math.inf
"""`_armed_for` when the Qt timer is armed to fire at once."""
_IDLE = math.inf
"""`_armed_for` when the Qt timer is not armed."""
_MAX_MSEC = 2**31 - 1
"""Qt takes timer intervals as a signed 32-bit count of milliseconds (about 24.8 days)."""
_MIN_PURGE = 100
"""Below this many timers in the heap, cancelled ones are only dropped as they reach its top."""


class _HeapTimer(asyncio.TimerHandle):
    """A timer handle that knows whether it is still in its loop's heap.

    A handle can be cancelled after it has run (`asyncio.wait_for` does so); only handles still in
    the heap may count towards the cancelled ones waiting to be purged.
    """

    __slots__ = ("in_heap",)

    in_heap: bool


class TimerHeapEventLoop(qasync.QEventLoop):  # type: ignore[misc]  # qasync is untyped
    """A `qasync.QEventLoop` whose timers cost O(log n) each, like plain asyncio's.

    Ready callbacks go to asyncio's ready queue and timers to a heap of `(when, sequence, handle)`,
    so timers with the same deadline run in the order they were scheduled. A single single-shot
    `Qt.PreciseTimer` is armed for the earliest deadline, rounded up to whole milliseconds, and a
    timer never runs before its deadline. Each time it fires, at most `max_batch` ready callbacks
    (those queued before the batch began) and `max_batch` due timers run; then Qt gets control back
    and the Qt timer is armed again, at once if anything is left to do.

    Callbacks run only while the loop runs (`run_forever`, `run_until_complete`), and a callback
    that blocks in a nested Qt loop (a modal dialog's `exec()`) is not re-entered: the loop resumes
    when it returns, as any asyncio loop would. I/O still goes through qasync's QSocketNotifiers.
    """

    max_batch = 1000
    """How many ready callbacks, and how many due timers, one turn runs before Qt gets control back."""

    def __init__(self, app: QCoreApplication | None = None, set_running_loop: bool = False,
                 already_running: bool = False) -> None:
        # qasync's constructor may already call back into this class (`already_running`).
        self._timer_heap: list[tuple[float, int, _HeapTimer]] = []
        self._timer_sequence = itertools.count()
        self._cancelled_in_heap = 0
        self._armed_for = _IDLE
        self._dispatching = False
        self._deadline_timer = QTimer()
        self._deadline_timer.setSingleShot(True)
        self._deadline_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._deadline_timer.timeout.connect(self._on_deadline)
        super().__init__(app, set_running_loop, already_running)

    # Scheduling.

    def call_soon(self, callback: Callable[..., object], *args: Any,
                  context: Context | None = None) -> asyncio.Handle:
        """Run `callback(*args)` on the loop's next turn, after the callbacks already queued."""
        if self._closed:
            raise RuntimeError("Event loop is closed")
        if self._debug:
            self._check_callback(callback, "call_soon")
        handle = asyncio.Handle(callback, args, self, context)
        self._ready.append(handle)
        if self._armed_for != _NOW and not self._dispatching:
            self._arm(_NOW)
        return handle

    def call_later(self, delay: float, callback: Callable[..., object], *args: Any,
                   context: Context | None = None) -> asyncio.TimerHandle:
        """Run `callback(*args)` once `delay` seconds have passed on the loop's clock."""
        if delay is None:
            raise TypeError("delay must not be None")
        return self.call_at(self.time() + delay, callback, *args, context=context)

    def call_at(self, when: float, callback: Callable[..., object], *args: Any,
                context: Context | None = None) -> asyncio.TimerHandle:
        """Run `callback(*args)` once the loop's clock reaches `when`, never earlier."""
        if when is None:
            raise TypeError("when must not be None")
        if self._closed:
            raise RuntimeError("Event loop is closed")
        if self._debug:
            self._check_callback(callback, "call_at")
        timer = _HeapTimer(when, callback, args, self, context)
        timer.in_heap = True
        heappush(self._timer_heap, (when, next(self._timer_sequence), timer))
        if when < self._armed_for and not self._dispatching:
            self._arm(when)
        return timer

    def call_soon_threadsafe(self, callback: Callable[..., object], *args: Any,
                             context: Context | None = None) -> asyncio.Handle:
        """`call_soon` from any thread: the loop's self-pipe wakes the Qt loop it runs on."""
        # qasync's own version emits a Qt signal into a lambda, and drops `context` and the handle.
        # asyncio's appends to the ready queue (a deque, safe to append to from any thread) and
        # writes to the self-pipe, whose QSocketNotifier lives on the loop's thread and calls
        # `call_soon` there, which arms the Qt timer.
        handle: asyncio.Handle = asyncio.BaseEventLoop.call_soon_threadsafe(
            self, callback, *args, context=context)
        return handle

    def _add_callback(self, handle: asyncio.Handle) -> None:
        # asyncio's signal handlers queue their handle here and then write to the self-pipe; qasync's
        # version would give each its own Qt timer.
        if not handle.cancelled():
            self._ready.append(handle)

    def _timer_handle_cancelled(self, handle: asyncio.TimerHandle) -> None:
        # Called by `TimerHandle.cancel()`. Cancelled timers stay in the heap until they reach its
        # top or until they are the majority, when the heap is rebuilt without them (as asyncio does).
        if not (isinstance(handle, _HeapTimer) and handle.in_heap):
            return
        self._cancelled_in_heap += 1
        if self._should_purge() and self._armed_for != _NOW and not self._dispatching:
            self._arm(_NOW)

    # Running.

    def run_forever(self) -> int:
        """Run the Qt event loop until `stop()`; returns what Qt's `exec()` returned, as qasync does."""
        self._rearm()
        result: int = super().run_forever()
        return result

    def close(self) -> None:
        """Close the loop as qasync does, and drop every timer still scheduled."""
        super().close()
        self._deadline_timer.stop()
        self._armed_for = _IDLE
        self._timer_heap.clear()
        self._cancelled_in_heap = 0

    def _on_deadline(self) -> None:
        self._armed_for = _IDLE
        if self._dispatching or not self.is_running():
            # Fired inside a nested Qt loop of one of our own callbacks, or while the loop is not
            # running: the outer turn, or the next `run_forever`, arms the timer again.
            return
        self._dispatching = True
        try:
            self._run_ready()
            self._run_due_timers()
        finally:
            self._dispatching = False
            self._rearm()

    def _run_ready(self) -> None:
        ready = self._ready
        debug = self.get_debug()
        # Only what was queued before this turn: callbacks queue more, and timers must not starve.
        for _ in range(min(len(ready), self.max_batch)):
            handle = ready.popleft()
            if handle.cancelled():
                continue
            if debug:
                self._run_timed(handle)
            else:
                handle._run()

    def _run_due_timers(self) -> None:
        heap = self._timer_heap
        debug = self.get_debug()
        now = self.time()
        ran = 0
        while heap and ran < self.max_batch:
            when, _, timer = heap[0]
            if when > now:
                break
            heappop(heap)
            timer.in_heap = False
            if timer.cancelled():
                self._cancelled_in_heap -= 1
                continue
            ran += 1
            if debug:
                self._run_timed(timer)
            else:
                timer._run()

    def _run_timed(self, handle: asyncio.Handle) -> None:
        started = self.time()
        handle._run()
        took = self.time() - started
        if took >= self.slow_callback_duration:
            logger.warning("Executing %r took %.3f seconds", handle, took)

    # The one Qt timer.

    def _rearm(self) -> None:
        """Arm the Qt timer for the next thing to do, unless it is already armed for something sooner."""
        heap = self._timer_heap
        if self._should_purge():
            live = []
            for entry in heap:
                if entry[2].cancelled():
                    entry[2].in_heap = False
                else:
                    live.append(entry)
            heap[:] = live
            heapify(heap)
            self._cancelled_in_heap = 0
        if self._ready:
            deadline = _NOW
        else:
            while heap and heap[0][2].cancelled():
                heappop(heap)[2].in_heap = False
                self._cancelled_in_heap -= 1
            if not heap:
                return
            deadline = heap[0][0]
        if deadline < self._armed_for:
            self._arm(deadline)

    def _arm(self, deadline: float) -> None:
        delay = 0.0 if deadline == _NOW else deadline - self.time()
        if delay <= 0:
            msec = 0
        elif delay * 1000 >= _MAX_MSEC:
            msec = _MAX_MSEC
        else:
            # Rounded up: a Qt timer never fires before its interval, so neither does the deadline.
            msec = math.ceil(delay * 1000)
        self._deadline_timer.start(msec)
        self._armed_for = deadline

    def _should_purge(self) -> bool:
        scheduled = len(self._timer_heap)
        return scheduled > _MIN_PURGE and 2 * self._cancelled_in_heap > scheduled
