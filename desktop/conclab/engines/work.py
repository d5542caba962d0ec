"""Synchronous step bodies: sleep, block, net, cpu, hash — each recording its spans into a lane.

Work runs in small quanta with one `perf_counter` per quantum. A quantum that took much longer than
the work in it means the code was ready but not running (waiting for the GIL, the loop or a core):
that gap is recorded as `ready_wait`, the rest as `running`.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from time import perf_counter

from conclab.engines.calibrate import Calibration, hash_bytes, spin
from conclab.engines.recorder import Lane
from conclab.engines.stop import Cancelled, StepError, StopFlag

# A quantum longer than its expected time by this much counts as a wait, not as slow work.
GAP_S = 0.0005
# Waits shorter than this after a deadline are timer jitter, not worth a span.
MIN_READY_S = 20e-6
NET_POLL_S = 0.05


def _quanta(
    lane: Lane, task: int, step: int, total: int, quantum: int, rate: float, stop: StopFlag,
    fn: Callable[[int], object],
) -> None:
    if not lane.detail:
        _quanta_untimed(lane, task, step, total, quantum, stop, fn)
        return
    seg0 = last = perf_counter()
    lane.open = (task, step, "running", seg0)
    remaining = total
    while remaining > 0:
        if stop.is_set():
            lane.add(task, step, "running", seg0, last)
            lane.open = None
            raise Cancelled
        n = quantum if remaining > quantum else remaining
        fn(n)
        remaining -= n
        now = perf_counter()
        expected = n / rate
        if now - last > expected + GAP_S:
            resumed = now - expected
            if last > seg0:
                lane.add(task, step, "running", seg0, last)
            lane.add(task, step, "ready_wait", last, resumed)
            seg0 = resumed
            lane.open = (task, step, "running", seg0)
        last = now
    lane.add(task, step, "running", seg0, last)
    lane.open = None


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
    lane.add(task, step, "running", t0, perf_counter())


def measure_overhead(cal: Calibration, seconds: float = 0.02, trials: int = 7) -> float:
    """What recording costs on cpu work: a step cut into time-stamped quanta against the same work
    in untimed quanta (best of several trials each), as a fraction (0.01 = 1 %)."""

    class _Never:
        def is_set(self) -> bool:
            return False

        def wait(self, timeout: float) -> bool:
            return False

    never = _Never()
    timed, untimed = Lane("probe"), Lane("probe")
    untimed.detail = False
    best = {True: float("inf"), False: float("inf")}
    for _ in range(trials):
        for lane in (timed, untimed):
            t0 = perf_counter()
            cpu(lane, 0, 0, seconds, cal, never)
            best[lane.detail] = min(best[lane.detail], perf_counter() - t0)
    return best[True] / best[False] - 1.0


def cpu(lane: Lane, task: int, step: int, seconds: float, cal: Calibration, stop: StopFlag) -> None:
    """Pure-Python work worth `seconds` alone, holding the GIL."""
    _quanta(lane, task, step, cal.cpu_iters(seconds), cal.cpu_quantum_iters, cal.cpu_iters_per_s, stop, spin)


def hash_(lane: Lane, task: int, step: int, seconds: float, cal: Calibration, stop: StopFlag) -> None:
    """Hashing worth `seconds` alone, in C code that releases the GIL."""
    _quanta(lane, task, step, cal.hash_total(seconds), cal.hash_chunk_bytes, cal.hash_bytes_per_s, stop,
            hash_bytes)


def wait(lane: Lane, task: int, step: int, seconds: float, stop: StopFlag, state: str = "io_wait") -> None:
    """A blocking wait (time.sleep semantics) that a stop request interrupts at once."""
    t0 = perf_counter()
    deadline = t0 + seconds
    lane.open = (task, step, state, t0)
    if stop.wait(seconds):
        lane.add(task, step, state, t0, perf_counter())
        lane.open = None
        raise Cancelled
    t = perf_counter()
    if t - deadline > MIN_READY_S:
        lane.add(task, step, state, t0, deadline)
        lane.add(task, step, "ready_wait", deadline, t)
    else:
        lane.add(task, step, state, t0, t)
    lane.open = None


def net(
    lane: Lane, task: int, step: int, seconds: float, addr: tuple[str, int], stop: StopFlag,
) -> None:
    """One round trip to the loopback server over a blocking socket."""
    t0 = perf_counter()
    lane.open = (task, step, "io_wait", t0)
    try:
        with socket.create_connection(addr, timeout=5.0) as sock:
            connected = perf_counter()
            sock.settimeout(NET_POLL_S)
            sock.sendall(b"%d\n" % round(seconds * 1e6))
            buf = b""
            while b"\n" not in buf:
                if stop.is_set():
                    raise Cancelled
                try:
                    chunk = sock.recv(64)
                except TimeoutError:
                    continue
                if not chunk:
                    raise ConnectionError("the loopback server closed the connection")
                buf += chunk
    except Cancelled:
        lane.add(task, step, "io_wait", t0, perf_counter())
        lane.open = None
        raise
    except OSError as exc:
        lane.add(task, step, "io_wait", t0, perf_counter())
        lane.open = None
        raise StepError(describe_net_error(exc)) from exc
    record_round_trip(lane, task, step, t0, connected, buf, perf_counter())
    lane.open = None


def record_round_trip(lane: Lane, task: int, step: int, t0: float, connected: float, reply: bytes,
                      t: float) -> None:
    """Spans of one round trip: waiting on the network, and being ready while the code could not run
    (connected but not yet resumed; answered but not yet resumed)."""
    accepted, sent = parse_reply(reply)
    accepted = min(max(accepted, t0), connected)
    sent = min(max(sent, connected), t)
    if connected - accepted > MIN_READY_S:
        lane.add(task, step, "io_wait", t0, accepted)
        lane.add(task, step, "ready_wait", accepted, connected)
        lane.add(task, step, "io_wait", connected, sent)
    else:
        lane.add(task, step, "io_wait", t0, sent)
    if t - sent > MIN_READY_S:
        lane.add(task, step, "ready_wait", sent, t)


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
