"""Pictures drawn with Qt: a `Picture` as PNG at 1x/2x/3x, on the clipboard, and text widths for layout.

A picture is painted primitive by primitive with QPainter, in the fonts the app ships, at exactly its
logical size times the scale — a 1200 × 900 picture at 2x is 2400 × 1800 pixels, drawn at that density,
not enlarged. `QtMeasure` gives the layout the same fonts' widths, so the wrapping done for a picture
holds in the PNG and in its SVG (`svg_writer`) alike.

A widget can also be drawn as it is on screen (`save_png`/`save_svg` with a QWidget): the self-test's
check that the window draws. Its SVG embeds that PNG, so it too looks the same in every renderer.
"""

from __future__ import annotations

import base64
import math

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QGuiApplication,
    QImage,
    QPainter,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import QWidget

from conclab.model.fileio import WriteError, atomic_write_bytes, atomic_write_text
from conclab.ui.exports.picture import (
    BACKGROUND_HEX,
    Circle,
    Item,
    Line,
    Picture,
    Polygon,
    Polyline,
    Rects,
    Text,
)
from conclab.ui.exports.svg_writer import svg_text
from conclab.ui.exports.text_layout import Style

SCALES = (1, 2, 3)
_fonts: dict[tuple[str, int, bool, bool], QFont] = {}


def font_for(family: str, size: float, bold: bool = False, italic: bool = False) -> QFont:
    """The shipped font at a whole pixel size; unhinted, so its widths are the font's own on every machine."""
    key = (family, max(1, round(size)), bold, italic)
    font = _fonts.get(key)
    if font is None:
        from conclab.ui.shell.qt_app import ensure_app

        ensure_app(offscreen=True)
        font = QFont(family)
        font.setPixelSize(key[1])
        font.setBold(bold)
        font.setItalic(italic)
        font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
        font.setKerning(True)
        _fonts[key] = font
    return font


class QtMeasure:
    """Text widths in the app's fonts, for laying out pictures."""

    def __init__(self) -> None:
        self._metrics: dict[tuple[str, int, bool, bool], QFontMetricsF] = {}

    def width(self, text: str, style: Style) -> float:
        family = Text(0, 0, "", style.size, mono=style.mono).family
        key = (family, max(1, round(style.size)), style.bold, style.italic)
        metrics = self._metrics.get(key)
        if metrics is None:
            metrics = self._metrics[key] = QFontMetricsF(font_for(*key))
        return float(metrics.horizontalAdvance(text))


def check_scale(scale: int) -> int:
    """`scale` if it is one of SCALES; a ValueError naming the choices otherwise."""
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(map(str, SCALES))}, not {scale!r}")
    return scale


def _draw_text(painter: QPainter, item: Text) -> None:
    font = font_for(item.family, item.size, item.bold, item.italic)
    painter.setFont(font)
    painter.setPen(QColor(item.color))
    x = item.x
    if item.anchor != "start":
        width = QFontMetricsF(font).horizontalAdvance(item.text)
        x -= width / 2 if item.anchor == "middle" else width
    painter.drawText(QPointF(x, item.y), item.text)


def _stroke(color: str, width: float, cap: Qt.PenCapStyle, dash: tuple[float, float] | None = None) -> QPen:
    pen = QPen(QColor(color), width)
    pen.setCapStyle(cap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    if dash is not None:
        pen.setDashPattern([dash[0] / width, dash[1] / width])
    return pen


def _fill(color: str, opacity: float) -> QColor:
    c = QColor(color)
    c.setAlphaF(max(0.0, min(1.0, opacity)))
    return c


def draw_item(painter: QPainter, item: Item) -> None:
    """Draw one primitive as the SVG writer writes it."""
    if isinstance(item, Text):
        _draw_text(painter, item)
        return
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    if isinstance(item, Rects):
        painter.setBrush(_fill(item.fill, item.opacity))
        painter.drawRects([QRectF(*box) for box in item.boxes if box[2] > 0 and box[3] > 0])
    elif isinstance(item, Line):
        painter.setPen(_stroke(item.color, item.width, Qt.PenCapStyle.FlatCap, item.dash))
        painter.drawLine(QPointF(item.x1, item.y1), QPointF(item.x2, item.y2))
    elif isinstance(item, Polyline):
        painter.setPen(_stroke(item.color, item.width, Qt.PenCapStyle.RoundCap))
        painter.drawPolyline(QPolygonF([QPointF(x, y) for x, y in item.points]))
    elif isinstance(item, Polygon):
        painter.setBrush(_fill(item.fill, item.opacity))
        painter.drawPolygon(QPolygonF([QPointF(x, y) for x, y in item.points]), Qt.FillRule.WindingFill)
    elif isinstance(item, Circle):
        painter.setBrush(QColor(item.fill))
        painter.drawEllipse(QPointF(item.cx, item.cy), item.r, item.r)


def render_image(picture: Picture, scale: int = 1) -> QImage:
    """`picture` drawn at `scale`: exactly its logical size (rounded up) times `scale` in pixels."""
    s = check_scale(scale)
    width, height = max(1, math.ceil(picture.width)), max(1, math.ceil(picture.height))
    image = QImage(width * s, height * s, QImage.Format.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(s)
    image.fill(QColor(BACKGROUND_HEX))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    try:
        for item in picture.items:
            draw_item(painter, item)
    finally:
        painter.end()
    return image


def png_bytes(image: QImage) -> bytes:
    """`image` encoded as PNG."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):  # type: ignore[call-overload]
        raise WriteError("could not encode the picture as PNG")
    buffer.close()
    return bytes(data.data())


def widget_image(widget: QWidget, scale: int = 1) -> QImage:
    """A widget drawn as it is on screen, at `scale`."""
    s = check_scale(scale)
    image = QImage(max(widget.width(), 1) * s, max(widget.height(), 1) * s, QImage.Format.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(s)
    image.fill(QColor(BACKGROUND_HEX))
    painter = QPainter(image)
    try:
        # QGraphicsView overrides render() to draw its scene only; the widget's own render draws it as shown.
        QWidget.render(widget, painter, QPoint(0, 0))
    finally:
        painter.end()
    return image


def save_png(source: Picture | QWidget, path: str, scale: int = 1) -> None:
    """Write a PNG of a picture (or of a widget as shown); a failed write raises WriteError, keeping any old file."""
    image = render_image(source, scale) if isinstance(source, Picture) else widget_image(source, scale)
    atomic_write_bytes(path, png_bytes(image))


def widget_svg(widget: QWidget) -> str:
    """An SVG of a widget as shown: its 2x picture embedded, sized to the widget."""
    data = base64.b64encode(png_bytes(widget_image(widget, 2))).decode("ascii")
    w, h = max(widget.width(), 1), max(widget.height(), 1)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" '
            f'xmlns:xlink="http://www.w3.org/1999/xlink" width="{w}" height="{h}" viewBox="0 0 {w} {h}">'
            f'<image width="{w}" height="{h}" xlink:href="data:image/png;base64,{data}"/></svg>\n')


def save_svg(source: Picture | QWidget, path: str) -> None:
    """Write an SVG of a picture (or of a widget as shown); raises WriteError, keeping any old file."""
    atomic_write_text(path, svg_text(source) if isinstance(source, Picture) else widget_svg(source))


def copy_to_clipboard(picture: Picture, scale: int = 1) -> QImage:
    """Put `picture` on the clipboard and return the image put there."""
    image = render_image(picture, scale)
    clipboard = QGuiApplication.clipboard()
    if clipboard is not None:
        clipboard.setImage(image)
    return image
