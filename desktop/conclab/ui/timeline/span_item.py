"""The timeline's bar item: draws one section's `SpanLayer`, culled to the view, one drawRects per state.

The layer (Qt-free, `span_layer.py`) says what to draw for the visible time range at the current
zoom: spans at least a pixel wide as rects, narrower ones rasterised onto pixel columns, spans in
progress merged per row and state up to "now". This item only paints that: the rects with one brush
per state, the raster as one image, so a million spans cost a few drawing calls.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from pyqtgraph.Qt import internals
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QImage, QPainter

from conclab.model.trace import STATES
from conclab.ui.palette import state_brush, state_color
from conclab.ui.timeline.span_layer import SpanLayer
from conclab.ui.timeline.span_store import N_STATES, Frame

_SUB = 8  # image rows per lane for sub-pixel spans; 1 of 8 clear on each side ~ ROW_PAD


class SpanItem(pg.GraphicsObject):  # type: ignore[misc]
    """Draws a SpanLayer (row r occupies y in [r, r+1]): closed spans, and spans in progress up to now."""

    def __init__(self, layer: SpanLayer) -> None:
        super().__init__()
        self.layer = layer
        self._arrays = [internals.PrimitiveArray(QRectF, 4) for _ in range(N_STATES)]
        self._brushes = [state_brush(s) for s in (*STATES, "?")]
        self._bounds = QRectF()
        self._lut = np.array([0, *(0xFF000000 | state_color(s).rgb() for s in (*STATES, "?"))], np.uint32)
        self.paint_count = 0

    def refresh(self) -> None:
        """Take in the layer's changes: update the bounds and schedule a repaint."""
        self.layer.store.flush()
        t_min, t_max, rows = self.layer.bounds()
        bounds = QRectF(t_min, 0.0, max(t_max - t_min, 1e-9), float(rows))
        if bounds != self._bounds:
            self.prepareGeometryChange()
            self._bounds = bounds
        self.update()

    def boundingRect(self) -> QRectF:
        return QRectF(self._bounds)

    def paint(self, painter: QPainter, *args: Any) -> None:
        self.paint_count += 1
        scale = painter.transform().m11()
        view = self.viewRect()
        if scale <= 0 or view is None:
            return
        frame = self.layer.frame(view.left(), view.right(), 1.0 / scale)
        self._paint_raster(painter, frame)
        painter.setPen(Qt.PenStyle.NoPen)
        for s, arr in enumerate(frame.rects):
            if arr.shape[0] == 0:
                continue
            prim = self._arrays[s]
            prim.resize(arr.shape[0])
            prim.ndarray()[:] = arr
            painter.setBrush(self._brushes[s])
            painter.drawRects(*prim.drawargs())

    def _paint_raster(self, painter: QPainter, frame: Frame) -> None:
        n_rows, cols = frame.raster.shape
        if cols == 0 or not frame.raster.any():
            return
        # Each lane becomes _SUB image rows, the outer ones left clear as the gap between lanes.
        pixels = np.zeros((n_rows, _SUB, cols), dtype=np.uint32)
        pixels[:, 1:-1, :] = self._lut[frame.raster][:, None, :]
        image = QImage(pixels.data, cols, n_rows * _SUB, cols * 4, QImage.Format.Format_ARGB32_Premultiplied)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        painter.drawImage(QRectF(frame.x0, 0.0, cols * frame.px, float(n_rows)), image)
