"""A picture as plain drawing primitives: rectangles, lines, polylines, polygons, circles and text.

Every exported picture is laid out once into a `Picture` (in logical pixels, y down, text placed by its
baseline) and then drawn by two back ends that draw exactly these primitives: QPainter for PNG and the
clipboard (`picture_export`), and an SVG writer (`svg_writer`). Nothing is left to a renderer's layout —
text is wrapped and placed here, one line per `Text` — so a PNG and its SVG, opened in Qt, librsvg or a
browser, show the same thing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

Anchor = Literal["start", "middle", "end"]
Point = tuple[float, float]

UI_FAMILY = "DejaVu Sans"
MONO_FAMILY = "DejaVu Sans Mono"
BACKGROUND_HEX = "#FFFFFF"


@dataclass(frozen=True)
class Rects:
    """Filled axis-aligned rectangles of one colour, each (x, y, width, height); `group` names them in SVG."""

    fill: str
    boxes: tuple[tuple[float, float, float, float], ...]
    opacity: float = 1.0
    group: str = ""


@dataclass(frozen=True)
class Line:
    """A straight line; `dash` is (on, off) in pixels, None for a solid line."""

    x1: float
    y1: float
    x2: float
    y2: float
    color: str
    width: float = 1.0
    dash: tuple[float, float] | None = None


@dataclass(frozen=True)
class Polyline:
    """An open line through points, never filled."""

    points: tuple[Point, ...]
    color: str
    width: float = 1.5


@dataclass(frozen=True)
class Polygon:
    """A closed, filled shape without an outline."""

    points: tuple[Point, ...]
    fill: str
    opacity: float = 1.0


@dataclass(frozen=True)
class Circle:
    """A filled disc."""

    cx: float
    cy: float
    r: float
    fill: str


@dataclass(frozen=True)
class Text:
    """One line of text at baseline `y`; `anchor` says whether `x` is its start, middle or end."""

    x: float
    y: float
    text: str
    size: float
    color: str = "#222222"
    bold: bool = False
    mono: bool = False
    italic: bool = False
    anchor: Anchor = "start"

    @property
    def family(self) -> str:
        return MONO_FAMILY if self.mono else UI_FAMILY


Item = Rects | Line | Polyline | Polygon | Circle | Text


@dataclass
class Picture:
    """What to draw, in order, on a white page of `width` × `height` logical pixels."""

    width: float
    height: float
    items: list[Item] = field(default_factory=list)
    title: str = "Concurrency Lab"
    description: str = ""

    def texts(self) -> list[str]:
        """Every line of text, top to bottom as laid out (for tests and accessibility)."""
        return [i.text for i in self.items if isinstance(i, Text)]

    def shifted(self, dy: float) -> list[Item]:
        """This picture's items moved down by `dy` (to place it inside another picture)."""
        return [shift(item, 0.0, dy) for item in self.items]


def shift(item: Item, dx: float, dy: float) -> Item:
    """`item` moved by (dx, dy)."""
    if isinstance(item, Rects):
        boxes = tuple((x + dx, y + dy, w, h) for x, y, w, h in item.boxes)
        return Rects(item.fill, boxes, item.opacity, item.group)
    if isinstance(item, Line):
        return Line(item.x1 + dx, item.y1 + dy, item.x2 + dx, item.y2 + dy, item.color, item.width, item.dash)
    if isinstance(item, Polyline):
        return Polyline(_moved(item.points, dx, dy), item.color, item.width)
    if isinstance(item, Polygon):
        return Polygon(_moved(item.points, dx, dy), item.fill, item.opacity)
    if isinstance(item, Circle):
        return Circle(item.cx + dx, item.cy + dy, item.r, item.fill)
    return Text(item.x + dx, item.y + dy, item.text, item.size, item.color, item.bold, item.mono, item.italic,
                item.anchor)


def _moved(points: Sequence[Point], dx: float, dy: float) -> tuple[Point, ...]:
    return tuple((x + dx, y + dy) for x, y in points)
