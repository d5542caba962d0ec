"""Where everything of a Picture goes in the Inside view: the boxes, their slots and the chips, at one width.

A pure computation over font metrics: a list of things to paint (`Mark`s: frames, slots, texts) and
the rectangle of every chip by its key, so the view can move each chip from where it was to where it
now belongs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF

from conclab.ui.inside.chip_item import chip_label
from conclab.ui.inside.picture import WORD_STATE, Box, Chip, Picture
from conclab.ui.palette import UNKNOWN_HEX, state_color

MARGIN = 8.0
GAP = 6.0
WRAP = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap)


@dataclass
class Mark:
    """One thing to paint under the chips: a frame (`fill` set) or a text (`text` set)."""

    rect: QRectF
    fill: QColor | None = None
    edge: QColor | None = None
    text: str = ""
    font: QFont | None = None
    ink: QColor | None = None
    flags: int = WRAP
    changing: bool = False  # a text that changes from instant to instant (the summary, counts, the footer)


@dataclass
class Layout:
    """What a picture looks like at one width: marks to paint, chips' rectangles, the total height."""

    marks: list[Mark] = field(default_factory=list)
    chips: dict[tuple[int, bool], tuple[QRectF, Chip]] = field(default_factory=dict)
    height: float = 0.0


def word_color(word: str) -> QColor:
    state = WORD_STATE.get(word, "")
    return state_color(state) if state else QColor(UNKNOWN_HEX)


class Fonts:
    """The fonts and metrics of one layout, derived from the view's font; text widths cached."""

    def __init__(self, base: QFont) -> None:
        self.text = QFont(base)
        self.bold = QFont(base)
        self.bold.setBold(True)
        self.small = QFont(base)
        if base.pixelSize() > 0:
            self.small.setPixelSize(max(8, round(base.pixelSize() * 0.85)))
        else:
            self.small.setPointSizeF(max(6.0, base.pointSizeF() * 0.85))
        self.fm = QFontMetricsF(self.text)
        self.fm_bold = QFontMetricsF(self.bold)
        self.fm_small = QFontMetricsF(self.small)
        self.chip_h = self.fm.height() + 8.0
        self._widths: dict[str, float] = {}

    def chip_width(self, chip: Chip) -> float:
        label = chip_label(chip) + (f"  {chip.badge}  " if chip.badge else "")
        width = self._widths.get(label)
        if width is None:
            width = self._widths[label] = self.fm.horizontalAdvance(label) + self.chip_h * 0.7 + 4.0
        return width

    def wrapped_height(self, text: str, width: float, bold: bool = False) -> float:
        fm = self.fm_bold if bold else self.fm
        return fm.boundingRect(QRectF(0, 0, max(width, 20.0), 1e6), WRAP, text).height()


def lay_out(picture: Picture, width: float, fonts: Fonts, ink: QColor) -> Layout:
    """The layout of `picture` in a view `width` pixels wide, text in `ink`."""
    out = Layout()
    inner = max(width - 2 * MARGIN, 120.0)
    y = MARGIN
    h = fonts.wrapped_height(picture.summary, inner, bold=True)
    out.marks.append(Mark(QRectF(MARGIN, y, inner, h), text=picture.summary, font=fonts.bold, ink=ink,
                          changing=True))
    y += h + GAP
    for box in picture.boxes:
        y = _box(out, box, MARGIN, y, inner, fonts, ink) + GAP
    muted = QColor(ink)
    muted.setAlphaF(0.7)
    h = fonts.wrapped_height(picture.footer, inner)
    out.marks.append(Mark(QRectF(MARGIN, y, inner, h), text=picture.footer, font=fonts.small, ink=muted,
                          changing=True))
    out.height = y + h + MARGIN
    return out


def _box(out: Layout, box: Box, x: float, y: float, width: float, fonts: Fonts, ink: QColor) -> float:
    """Lay out one box from `y` down; returns the y below it."""
    color = word_color(box.word)
    word = box.word.upper()
    word_w = fonts.fm_bold.horizontalAdvance(word) + 8.0
    out.marks.append(Mark(QRectF(x, y, word_w, fonts.fm_bold.height()), text=word, font=fonts.bold,
                          ink=color.darker(115), flags=int(Qt.AlignmentFlag.AlignLeft)))
    title_h = fonts.wrapped_height(box.title, width - word_w)
    out.marks.append(Mark(QRectF(x + word_w, y, width - word_w, title_h), text=box.title, font=fonts.text, ink=ink))
    y += max(title_h, fonts.fm_bold.height()) + 3.0
    frame = Mark(QRectF(x, y, width, 0.0), fill=_tint(color, 0.10), edge=_tint(color, 0.55))
    out.marks.append(frame)
    pad = 6.0
    flow = _Flow(x + pad, y + pad, width - 2 * pad, fonts.chip_h)
    chips = list(box.chips)
    for slot in box.slots:
        chip = chips.pop(0) if chips else None
        _slot(out, flow, slot, chip, box.empty, fonts, color, ink)
    for chip in chips:
        out.chips[chip.key] = (flow.place(fonts.chip_width(chip)), chip)
    more = f"+{box.more} more" if box.more else ("" if box.chips or box.slots else box.empty)
    if more:
        rect = flow.place(fonts.fm_small.horizontalAdvance(more) + 6.0)
        muted = QColor(ink)
        muted.setAlphaF(0.65)
        out.marks.append(Mark(rect, text=more, font=fonts.small, ink=muted,
                              flags=int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft),
                              changing=bool(box.more)))
    bottom = flow.bottom() + pad
    frame.rect.setHeight(bottom - frame.rect.top())
    return bottom


def _slot(out: Layout, flow: _Flow, name: str, chip: Chip | None, empty: str, fonts: Fonts, color: QColor,
          ink: QColor) -> None:
    """A place a chip sits in (a core, the event loop): its name above, the chip or "idle" inside."""
    label_h = fonts.fm_small.height()
    chip_w = fonts.chip_width(chip) if chip is not None else fonts.fm_small.horizontalAdvance(empty) + 12.0
    w = max(chip_w, fonts.fm_small.horizontalAdvance(name) + 8.0, 90.0) + 8.0
    rect = flow.place(w, label_h + fonts.chip_h + 10.0)
    out.marks.append(Mark(rect, fill=_tint(color, 0.05), edge=_tint(color, 0.8)))
    out.marks.append(Mark(QRectF(rect.left() + 4, rect.top() + 2, w - 8, label_h), text=name, font=fonts.small,
                          ink=ink, flags=int(Qt.AlignmentFlag.AlignLeft)))
    inner = QRectF(rect.left() + 4, rect.top() + label_h + 5, chip_w, fonts.chip_h)
    if chip is not None:
        out.chips[chip.key] = (inner, chip)
    else:
        muted = QColor(ink)
        muted.setAlphaF(0.55)
        out.marks.append(Mark(inner, text=empty, font=fonts.small, ink=muted,
                              flags=int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft)))


def _tint(color: QColor, alpha: float) -> QColor:
    c = QColor(color)
    c.setAlphaF(alpha)
    return c


class _Flow:
    """Places rectangles left to right, wrapping to a new row at the width."""

    def __init__(self, x: float, y: float, width: float, row_h: float) -> None:
        self.x0, self.x, self.y, self.width = x, x, y, width
        self.row_h = row_h
        self.line_h = 0.0

    def place(self, w: float, h: float | None = None) -> QRectF:
        h = self.row_h if h is None else h
        if self.x > self.x0 and self.x + w > self.x0 + self.width:
            self.x = self.x0
            self.y += self.line_h + 4.0
            self.line_h = 0.0
        rect = QRectF(self.x, self.y, min(w, self.width), h)
        self.x += w + 5.0
        self.line_h = max(self.line_h, h)
        return rect

    def bottom(self) -> float:
        return self.y + (self.line_h or self.row_h)
