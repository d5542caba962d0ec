"""The lag lane item: how late the main loop's heartbeat was (ms), with freezes marked in warning colour.

A heartbeat sample (t, late) means the tick due at t - late ran only at t, so the loop was stuck over
[t - late, t]. Samples later than the freeze threshold are drawn as shaded bars over that interval,
which lines them up with the blocking span that caused them in the lanes above.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QPainter

from conclab.ui.palette import FREEZE_THRESHOLD_MS, freeze_color, lag_pen


class LagItem(pg.GraphicsObject):  # type: ignore[misc]
    """Draws lag samples as a curve in ms, and each freeze (> threshold) as a shaded interval."""

    def __init__(self, threshold_ms: float = FREEZE_THRESHOLD_MS) -> None:
        super().__init__()
        self.threshold_ms = threshold_ms
        self._chunks: list[np.ndarray] = []
        self._data = np.empty((0, 2))
        self._bounds = QRectF()
        self._pen = lag_pen()
        self._freeze_brush = QBrush(freeze_color(150))

    def append(self, samples: Any) -> None:
        """Add (t, late_s) samples; call `refresh()` to show them."""
        arr = np.asarray(samples, dtype=np.float64).reshape(-1, 2)
        if arr.size:
            self._chunks.append(arr)

    def clear(self) -> None:
        self._chunks.clear()
        self._data = np.empty((0, 2))
        self.refresh()

    def refresh(self) -> None:
        if self._chunks:
            self._data = np.concatenate([self._data, *self._chunks])
            self._chunks.clear()
            order = np.argsort(self._data[:, 0], kind="stable")
            self._data = self._data[order]
        t, late = self.samples()
        bounds = QRectF(0.0, 0.0, float(t.max(initial=0.0)), float(late.max(initial=0.0)))
        if bounds != self._bounds:
            self.prepareGeometryChange()
            self._bounds = bounds
        self.update()

    def samples(self) -> tuple[np.ndarray, np.ndarray]:
        """Sample times (s) and lateness (ms)."""
        return self._data[:, 0], self._data[:, 1] * 1000.0

    def freezes(self) -> np.ndarray:
        """An (n, 2) array of (start, end) seconds of every freeze."""
        t, late = self.samples()
        hot = late > self.threshold_ms
        return np.column_stack([t[hot] - late[hot] / 1000.0, t[hot]])

    @property
    def max_ms(self) -> float:
        return float(self.samples()[1].max(initial=0.0))

    def boundingRect(self) -> QRectF:
        return QRectF(self._bounds)

    def paint(self, painter: QPainter, *args: Any) -> None:
        t, late = self.samples()
        if t.size == 0:
            return
        frozen = self.freezes()
        if frozen.size:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(self._freeze_brush)
            top = max(self.max_ms, self.threshold_ms)
            for t0, t1 in frozen:
                painter.drawRect(QRectF(t0, 0.0, t1 - t0, top))
        painter.setPen(self._pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(pg.arrayToQPath(t, late))
