"""The timer-heap qasync loop: deadline order, same-deadline FIFO, cancellation, sub-millisecond
deadlines, wake-ups from other threads, I/O served while timers are due, asyncio's own timeouts, and
throughput against plain asyncio."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import random
import signal
import socket
import statistics
import threading
import time
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from conclab.ui.shell.qt_loop import TimerHeapEventLoop


@pytest.fixture
def loop(qapp: QApplication) -> Iterator[TimerHeapEventLoop]:
    """A timer-heap loop on the test app; drive it with `loop.run_until_complete(...)` only."""
    event_loop = TimerHeapEventLoop(qapp)
    yield event_loop
    if not event_loop.is_closed():
        event_loop.run_until_complete(asyncio.sleep(0))
        event_loop.close()


def _live_timers(loop: TimerHeapEventLoop) -> int:
    return sum(not entry[2].cancelled() for entry in loop._timer_heap)


def test_timers_run_in_deadline_order_and_never_early(loop: TimerHeapEventLoop) -> None:
    delays = [i * 0.002 for i in range(40)]
    random.Random(7).shuffle(delays)
    handles: list[asyncio.TimerHandle] = []
    fired: list[tuple[float, float]] = []

    def record(i: int) -> None:
        fired.append((handles[i].when(), loop.time()))

    async def main() -> None:
        handles.extend(loop.call_later(delay, record, i) for i, delay in enumerate(delays))
        await asyncio.sleep(max(delays) + 0.02)

    loop.run_until_complete(main())
    assert len(fired) == len(delays)
    whens = [when for when, _ in fired]
    assert whens == sorted(whens)
    assert all(ran >= when for when, ran in fired)


def test_same_deadline_runs_in_scheduling_order(loop: TimerHeapEventLoop) -> None:
    order: list[int] = []

    async def main() -> None:
        when = loop.time() + 0.01
        for i in range(3000):
            loop.call_at(when, order.append, i)
        loop.call_at(when - 0.005, order.append, -1)
        loop.call_at(when + 0.005, order.append, 3000)
        await asyncio.sleep(0.03)

    loop.run_until_complete(main())
    assert order == list(range(-1, 3001))


def test_cancelled_timers_never_run(loop: TimerHeapEventLoop) -> None:
    ran: list[int] = []

    async def main() -> None:
        when = loop.time() + 0.01
        handles = [loop.call_at(when, ran.append, i) for i in range(1000)]
        for handle in handles[1::2]:
            handle.cancel()
        # A timer cancelled by another one that runs before it in the same batch.
        loop.call_at(when - 1e-6, handles[2].cancel)
        await asyncio.sleep(0.03)

    loop.run_until_complete(main())
    assert ran == [i for i in range(0, 1000, 2) if i != 2]
    assert _live_timers(loop) == 0


def test_cancelling_many_timers_is_cheap_and_frees_them(loop: TimerHeapEventLoop) -> None:
    ran: list[int] = []

    async def main() -> tuple[float, float]:
        started = time.perf_counter()
        handles = [loop.call_later(3600, ran.append, i) for i in range(100_000)]
        scheduled = time.perf_counter() - started
        started = time.perf_counter()
        for handle in handles:
            handle.cancel()
        cancelled = time.perf_counter() - started
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        return scheduled, cancelled

    scheduled, cancelled = loop.run_until_complete(main())
    assert cancelled < 2 * scheduled + 0.2
    assert ran == []
    assert len(loop._timer_heap) < 200  # purged, not left to wait an hour for their deadline


def test_sub_millisecond_deadlines_never_fire_early(loop: TimerHeapEventLoop) -> None:
    async def main() -> tuple[list[float], list[float]]:
        late: list[float] = []
        for _ in range(40):
            fut: asyncio.Future[float] = loop.create_future()
            handle = loop.call_later(0.0003, lambda f: f.set_result(loop.time()), fut)
            late.append(await fut - handle.when())
        slept: list[float] = []
        for _ in range(20):
            started = loop.time()
            await asyncio.sleep(0.0003)
            slept.append(loop.time() - started)
        return late, slept

    late, slept = loop.run_until_complete(main())
    assert min(late) >= 0
    assert min(slept) >= 0.0003
    assert statistics.median(late) < 0.004


def test_call_soon_threadsafe_wakes_the_idle_loop_promptly(loop: TimerHeapEventLoop) -> None:
    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")
    context = contextvars.copy_context()
    context.run(var.set, "from the thread")
    loop_thread = threading.get_ident()

    async def main() -> tuple[float, int, str, int]:
        fut: asyncio.Future[tuple[float, int, str]] = loop.create_future()
        handles: list[asyncio.Handle] = []
        calls: list[int] = []

        def wake(sent: float) -> None:
            if not fut.done():
                fut.set_result((time.monotonic() - sent, threading.get_ident(), var.get()))

        def worker() -> None:
            time.sleep(0.05)  # the loop is idle by now: no timer of its own pending
            handles.append(loop.call_soon_threadsafe(wake, time.monotonic(), context=context))
            for i in range(500):
                loop.call_soon_threadsafe(calls.append, i)

        thread = threading.Thread(target=worker)
        thread.start()
        latency, ident, value = await fut
        thread.join()
        while len(calls) < 500:
            await asyncio.sleep(0.001)
        assert isinstance(handles[0], asyncio.Handle)
        return latency, ident, value, len(calls)

    latency, ident, value, count = loop.run_until_complete(main())
    assert latency < 0.1
    assert ident == loop_thread
    assert value == "from the thread"
    assert count == 500


def test_signal_handlers_run_on_the_loop(loop: TimerHeapEventLoop) -> None:
    got: list[tuple[str, int]] = []

    async def main() -> None:
        loop.add_signal_handler(signal.SIGUSR1, lambda: got.append(("usr1", threading.get_ident())))
        try:
            os.kill(os.getpid(), signal.SIGUSR1)
            for _ in range(200):
                if got:
                    break
                await asyncio.sleep(0.005)
        finally:
            loop.remove_signal_handler(signal.SIGUSR1)

    loop.run_until_complete(main())
    assert got == [("usr1", threading.get_ident())]


def test_io_is_served_while_thousands_of_timers_are_due(loop: TimerHeapEventLoop) -> None:
    due = 20_000
    ran = 0
    served_after: list[int] = []
    reader, writer = socket.socketpair()

    def tick() -> None:
        nonlocal ran
        ran += 1

    def on_readable() -> None:
        reader.recv(16)
        served_after.append(ran)
        loop.remove_reader(reader)

    async def main() -> None:
        now = loop.time()
        for _ in range(due):
            loop.call_at(now, tick)
        loop.add_reader(reader, on_readable)
        writer.send(b"x")
        while ran < due or not served_after:
            await asyncio.sleep(0.001)

    try:
        loop.run_until_complete(main())
    finally:
        reader.close()
        writer.close()
    assert served_after and served_after[0] < due // 2


def test_sleep_wait_for_and_timeout_behave(loop: TimerHeapEventLoop) -> None:
    async def main() -> None:
        started = loop.time()
        await asyncio.sleep(0.05)
        assert 0.05 <= loop.time() - started < 1

        started = loop.time()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.sleep(10), 0.05)
        assert 0.05 <= loop.time() - started < 1

        started = loop.time()
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.05):
                await asyncio.sleep(10)
        assert 0.05 <= loop.time() - started < 1

        assert await asyncio.wait_for(asyncio.sleep(0.01, result="done"), 5) == "done"

    loop.run_until_complete(main())
    assert _live_timers(loop) == 0


def test_a_failing_callback_does_not_stall_the_loop(loop: TimerHeapEventLoop) -> None:
    errors: list[BaseException] = []
    loop.set_exception_handler(lambda _loop, ctx: errors.append(ctx["exception"]))
    ran: list[str] = []

    def fail() -> None:
        raise ValueError("boom")

    async def main() -> None:
        loop.call_soon(fail)
        loop.call_later(0.005, fail)
        loop.call_later(0.01, ran.append, "after")
        await asyncio.sleep(0.03)

    loop.run_until_complete(main())
    assert [type(e) for e in errors] == [ValueError, ValueError]
    assert ran == ["after"]


def test_debug_mode_reports_slow_callbacks(loop: TimerHeapEventLoop, caplog: pytest.LogCaptureFixture) -> None:
    loop.set_debug(True)
    loop.slow_callback_duration = 0.01

    async def main() -> None:
        loop.call_later(0.001, time.sleep, 0.03)
        await asyncio.sleep(0.05)

    with caplog.at_level(logging.WARNING, logger="conclab.ui.shell.qt_loop"):
        loop.run_until_complete(main())
    loop.set_debug(False)
    assert any("took" in r.getMessage() for r in caplog.records)


def test_callbacks_run_only_while_the_loop_runs(loop: TimerHeapEventLoop, qapp: QApplication) -> None:
    ran: list[str] = []
    loop.call_soon(ran.append, "soon")
    loop.call_later(0, ran.append, "later")
    qapp.processEvents()
    assert ran == []
    loop.run_until_complete(asyncio.sleep(0.01))
    assert ran == ["soon", "later"]


def test_a_nested_qt_loop_inside_a_callback_does_not_reenter(loop: TimerHeapEventLoop) -> None:
    log: list[str] = []

    def modal() -> None:
        nested = QEventLoop()
        QTimer.singleShot(30, nested.quit)
        log.append("modal opens")
        nested.exec()
        log.append("modal closed")

    async def main() -> None:
        loop.call_soon(modal)
        loop.call_later(0.005, log.append, "timer")
        await asyncio.sleep(0.06)

    loop.run_until_complete(main())
    assert log == ["modal opens", "modal closed", "timer"]


def test_a_closed_loop_refuses_callbacks(loop: TimerHeapEventLoop) -> None:
    loop.call_later(10, print)
    loop.run_until_complete(asyncio.sleep(0))
    loop.close()
    assert loop._timer_heap == []
    with pytest.raises(RuntimeError):
        loop.call_soon(print)
    with pytest.raises(RuntimeError):
        loop.call_later(1, print)
    with pytest.raises(RuntimeError):
        loop.call_soon_threadsafe(print)


def test_20000_sleeps_under_gather_keep_up_with_plain_asyncio(qapp: QApplication) -> None:
    count = 20_000

    async def sleeps() -> float:
        started = time.perf_counter()
        done = await asyncio.gather(*(asyncio.sleep(0.2, result=i) for i in range(count)))
        assert done == list(range(count))
        return time.perf_counter() - started

    with asyncio.Runner() as runner:
        plain = runner.run(sleeps())
    with asyncio.Runner(loop_factory=lambda: TimerHeapEventLoop(qapp)) as runner:
        heap = runner.run(sleeps())
    # Raw qasync needs several times plain asyncio's time here, and more the more timers there are.
    assert heap < 3 * plain, f"timer-heap loop {heap:.2f}s, plain asyncio {plain:.2f}s"
