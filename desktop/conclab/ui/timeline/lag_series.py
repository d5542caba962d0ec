"""The main loop's lateness over a run: heartbeat samples (t, late) and the freezes they reveal. No Qt here.

A heartbeat sample (t, late) means the tick due at t - late ran only at t, so the loop was stuck over
[t - late, t]. Samples later than the freeze threshold are freezes, drawn as shaded intervals that line
up with the blocking span that caused them.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from conclab.model.metrics import FREEZE_S


class LagSeries:
    """Lag samples in arrival chunks, sorted by time when read."""

    def __init__(self, threshold_ms: float = FREEZE_S * 1000.0) -> None:
        self.threshold_ms = threshold_ms
        self._chunks: list[np.ndarray] = []
        self._data = np.empty((0, 2))

    def __len__(self) -> int:
        return int(self._data.shape[0]) + sum(int(c.shape[0]) for c in self._chunks)

    def append(self, samples: Iterable[tuple[float, float]]) -> bool:
        """Add (t, late_s) samples; whether there were any."""
        arr = np.asarray(list(samples), dtype=np.float64).reshape(-1, 2)
        if arr.size:
            self._chunks.append(arr)
        return bool(arr.size)

    def _flush(self) -> None:
        if self._chunks:
            data = np.concatenate([self._data, *self._chunks])
            self._chunks.clear()
            self._data = data[np.argsort(data[:, 0], kind="stable")]

    def samples(self) -> tuple[np.ndarray, np.ndarray]:
        """Sample times (s) and lateness (ms)."""
        self._flush()
        return self._data[:, 0], self._data[:, 1] * 1000.0

    def freezes(self) -> np.ndarray:
        """An (n, 2) array of (start, end) seconds of every freeze."""
        t, late = self.samples()
        hot = late > self.threshold_ms
        return np.column_stack([t[hot] - late[hot] / 1000.0, t[hot]])

    @property
    def max_ms(self) -> float:
        return float(self.samples()[1].max(initial=0.0))

    @property
    def t_max(self) -> float:
        return float(self.samples()[0].max(initial=0.0))

    def sample_near(self, t: float, tol: float) -> tuple[float, float] | None:
        """The sample (t, late ms) nearest to time `t` within `tol` seconds, or None."""
        times, late = self.samples()
        i = int(np.searchsorted(times, t))
        near = [j for j in (i - 1, i) if 0 <= j < times.size and abs(times[j] - t) <= tol]
        if not near:
            return None
        j = min(near, key=lambda k: abs(times[k] - t))
        return float(times[j]), float(late[j])
