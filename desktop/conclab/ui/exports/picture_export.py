"""Pictures of the timeline: PNG at 1x/2x/3x, SVG, the clipboard, and a whole comparison page.

Everything is drawn with `QWidget.render` into a QImage (PNG) or a QSvgGenerator (SVG) rather than
through pyqtgraph's exporters: its SVG exporter fails on PySide6 6.11+, and rendering the widget
keeps the picture identical to what the window shows. A provenance footer strip (plan, models,
Python, GIL, CPUs, OS, date) can be drawn below the picture.
"""

from __future__ import annotations

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QGuiApplication, QImage, QPainter, QPen
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QApplication, QWidget

from conclab.model.fileio import WriteError, atomic_write_bytes
from conclab.ui.timeline.timeline_view import TimelineView

SCALES = (1, 2, 3)
FOOTER_PAD = 6
FOOTER_FONT_PX = 12
FOOTER_TEXT_HEX = "#333333"
FOOTER_RULE_HEX = "#BBBBBB"
BACKGROUND_HEX = "#FFFFFF"


def picture_source(widget: QWidget) -> QWidget:
    """The widget a picture is taken of: the whole timeline (not just its scrolled part) for a TimelineView."""
    return widget.graphics if isinstance(widget, TimelineView) else widget


def _footer_font() -> QFont:
    font = QFont()
    font.setPixelSize(FOOTER_FONT_PX)
    return font


def _footer_flags() -> int:
    return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap)


def footer_height(text: str | None, width: int) -> int:
    """Logical height of the footer strip for `text` wrapped to `width` (0 when there is no footer)."""
    if not text:
        return 0
    inner = QRect(0, 0, max(width - 2 * FOOTER_PAD, 40), 100_000)
    bounds = QFontMetrics(_footer_font()).boundingRect(inner, _footer_flags(), text)
    return bounds.height() + 2 * FOOTER_PAD


def settle(widget: QWidget) -> None:
    """Bring a hidden widget's size and layout up to date, as showing it would."""
    if widget.isVisible():
        return
    # Qt delivers a hidden widget's pending resize events only when it is drawn: draw it once, small.
    scratch = QImage(1, 1, QImage.Format.Format_ARGB32_Premultiplied)
    painter = QPainter(scratch)
    try:
        QWidget.render(widget.window(), painter, QPoint(0, 0))
    finally:
        painter.end()
    QApplication.sendPostedEvents()


def picture_size(widget: QWidget, footer: str | None = None) -> QSize:
    """The logical size of a picture of `widget` (its own size, plus the footer strip if any)."""
    settle(widget)
    size = picture_source(widget).size()
    return QSize(size.width(), size.height() + footer_height(footer, size.width()))


def _check_scale(scale: int) -> int:
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(map(str, SCALES))}, not {scale!r}")
    return scale


def draw_footer(painter: QPainter, text: str, top: int, width: int) -> None:
    """The footer strip: a thin rule, then the wrapped text, from logical y = `top` down."""
    height = footer_height(text, width)
    painter.save()
    painter.fillRect(QRect(0, top, width, height), QColor(BACKGROUND_HEX))
    painter.setPen(QPen(QColor(FOOTER_RULE_HEX), 1))
    painter.drawLine(0, top, width, top)
    painter.setPen(QColor(FOOTER_TEXT_HEX))
    painter.setFont(_footer_font())
    painter.drawText(QRect(FOOTER_PAD, top + FOOTER_PAD, width - 2 * FOOTER_PAD, height - 2 * FOOTER_PAD),
                     _footer_flags(), text)
    painter.restore()


def _render_widget(widget: QWidget, painter: QPainter, offset: QPoint) -> None:
    # QGraphicsView overrides render() to draw its scene only; the widget's own render draws it as shown.
    QWidget.render(widget, painter, offset)


def _paint(painter: QPainter, source: QWidget, footer: str | None) -> None:
    size = source.size()
    painter.fillRect(QRect(QPoint(0, 0), size), QColor(BACKGROUND_HEX))
    _render_widget(source, painter, QPoint(0, 0))
    if footer:
        draw_footer(painter, footer, size.height(), size.width())


def render_image(widget: QWidget, scale: int = 1, footer: str | None = None) -> QImage:
    """A picture of `widget` whose pixel size is exactly its logical size (with footer) times `scale`."""
    source = picture_source(widget)
    logical = picture_size(widget, footer)
    s = _check_scale(scale)
    image = QImage(logical.width() * s, logical.height() * s, QImage.Format.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(s)
    image.fill(QColor(BACKGROUND_HEX))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    try:
        _paint(painter, source, footer)
    finally:
        painter.end()
    return image


def png_bytes(image: QImage) -> bytes:
    """`image` encoded as PNG."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise WriteError("could not encode the picture as PNG")
    buffer.close()
    return bytes(data.data())


def save_png(widget: QWidget, path: str, scale: int = 1, footer: str | None = None) -> None:
    """Write a PNG of `widget`; a failed write raises WriteError and leaves any old file intact."""
    atomic_write_bytes(path, png_bytes(render_image(widget, scale, footer)))


def svg_bytes(widget: QWidget, footer: str | None = None, title: str = "Concurrency Lab timeline") -> bytes:
    """An SVG of `widget`: spans as vector rectangles, the footer as real text."""
    source = picture_source(widget)
    logical = picture_size(widget, footer)
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    generator = QSvgGenerator()
    generator.setOutputDevice(buffer)
    generator.setSize(logical)
    generator.setViewBox(QRect(QPoint(0, 0), logical))
    generator.setTitle(title)
    generator.setDescription(footer or "")
    painter = QPainter()
    if not painter.begin(generator):
        raise WriteError("could not start drawing the SVG picture")
    try:
        _paint(painter, source, footer)
    finally:
        painter.end()
    buffer.close()
    return bytes(data.data())


def save_svg(widget: QWidget, path: str, footer: str | None = None) -> None:
    atomic_write_bytes(path, svg_bytes(widget, footer))


def copy_to_clipboard(widget: QWidget, scale: int = 1, footer: str | None = None) -> QImage:
    """Put a picture of `widget` on the clipboard and return it."""
    image = render_image(widget, scale, footer)
    clipboard = QGuiApplication.clipboard()
    if clipboard is not None:
        clipboard.setImage(image)
    return image


def page_image(widgets: list[QWidget], scale: int = 1, footer: str | None = None) -> QImage:
    """The widgets as shown (timeline, metrics, verdicts…) stacked top to bottom into one picture."""
    shown = [w for w in widgets if w is not None]
    for w in shown:
        settle(w)
    width = max((w.width() for w in shown), default=1)
    height = sum(w.height() for w in shown)
    s = _check_scale(scale)
    total = height + footer_height(footer, width)
    image = QImage(width * s, max(total, 1) * s, QImage.Format.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(s)
    image.fill(QColor(BACKGROUND_HEX))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    try:
        top = 0
        for w in shown:
            _render_widget(w, painter, QPoint(0, top))
            top += w.height()
        if footer:
            draw_footer(painter, footer, top, width)
    finally:
        painter.end()
    return image


def save_page_png(widgets: list[QWidget], path: str, scale: int = 1, footer: str | None = None) -> None:
    atomic_write_bytes(path, png_bytes(page_image(widgets, scale, footer)))
