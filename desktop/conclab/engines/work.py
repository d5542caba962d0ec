"""Synchronous step bodies: sleep, block, net, cpu, hash — each recording its spans into a lane.

Work runs in small quanta with one `perf_counter` per quantum. A quantum that took much longer than
the work in it is a gap: the thread was ready but not running. Only at a gap (never per quantum) the
body asks what the gap was made of:
- the thread's CPU clock: the part spent on a core was slow work and stays `running`; the rest is
  the `ready_wait`;
- the kernel's run-queue time (`/proc/thread-self/schedstat` on Linux): waiting for a core; the
  rest, asleep, is waiting for the GIL;
- unless no other thread of the process ran meanwhile (a process worker, whose other threads only
  watch): then nothing could hold the GIL, and the thread lacked a core (the hypervisor's, say).
A gap is labelled with the cause that took most of it (their order inside one gap is not measured,
so it is not split in two). A thread's wait after a blocking call (a sleep's timer, a reply on the
socket) is told from its run-queue time. Where the run queue cannot be read and other threads ran, a
wait is "the GIL or a core": never a guess.
"""

from __future__ import annotations

import os
import socket
import statistics
import threading
from collections.abc import Callable
from time import perf_counter, process_time, thread_time
from typing import NamedTuple

from conclab.engines.calibrate import Calibration, hash_bytes, spin
from conclab.engines.recorder import Lane
from conclab.engines.stop import Cancelled, StepError, StopFlag
from conclab.model.trace import MIN_READY_S, Cause, State

# A quantum longer than its expected time by this much counts as a wait, not as slow work.
GAP_S = 0.0005
NET_POLL_S = 0.05
CONNECT_TIMEOUT_S = 5.0
# Linux lets a sleeping thread's timer fire up to this late (the default timer slack of a normal
# thread) to batch wake-ups: until then the thread is still waiting for its timer, not ready.
TIMER_SLACK_S = 50e-6
_SCHEDSTAT = "/proc/thread-self/schedstat"

# Other threads that used less CPU than this share of a wait did not hold the GIL through it.
IDLE_OTHERS = 0.1

# The length of a possible ready wait -> what it was waiting for, or None when it was no ready wait.
WaitCause = Callable[[float], str | None]


def run_queue_s() -> float | None:
    """Seconds the calling thread has spent on a run queue, ready but without a core (None: unknown)."""
    try:
        fd = os.open(_SCHEDSTAT, os.O_RDONLY)
    except OSError:
        return None
    try:
        fields = os.read(fd, 128).split()
    except OSError:
        return None
    finally:
        os.close(fd)
    return int(fields[1]) / 1e9 if len(fields) >= 2 else None


def gap_cause(wait_s: float, queued_s: float | None, others_cpu_s: float) -> Cause:
    """What an off-CPU wait of `wait_s` in running code was for, given the thread's run-queue time
    (None: unknown) and the CPU time the process's other threads used over it."""
    if threading.active_count() == 1 or others_cpu_s < IDLE_OTHERS * wait_s:
        return Cause.CORE  # no other thread ran: none held the GIL
    if queued_s is None:
        return Cause.GIL_OR_CORE
    return Cause.CORE if 2 * min(wait_s, queued_s) >= wait_s else Cause.GIL


def resume_cause(wait_s: float, queued_s: float | None) -> Cause | None:
    """What a thread waited for between the end of a blocking call and running again, or None.

    Run-queue time is a measured wait for a core, however short. Time asleep past the call's end is
    a wait for the GIL only when it is long (`GAP_S`): a shorter one cannot be told from the time the
    kernel takes to wake the thread, so it stays part of the call's wait.
    """
    if queued_s is not None and 2 * min(wait_s, queued_s) >= wait_s:
        return Cause.CORE
    if wait_s < GAP_S:
        return None
    if threading.active_count() == 1:
        return Cause.CORE
    return Cause.GIL if queued_s is not None else Cause.GIL_OR_CORE


def _since(now: float | None, before: float | None) -> float | None:
    return None if now is None or before is None else max(0.0, now - before)


def thread_wait(queued_before: float | None) -> WaitCause:
    """The cause of a thread's wait that ends now, against a run-queue reading taken before it began
    (None when none was taken: the wait is then told only as far as the thread count allows)."""
    queued = None if queued_before is None else _since(run_queue_s(), queued_before)
    return lambda wait_s: resume_cause(wait_s, queued)


def loop_wait(_wait_s: float) -> str:
    """A coroutine's wait to be resumed: the event loop was busy with something else."""
    return Cause.LOOP


class _Mark(NamedTuple):
    """The clocks at one moment: wall, this thread's CPU, the process's CPU, this thread's run queue."""

    wall: float
    cpu: float
    process: float
    queued: float | None

    @classmethod
    def at(cls, wall: float) -> _Mark:
        return cls(wall, thread_time(), process_time(), run_queue_s())


def _quanta(
    lane: Lane, task: int, step: int, total: int, quantum: int, rate: float, stop: StopFlag,
    fn: Callable[[int], object],
) -> None:
    if not lane.detail:
        _quanta_untimed(lane, task, step, total, quantum, stop, fn)
        return
    seg0 = last = perf_counter()
    mark = _Mark.at(seg0)
    lane.open = (task, step, State.RUNNING, seg0)
    remaining = total
    while remaining > 0:
        if stop.is_set():
            lane.add(task, step, State.RUNNING, seg0, last)
            lane.open = None
            raise Cancelled
        n = quantum if remaining > quantum else remaining
        fn(n)
        remaining -= n
        now = perf_counter()
        expected = n / rate
        if now - last > expected + GAP_S:
            seg0, mark = _gap(lane, task, step, seg0, last, now - last - expected, mark, now)
        last = now
    lane.add(task, step, State.RUNNING, seg0, last)
    lane.open = None


def _gap(lane: Lane, task: int, step: int, seg0: float, last: float, gap: float, mark: _Mark,
         now: float) -> tuple[float, _Mark]:
    """Record the off-CPU part of a gap after `last` as a ready wait; returns the new segment start and
    mark. Sub-threshold waits between marks are counted into the next gap, hence the clamp to `gap`."""
    here = _Mark.at(now)
    off_cpu = (here.wall - mark.wall) - (here.cpu - mark.cpu)
    wait = min(gap, off_cpu)
    if wait < GAP_S:
        return seg0, here  # the work itself ran slower (on a core all along): still running
    if last > seg0:
        lane.add(task, step, State.RUNNING, seg0, last)
    resumed = last + wait
    others_cpu = (here.process - mark.process) - (here.cpu - mark.cpu)
    cause = gap_cause(wait, _since(here.queued, mark.queued), others_cpu)
    lane.add(task, step, State.READY_WAIT, last, resumed, cause)
    lane.open = (task, step, State.RUNNING, resumed)
    return resumed, here


def _quanta_untimed(
    lane: Lane, task: int, step: int, total: int, quantum: int, stop: StopFlag,
    fn: Callable[[int], object],
) -> None:
    """The no-trace mode: the same work and stop checks, without a timestamp per quantum."""
    t0 = perf_counter()
    remaining = total
    while remaining > 0:
        if stop.is_set():
            raise Cancelled
        n = quantum if remaining > quantum else remaining
        fn(n)
        remaining -= n
    lane.add(task, step, State.RUNNING, t0, perf_counter())


def measure_overhead(cal: Calibration, seconds: float = 0.01, pairs: int = 15) -> float:
    """What recording costs on cpu work: a step cut into time-stamped quanta against the same work
    in untimed quanta, as a fraction (0.01 = 1 %).

    The two run in adjacent pairs, in alternating order, and the median of the per-pair ratios is kept:
    on a busy machine a best-of over each side apart drifts by ±10 %, a pair's ratio much less.
    """

    class _Never:
        def is_set(self) -> bool:
            return False

        def wait(self, timeout: float) -> bool:
            return False

    never = _Never()
    timed, untimed = Lane("probe"), Lane("probe")
    untimed.detail = False

    def took(lane: Lane) -> float:
        t0 = perf_counter()
        cpu(lane, 0, 0, seconds, cal, never)
        return perf_counter() - t0

    ratios = []
    for i in range(pairs):
        first, second = (timed, untimed) if i % 2 == 0 else (untimed, timed)
        a, b = took(first), took(second)
        ratios.append(a / b if first is timed else b / a)
    return statistics.median(ratios) - 1.0


def cpu(lane: Lane, task: int, step: int, seconds: float, cal: Calibration, stop: StopFlag) -> None:
    """Pure-Python work worth `seconds` alone, holding the GIL."""
    _quanta(lane, task, step, cal.cpu_iters(seconds), cal.cpu_quantum_iters, cal.cpu_iters_per_s, stop, spin)


def hash_(lane: Lane, task: int, step: int, seconds: float, cal: Calibration, stop: StopFlag) -> None:
    """Hashing worth `seconds` alone, in C code that releases the GIL."""
    _quanta(lane, task, step, cal.hash_total(seconds), cal.hash_chunk_bytes, cal.hash_bytes_per_s, stop,
            hash_bytes)


def wait(lane: Lane, task: int, step: int, seconds: float, stop: StopFlag, state: str = State.IO_WAIT,
         ) -> None:
    """A blocking wait (time.sleep semantics) that a stop request interrupts at once.

    The timer is due at the deadline plus the timer slack; from then until the thread runs again it is
    ready, waiting for a core or the GIL (measured).
    """
    t0 = perf_counter()
    queued0 = run_queue_s() if lane.detail else None
    due = t0 + seconds + TIMER_SLACK_S
    lane.open = (task, step, state, t0)
    if stop.wait(seconds):
        lane.add(task, step, state, t0, perf_counter())
        lane.open = None
        raise Cancelled
    t = perf_counter()
    cause = thread_wait(queued0)(t - due) if t - due > MIN_READY_S else None
    if cause is not None:
        lane.add(task, step, state, t0, due)
        lane.add(task, step, State.READY_WAIT, due, t, cause)
    else:
        lane.add(task, step, state, t0, t)
    lane.open = None


def net(
    lane: Lane, task: int, step: int, seconds: float, addr: tuple[str, int], stop: StopFlag,
) -> None:
    """One round trip to the loopback server over a blocking socket."""
    t0 = perf_counter()
    queued = run_queue_s() if lane.detail else None
    lane.open = (task, step, State.IO_WAIT, t0)
    try:
        with socket.create_connection(addr, timeout=CONNECT_TIMEOUT_S) as sock:
            connected = perf_counter()
            after_connect = thread_wait(queued)
            queued = run_queue_s() if lane.detail else None
            sock.settimeout(NET_POLL_S)
            sock.sendall(b"%d\n" % round(seconds * 1e6))
            buf = b""
            while b"\n" not in buf:
                if stop.is_set():
                    raise Cancelled
                try:
                    chunk = sock.recv(64)
                except TimeoutError:
                    # Run-queue time before this poll is not part of the wait for the reply.
                    queued = run_queue_s() if lane.detail else None
                    continue
                if not chunk:
                    raise ConnectionError("the loopback server closed the connection")
                buf += chunk
    except Cancelled:
        lane.add(task, step, State.IO_WAIT, t0, perf_counter())
        lane.open = None
        raise
    except OSError as exc:
        lane.add(task, step, State.IO_WAIT, t0, perf_counter())
        lane.open = None
        raise StepError(describe_net_error(exc)) from exc
    t = perf_counter()
    record_round_trip(lane, task, step, t0, connected, buf, t, after_connect, thread_wait(queued))
    lane.open = None


def record_round_trip(lane: Lane, task: int, step: int, t0: float, connected: float, reply: bytes,
                      t: float, after_connect: WaitCause, after_reply: WaitCause) -> None:
    """Spans of one round trip, from the server's stamps: waiting on the network while it had something
    to do (connecting; request sent → reply on the socket), and ready while the code could not run
    (accepted but not yet resumed; answered but not yet resumed), with the causes given."""
    accepted, sent = parse_reply(reply)
    accepted = min(max(accepted, t0), connected)
    sent = min(max(sent, connected), t)
    connect_cause = after_connect(connected - accepted) if connected - accepted > MIN_READY_S else None
    reply_cause = after_reply(t - sent) if t - sent > MIN_READY_S else None
    if connect_cause is not None:
        lane.add(task, step, State.IO_WAIT, t0, accepted)
        lane.add(task, step, State.READY_WAIT, accepted, connected, connect_cause)
        lane.add(task, step, State.IO_WAIT, connected, sent if reply_cause is not None else t)
    else:
        lane.add(task, step, State.IO_WAIT, t0, sent if reply_cause is not None else t)
    if reply_cause is not None:
        lane.add(task, step, State.READY_WAIT, sent, t, reply_cause)


def describe_net_error(exc: OSError) -> str:
    """A user-facing sentence for a failed round trip."""
    if isinstance(exc, ConnectionRefusedError):
        return "net step failed: the loopback server refused the connection (it is not running)"
    if isinstance(exc, (ConnectionResetError, BrokenPipeError)):
        return "net step failed: the loopback server dropped the connection"
    if isinstance(exc, TimeoutError):
        return "net step failed: the loopback server did not answer in time"
    if isinstance(exc, ConnectionError) and str(exc).startswith("the loopback"):
        return f"net step failed: {exc}"
    return f"net step failed: {exc.strerror or exc}"


def parse_reply(buf: bytes) -> tuple[float, float]:
    """The server's reply: its `perf_counter` when it accepted the connection and when it answered."""
    line = buf.split(b"\n", 1)[0]
    try:
        accepted, sent = (float(x) for x in line.split())
    except ValueError as exc:
        raise StepError(f"net step failed: the loopback server answered {line[:40]!r}") from exc
    return accepted, sent
