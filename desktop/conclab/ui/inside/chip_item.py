"""One task drawn in the Inside panel: a rounded chip in its state's colour, moved and recoloured by animation."""

from __future__ import annotations

from PySide6.QtCore import Property, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsObject, QStyleOptionGraphicsItem, QWidget

from conclab.ui.inside.picture import Chip
from conclab.ui.palette import UNKNOWN_HEX, state_color

RADIUS = 6.0


def text_color_on(fill: QColor) -> QColor:
    """Black or white, whichever reads better on `fill` (relative luminance)."""
    luminance = 0.2126 * fill.redF() + 0.7152 * fill.greenF() + 0.0722 * fill.blueF()
    return QColor("#111111") if luminance > 0.5 else QColor("#FFFFFF")


def chip_fill(chip: Chip) -> QColor:
    """The chip's colour: its state's, lighter for work handed to an offload worker."""
    color = state_color(chip.state) if chip.state else QColor(UNKNOWN_HEX)
    return color.lighter(130) if chip.side else color


class ChipItem(QGraphicsObject):
    """A task's chip; `pos` and `color` are animatable properties. Cached as a pixmap: cheap to repaint."""

    def __init__(self, chip: Chip, width: float, height: float, font: QFont) -> None:
        super().__init__()
        self.chip = chip
        self._w = width
        self._h = height
        self._font = font
        self._fill = chip_fill(chip)
        self._selected = False
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setToolTip(self._tooltip())
        self.setAcceptedMouseButtons(Qt.MouseButton.LeftButton)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def _tooltip(self) -> str:
        chip = self.chip
        step = "before its first step" if chip.step < 0 else f"step {chip.step + 1}"
        return f"{chip.name} — {step}\n{chip.detail}\nclick: step through this task's changes only"

    def set_chip(self, chip: Chip, width: float, height: float, font: QFont) -> None:
        """Show another state of the same task (the colour is set by the caller, possibly animated)."""
        if (chip, width, height) == (self.chip, self._w, self._h) and font == self._font:
            return
        self.prepareGeometryChange()
        self.chip, self._w, self._h, self._font = chip, width, height, font
        self.setToolTip(self._tooltip())
        self.update()

    def _get_color(self) -> QColor:
        return self._fill

    def _set_color(self, color: QColor) -> None:
        if color != self._fill:
            self._fill = QColor(color)
            self.update()

    color = Property(QColor, _get_color, _set_color)  # animated by the view

    def fill(self) -> QColor:
        return QColor(self._fill)

    def set_fill(self, color: QColor) -> None:
        self._set_color(color)

    def is_selected(self) -> bool:
        return self._selected

    def set_selected(self, selected: bool) -> None:
        if selected != self._selected:
            self._selected = selected
            self.update()

    def boundingRect(self) -> QRectF:
        return QRectF(-2.0, -2.0, self._w + 4.0, self._h + 4.0)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        rect = QRectF(0.0, 0.0, self._w, self._h)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(QColor("#111111"), 2.5) if self._selected else QPen(self._fill.darker(135), 1.0)
        painter.setPen(pen)
        painter.setBrush(self._fill)
        painter.drawRoundedRect(rect, RADIUS, RADIUS)
        ink = text_color_on(self._fill)
        painter.setPen(ink)
        painter.setFont(self._font)
        pad = self._h * 0.35
        text_rect = rect.adjusted(pad, 0, -pad, 0)
        badge = self.chip.badge
        if badge:
            metrics_w = painter.fontMetrics().horizontalAdvance(badge) + pad
            pill = QRectF(rect.right() - metrics_w - pad * 0.6, rect.top() + 3, metrics_w, rect.height() - 6)
            painter.setBrush(ink)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.drawRoundedRect(pill, RADIUS - 2, RADIUS - 2)
            painter.setPen(self._fill)
            painter.drawText(pill, int(Qt.AlignmentFlag.AlignCenter), badge)
            painter.setPen(ink)
            text_rect.setRight(pill.left() - 2)
        flags = int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft)
        painter.drawText(text_rect, flags, chip_label(self.chip))

    def center(self) -> QPointF:
        return self.pos() + QPointF(self._w / 2, self._h / 2)


def chip_label(chip: Chip) -> str:
    """The words on a chip: the task's name and, after a dot, its short note."""
    return f"{chip.name} · {chip.text}" if chip.text else chip.name
