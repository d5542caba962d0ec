"""The lag lane item: draws a `LagSeries` — how late the main loop's heartbeat was (ms) — with freezes shaded.

Freezes (samples later than the threshold) are shaded over the interval the loop was stuck, in the
warning colour, which lines them up with the blocking span that caused them in the lanes above.
"""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QPainter

from conclab.ui.palette import freeze_color, lag_pen
from conclab.ui.timeline.lag_series import LagSeries


class LagItem(pg.GraphicsObject):  # type: ignore[misc]
    """Draws lag samples as a curve in ms, and each freeze (> threshold) as a shaded interval."""

    def __init__(self, series: LagSeries) -> None:
        super().__init__()
        self.series = series
        self._bounds = QRectF()
        self._pen = lag_pen()
        self._freeze_brush = QBrush(freeze_color(150))

    def refresh(self) -> None:
        """Take in the series' new samples: update the bounds and schedule a repaint."""
        t, late = self.series.samples()
        bounds = QRectF(0.0, 0.0, float(t.max(initial=0.0)), float(late.max(initial=0.0)))
        if bounds != self._bounds:
            self.prepareGeometryChange()
            self._bounds = bounds
        self.update()

    def boundingRect(self) -> QRectF:
        return QRectF(self._bounds)

    def paint(self, painter: QPainter, *args: Any) -> None:
        t, late = self.series.samples()
        if t.size == 0:
            return
        frozen = self.series.freezes()
        if frozen.size:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(self._freeze_brush)
            top = max(self.series.max_ms, self.series.threshold_ms)
            for t0, t1 in frozen:
                painter.drawRect(QRectF(t0, 0.0, t1 - t0, top))
        painter.setPen(self._pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(pg.arrayToQPath(t, late))
