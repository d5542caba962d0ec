"""The Inside view: one run's instant drawn as boxes of task chips, chips gliding as tasks change state.

Each task keeps its chip from one instant to the next; when it moves to another box (a timer fell due:
from "waiting" to "ready"), the chip slides there and takes its new state's colour over ~200 ms
(QPropertyAnimation on `pos` and `color`). Boxes, slots and texts are painted by one backdrop item;
chips are cached as pixmaps, so a repaint costs little however busy the run.
"""

from __future__ import annotations

from PySide6.QtCore import QEasingCurve, QParallelAnimationGroup, QPointF, QPropertyAnimation, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPen, QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsItem,
    QGraphicsScene,
    QGraphicsView,
    QStyleOptionGraphicsItem,
    QWidget,
)

from conclab.ui.inside.chip_item import ChipItem, chip_fill
from conclab.ui.inside.inside_layout import Fonts, Layout, Mark, lay_out
from conclab.ui.inside.picture import Picture

ANIMATION_MS = 200


class _Backdrop(QGraphicsItem):
    """Things under the chips: box frames, slots and titles (`cached`: drawn again only when they change),
    or the texts that change from instant to instant (the summary, "+N more", the footer)."""

    def __init__(self, cached: bool) -> None:
        super().__init__()
        self.marks: list[Mark] = []
        self._rect = QRectF()
        self.setZValue(-1)
        if cached:
            self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

    def set_marks(self, marks: list[Mark], rect: QRectF) -> None:
        if marks == self.marks and rect == self._rect:
            return
        self.prepareGeometryChange()
        self.marks = marks
        self._rect = rect
        self.update()

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for m in self.marks:
            if m.fill is not None:
                painter.setPen(QPen(m.edge, 1.0) if m.edge is not None else Qt.PenStyle.NoPen)
                painter.setBrush(m.fill)
                painter.drawRoundedRect(m.rect, 5.0, 5.0)
            elif m.text:
                if m.font is not None:
                    painter.setFont(m.font)
                painter.setPen(m.ink if m.ink is not None else QColor("#000000"))
                painter.drawText(m.rect, m.flags, m.text)


class InsideView(QGraphicsView):
    """Draws Pictures; `chip_clicked(task)` when a task's chip is clicked (to step through that task)."""

    chip_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None, *, animate: bool = True) -> None:
        super().__init__(parent)
        self.animate = animate
        self._scene = QGraphicsScene(self)
        self.setScene(self._scene)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.MinimalViewportUpdate)
        self._backdrop = _Backdrop(cached=True)
        self._texts = _Backdrop(cached=False)
        self._scene.addItem(self._backdrop)
        self._scene.addItem(self._texts)
        self._chips: dict[tuple[int, bool], ChipItem] = {}
        self._picture: Picture | None = None
        self._layout: Layout | None = None
        self._fonts: Fonts | None = None
        self._selected: int | None = None
        self._motion = QParallelAnimationGroup(self)  # one group, refilled for every instant shown
        self.setAccessibleName("Inside view")

    def picture(self) -> Picture | None:
        return self._picture

    def layout_now(self) -> Layout | None:
        """Where everything was last placed (chips' final places, whatever the animation shows now)."""
        return self._layout

    def chip_items(self) -> dict[tuple[int, bool], ChipItem]:
        return dict(self._chips)

    def set_selected(self, task: int | None) -> None:
        """Outline this task's chips (the one stepping follows)."""
        self._selected = task
        for (t, _), item in self._chips.items():
            item.set_selected(t == task)

    def show_picture(self, picture: Picture | None, animate: bool | None = None) -> None:
        """Show an instant; chips of tasks that changed box move there (animated unless told otherwise)."""
        self._picture = picture
        self._place(self.animate if animate is None else animate)

    def _fonts_now(self) -> Fonts:
        if self._fonts is None or self._fonts.text != self.font():
            self._fonts = Fonts(self.font())
        return self._fonts

    def _place(self, animate: bool) -> None:
        self._motion.stop()
        while self._motion.animationCount():
            self._motion.takeAnimation(0).deleteLater()
        picture = self._picture
        if picture is None:
            self._drop(set(self._chips))
            self._backdrop.set_marks([], QRectF())
            self._texts.set_marks([], QRectF())
            self._layout = None
            return
        fonts = self._fonts_now()
        width = float(max(self.viewport().width(), 200))
        layout = self._layout = lay_out(picture, width, fonts, self.palette().text().color())
        rect = QRectF(0.0, 0.0, width, layout.height)
        self._backdrop.set_marks([m for m in layout.marks if not m.changing], rect)
        self._texts.set_marks([m for m in layout.marks if m.changing], rect)
        self._scene.setSceneRect(rect)
        motion = self._motion if animate and self.isVisible() else None
        self._drop(set(self._chips) - set(layout.chips))
        for key, (where, chip) in layout.chips.items():
            item = self._chips.get(key)
            if item is None:
                item = self._chips[key] = ChipItem(chip, where.width(), where.height(), fonts.text)
                item.setPos(where.topLeft())
                item.set_selected(chip.task == self._selected)
                self._scene.addItem(item)
                if motion is not None:
                    item.setOpacity(0.0)
                    motion.addAnimation(self._animation(item, b"opacity", 0.0, 1.0))
                continue
            item.set_chip(chip, where.width(), where.height(), fonts.text)
            self._move(item, where, chip_fill(chip), motion)
        if motion is not None and motion.animationCount():
            motion.start()

    def _move(self, item: ChipItem, where: QRectF, fill: QColor, motion: QParallelAnimationGroup | None) -> None:
        """Take a shown chip to its new place, colour and full opacity (gliding when `motion` is given)."""
        targets: list[tuple[bytes, object, object]] = [
            (b"pos", item.pos(), where.topLeft()), (b"color", item.fill(), fill), (b"opacity", item.opacity(), 1.0)]
        for prop, now, end in targets:
            if now == end:
                continue
            if motion is not None:
                motion.addAnimation(self._animation(item, prop, now, end))
            else:
                item.setProperty(prop.decode(), end)

    def _animation(self, item: ChipItem, prop: bytes, start: object, end: object) -> QPropertyAnimation:
        anim = QPropertyAnimation(item, prop)
        anim.setDuration(ANIMATION_MS)
        anim.setStartValue(start)
        anim.setEndValue(end)
        anim.setEasingCurve(QEasingCurve.Type.OutCubic)
        return anim

    def _drop(self, keys: set[tuple[int, bool]]) -> None:
        for key in keys:
            item = self._chips.pop(key)
            self._scene.removeItem(item)
            item.deleteLater()

    def settle(self) -> None:
        """End any animation at once (chips at their places): for pictures taken right away."""
        if self._motion.state() == QParallelAnimationGroup.State.Running:
            self._motion.setCurrentTime(self._motion.duration())
        self._motion.stop()
        for item in self._chips.values():
            item.setOpacity(1.0)

    def content_height(self) -> float:
        return self._layout.height if self._layout is not None else 0.0

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.oldSize().width() != event.size().width():
            self._place(animate=False)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        item = self.itemAt(event.position().toPoint())
        while item is not None and not isinstance(item, ChipItem):
            item = item.parentItem()
        if isinstance(item, ChipItem) and event.button() == Qt.MouseButton.LeftButton:
            self.chip_clicked.emit(item.chip.task)
            event.accept()
            return
        super().mousePressEvent(event)

    def chip_center(self, task: int, side: bool = False) -> QPointF | None:
        """Where a task's chip is in this widget's coordinates (None when it is not shown)."""
        item = self._chips.get((task, side))
        if item is None:
            return None
        return QPointF(self.mapFromScene(item.center()))
