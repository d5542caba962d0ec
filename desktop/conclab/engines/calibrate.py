"""Calibration: how much pure-Python and hashing work takes a given time on this machine, alone.

Measured when a runtime first needs it (best of several short trials, so a noisy neighbour inflates
nothing), checked at the start of every session and measured again only when the machine's speed has
drifted, so that `cpu 100ms` means the same amount of work under every model of a session.
Child processes receive the parent's numbers instead of measuring again.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import asdict, dataclass
from time import perf_counter
from typing import Any

from conclab.engines.stop import Cancelled, StopFlag

CPU_QUANTUM_S = 100e-6
HASH_CHUNK_S = 500e-6
_BUFFER = bytes(range(256)) * 4096  # 1 MiB of hashable data


def spin(n: int) -> int:
    """Pure-Python work that holds the GIL for its whole duration."""
    x = 0
    for i in range(n):
        x = (x * 31 + i) & 0xFFFF
    return x


def hash_bytes(n: int) -> None:
    """Hash `n` bytes with hashlib, which releases the GIL for buffers this large."""
    h = hashlib.sha256()
    view = memoryview(_BUFFER)
    while n > 0:
        k = min(n, len(_BUFFER))
        h.update(view[:k])
        n -= k


@dataclass(frozen=True)
class Calibration:
    """Work rates measured on this machine, and the quantum sizes derived from them."""

    cpu_iters_per_s: float
    hash_bytes_per_s: float
    cpu_quantum_iters: int
    hash_chunk_bytes: int
    seconds: float

    def cpu_iters(self, duration_s: float) -> int:
        return max(1, round(duration_s * self.cpu_iters_per_s))

    def hash_total(self, duration_s: float) -> int:
        return max(1, round(duration_s * self.hash_bytes_per_s))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _best_rate(fn: Any, amount: int, trials: int, stop: StopFlag | None = None) -> float:
    best = float("inf")
    for _ in range(trials):
        if stop is not None and stop.is_set():
            raise Cancelled
        t0 = perf_counter()
        fn(amount)
        best = min(best, perf_counter() - t0)
    return amount / max(best, 1e-9)


def measure(trials: int = 9, stop: StopFlag | None = None) -> Calibration:
    """Measure the rates now (about 0.2 s); a `stop` set meanwhile raises Cancelled between trials."""
    t0 = perf_counter()
    spin(20_000)  # warm up the interpreter's specialising paths first
    cpu_rate = _best_rate(spin, 300_000, trials, stop)
    hash_rate = _best_rate(hash_bytes, 4 * len(_BUFFER), max(3, trials // 2), stop)
    chunk = max(16 * 1024, int(hash_rate * HASH_CHUNK_S) // 4096 * 4096)
    return Calibration(
        cpu_iters_per_s=cpu_rate,
        hash_bytes_per_s=hash_rate,
        cpu_quantum_iters=max(50, int(cpu_rate * CPU_QUANTUM_S)),
        hash_chunk_bytes=chunk,
        seconds=perf_counter() - t0,
    )


DRIFT = 0.08
DRIFT_PROBE_S = 0.02


def drifted(cal: Calibration, tolerance: float = DRIFT, trials: int = 5, stop: StopFlag | None = None) -> bool:
    """Whether pure-Python work now runs at a rate more than `tolerance` away from `cal`'s (~0.1 s).

    The best of a few short probes is compared, so a busy moment does not force a new calibration,
    while a machine that has really changed speed (power saving, thermal limits) does.
    """
    amount = max(1000, int(cal.cpu_iters_per_s * DRIFT_PROBE_S))
    rate = _best_rate(spin, amount, trials, stop)
    return abs(rate / cal.cpu_iters_per_s - 1.0) > tolerance


_cached: Calibration | None = None
_lock = threading.Lock()


def get_calibration() -> Calibration:
    """The process-wide calibration, measured on first use."""
    global _cached
    with _lock:
        if _cached is None:
            _cached = measure()
        return _cached


def set_calibration(cal: Calibration) -> None:
    """Adopt numbers measured elsewhere (a parent process), so children never re-measure."""
    global _cached
    with _lock:
        _cached = cal
