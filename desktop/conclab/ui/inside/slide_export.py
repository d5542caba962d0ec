"""A slide of one instant: a 16:9 PNG or SVG with the title, the question, the timeline and its now line,
the Inside view of each run shown, the verdicts and where it was measured.

The slide is laid out offscreen at its natural size (1920 × 1080 logical pixels) and drawn with
`QWidget.render`, so it looks the same from the window, from presenter mode and from
`conclab inside RUN.json --png/--svg`, whatever the screen.
"""

from __future__ import annotations

import math
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPoint, QRect, QRectF, QSize, QSizeF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QApplication, QFileDialog, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from conclab.model.errors import ConclabError
from conclab.model.fileio import WriteError, atomic_write_bytes
from conclab.model.plan_text import format_plan
from conclab.model.provenance import footer_text
from conclab.model.run import RunDocument
from conclab.ui.inside.inside_session import ALL, InsideSession
from conclab.ui.inside.inside_view import InsideView
from conclab.ui.inside.verdicts import question_for, verdict_lines
from conclab.ui.timeline.timeline_view import TimelineView

SLIDE_KEYS = "Ctrl+Shift+E"
BACKGROUND_HEX = "#FFFFFF"
SLIDE_SIZE = QSize(1920, 1080)
SLIDE_CAP = 8
BASE_PX = 20
TIMELINE_ZOOM = 1.5
MAX_ZOOM = 2.0
SVG_TIMELINE_SCALE = 2.0  # the timeline's picture inside an SVG: sharp when the slide is shown larger


def _font(px: int, bold: bool = False) -> QFont:
    font = QFont()
    font.setPixelSize(px)
    font.setBold(bold)
    return font


def _label(parent: QWidget, text: str, px: int, bold: bool = False) -> QLabel:
    label = QLabel(text, parent)
    label.setFont(_font(px, bold))
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


class SlideView(QWidget):
    """One instant of a session laid out as a 16:9 slide (never shown on screen).

    The timeline is laid out at 1/TIMELINE_ZOOM of its place and drawn enlarged into it, so its labels
    read at slide size; it is drawn as a picture (`timeline_image`), which SVG readers show as drawn.
    """

    def __init__(self, session: InsideSession) -> None:
        super().__init__()
        self.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
        self.setAutoFillBackground(True)
        palette = self.palette()
        palette.setColor(self.backgroundRole(), QColor(BACKGROUND_HEX))
        palette.setColor(self.foregroundRole(), QColor("#111111"))
        self.setPalette(palette)
        self.setFont(_font(BASE_PX))
        self.setFixedSize(SLIDE_SIZE)
        self._session = session
        shown = session.shown()
        self._runs = [s.run for s in shown if s.run is not None]
        names = ", ".join(s.name for s in shown) or "no run"
        self.title = _label(self, f"Inside {names} at t = {session.t:.3f} s", 44, bold=True)
        self.question = _label(self, question_for([s.model for s in shown] or ["?"], session.t), 28)
        self.timeline_area = QWidget(self)
        self.timeline = TimelineView()
        self.timeline.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
        self.zoom = TIMELINE_ZOOM
        self.views = [InsideView(self, animate=False) for _ in shown]
        for view in self.views:
            view.setFont(_font(22 if len(shown) == 1 else 17))
            view.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.verdicts = _label(self, "\n".join(f"• {line}" for line in verdict_lines(self._runs, session.plan)), 22)
        self.footer = _label(self, _provenance(session), 15)
        self._build_layout()

    def _build_layout(self) -> None:
        left = QVBoxLayout()
        left.addWidget(self.timeline_area)
        left.addWidget(self.verdicts)
        left.addStretch(1)
        right = QVBoxLayout()
        for view in self.views:
            right.addWidget(view, 1)
        middle = QHBoxLayout()
        middle.setSpacing(24)
        middle.addLayout(left, 11)
        middle.addLayout(right, 9)
        box = QVBoxLayout(self)
        box.setContentsMargins(48, 32, 48, 20)
        box.setSpacing(12)
        box.addWidget(self.title)
        box.addWidget(self.question)
        box.addLayout(middle, 1)
        box.addWidget(self.footer)

    def lay_out(self) -> None:
        """Lay everything out at the slide's size and draw the instant into it."""
        self.show()
        QApplication.processEvents()
        room = self.height() * 0.62
        self.timeline.set_runs(self._runs)
        self.timeline.set_cursor(self._session.t)
        height = self._fit_timeline(self.zoom)
        for _ in range(2):  # as large as the room allows: the legend wraps differently at each zoom
            self.zoom = min(max(room / height, 1.0), MAX_ZOOM)
            height = self._fit_timeline(self.zoom)
        self.timeline_area.setFixedHeight(min(round(height * self.zoom), round(room)))
        for view, source in zip(self.views, self._session.shown(), strict=True):
            view.show_picture(self._session.picture(source, SLIDE_CAP), animate=False)
            view.settle()
        QApplication.processEvents()

    def _fit_timeline(self, zoom: float) -> float:
        """Lay the timeline out 1/zoom as wide as its place; its natural height."""
        view = self.timeline
        view.resize(round(self.timeline_area.width() / zoom), 600)
        view.show()
        QApplication.processEvents()
        graphics = view.graphics
        needed = max(graphics.minimumHeight(),
                     math.ceil(graphics.ci.effectiveSizeHint(Qt.SizeHint.MinimumSize).height()))
        height = max(needed + 2 * graphics.frameWidth() + 4, 80)
        view.resize(view.width(), height)
        QApplication.processEvents()
        view.fit()
        QApplication.processEvents()
        return float(height)

    def timeline_image(self, scale: float) -> QImage:
        """The timeline drawn at `scale` device pixels per slide pixel."""
        view = self.timeline
        ratio = self.zoom * scale
        image = QImage(view.size() * ratio, QImage.Format.Format_ARGB32_Premultiplied)
        image.setDevicePixelRatio(ratio)
        image.fill(QColor(BACKGROUND_HEX))
        painter = QPainter(image)
        try:
            QWidget.render(view, painter, QPoint(0, 0))
        finally:
            painter.end()
        return image

    def dispose(self) -> None:
        self.timeline.close()
        self.timeline.deleteLater()
        self.close()
        self.deleteLater()


def _provenance(session: InsideSession) -> str:
    doc = session.document
    if doc is not None:
        return footer_text(doc)
    return f"plan: {format_plan(session.plan)}" if session.plan is not None else ""


def _draw(slide: SlideView, painter: QPainter, scale: float) -> None:
    painter.fillRect(QRect(QPoint(0, 0), SLIDE_SIZE), QColor(BACKGROUND_HEX))
    QWidget.render(slide, painter, QPoint(0, 0))
    area = slide.timeline_area.geometry()
    image = slide.timeline_image(scale)
    shown = QRectF(area.topLeft(), QSizeF(image.width(), image.height()) / image.devicePixelRatio() * slide.zoom)
    painter.save()
    painter.setClipRect(area)
    painter.drawImage(shown, image)
    painter.restore()


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):  # type: ignore[call-overload]  # the stubs say bytes; only str works
        raise WriteError("could not encode the slide as PNG")
    buffer.close()
    return bytes(data.data())


def slide_png(session: InsideSession, scale: int = 1) -> bytes:
    """The slide as PNG, `scale` times its natural size in pixels."""
    slide = SlideView(session)
    try:
        slide.lay_out()
        image = QImage(SLIDE_SIZE * scale, QImage.Format.Format_ARGB32_Premultiplied)
        image.setDevicePixelRatio(scale)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        try:
            _draw(slide, painter, scale)
        finally:
            painter.end()
        return png_bytes(image)
    finally:
        slide.dispose()


def slide_svg(session: InsideSession) -> bytes:
    """The slide as SVG: text as text, boxes and chips as vector shapes."""
    slide = SlideView(session)
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    generator = QSvgGenerator()
    generator.setOutputDevice(buffer)
    generator.setSize(SLIDE_SIZE)
    generator.setViewBox(QRect(QPoint(0, 0), SLIDE_SIZE))
    generator.setTitle("Concurrency Lab — inside one instant")
    painter = QPainter()
    try:
        slide.lay_out()
        if not painter.begin(generator):
            raise WriteError("could not start drawing the SVG slide")
        try:
            _draw(slide, painter, SVG_TIMELINE_SCALE)
        finally:
            painter.end()
    finally:
        slide.dispose()
    buffer.close()
    return bytes(data.data())


def save_slide(session: InsideSession, path: str | Path) -> None:
    """Write the slide as PNG or SVG, by the path's suffix (raises ConclabError for anything else)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".png":
        atomic_write_bytes(str(path), slide_png(session))
    elif suffix == ".svg":
        atomic_write_bytes(str(path), slide_svg(session))
    else:
        raise ConclabError(f"a slide is a .png or an .svg file, not {Path(path).name!r}")


def document_slide(doc: RunDocument, run: int, t: float, path: str | Path) -> None:
    """Write the slide of run `run` (or ALL) of a document at instant t (the command line's --png/--svg)."""
    session = InsideSession()
    try:
        session.set_document(doc)
        session.set_mode(run if run == ALL or 0 <= run < len(doc.runs) else 0)
        session.seek(t)
        save_slide(session, path)
    finally:
        session.deleteLater()


def export_slide_dialog(session: InsideSession, parent: QWidget) -> Path | None:
    """Ask where to save the slide of the instant shown, and save it there."""
    name, _ = QFileDialog.getSaveFileName(parent, "Export slide", f"inside-{session.t:.3f}s.png",
                                          "PNG picture (*.png);;SVG picture (*.svg)")
    if not name:
        return None
    path = Path(name) if Path(name).suffix else Path(name).with_suffix(".png")
    try:
        save_slide(session, path)
    except ConclabError as exc:
        _status(parent, f"slide not saved: {exc}")
        return None
    _status(parent, f"exported slide {path}")
    return path


def _status(parent: QWidget, text: str) -> None:
    bar = getattr(parent, "statusBar", None)
    if callable(bar):
        bar().showMessage(text, 8000)
