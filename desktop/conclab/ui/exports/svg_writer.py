"""A `Picture` as SVG 1.1 that librsvg, browsers and Qt draw alike.

Only plain elements are written — rect, line, polyline, polygon, circle, and text with explicit
positions — with absolute coordinates, explicit `fill="none"` on strokes and no transforms, clip paths or
non-scaling strokes (the constructs other renderers fill or place differently). Text names the fonts the
app ships (DejaVu Sans and DejaVu Sans Mono) and falls back to the renderer's sans-serif / monospace.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from conclab.ui.exports.picture import (
    BACKGROUND_HEX,
    MONO_FAMILY,
    UI_FAMILY,
    Circle,
    Item,
    Line,
    Picture,
    Polygon,
    Polyline,
    Rects,
    Text,
)

_FAMILIES = {UI_FAMILY: f"'{UI_FAMILY}', sans-serif", MONO_FAMILY: f"'{MONO_FAMILY}', monospace"}


def num(value: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _points(points: tuple[tuple[float, float], ...]) -> str:
    return " ".join(f"{num(x)},{num(y)}" for x, y in points)


def _opacity(name: str, value: float) -> str:
    return "" if value >= 1 else f' {name}="{value:.3f}"'


def _rects(item: Rects) -> str:
    group = f' class={quoteattr(item.group)}' if item.group else ""
    body = "".join(f'<rect x="{num(x)}" y="{num(y)}" width="{num(w)}" height="{num(h)}"/>'
                   for x, y, w, h in item.boxes if w > 0 and h > 0)
    return f'<g fill="{item.fill}"{_opacity("fill-opacity", item.opacity)}{group}>{body}</g>'


def _line(item: Line) -> str:
    dash = f' stroke-dasharray="{num(item.dash[0])} {num(item.dash[1])}"' if item.dash else ""
    return (f'<line x1="{num(item.x1)}" y1="{num(item.y1)}" x2="{num(item.x2)}" y2="{num(item.y2)}" '
            f'stroke="{item.color}" stroke-width="{num(item.width)}"{dash}/>')


def _text(item: Text) -> str:
    weight = ' font-weight="bold"' if item.bold else ""
    style = ' font-style="italic"' if item.italic else ""
    anchor = f' text-anchor="{item.anchor}"' if item.anchor != "start" else ""
    return (f'<text x="{num(item.x)}" y="{num(item.y)}" font-family="{_FAMILIES[item.family]}" '
            f'font-size="{round(item.size)}"{weight}{style}{anchor} fill="{item.color}">{escape(item.text)}</text>')


def element(item: Item) -> str:
    """The SVG element of one item."""
    if isinstance(item, Rects):
        return _rects(item)
    if isinstance(item, Line):
        return _line(item)
    if isinstance(item, Polyline):
        return (f'<polyline points="{_points(item.points)}" fill="none" stroke="{item.color}" '
                f'stroke-width="{num(item.width)}" stroke-linejoin="round" stroke-linecap="round"/>')
    if isinstance(item, Polygon):
        return f'<polygon points="{_points(item.points)}" fill="{item.fill}"{_opacity("fill-opacity", item.opacity)}/>'
    if isinstance(item, Circle):
        return f'<circle cx="{num(item.cx)}" cy="{num(item.cy)}" r="{num(item.r)}" fill="{item.fill}"/>'
    return _text(item)


def svg_text(picture: Picture) -> str:
    """The whole picture as an SVG document (its size in pixels; white background)."""
    w, h = num(picture.width), num(picture.height)
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
        'xml:space="preserve">',
        f"<title>{escape(picture.title)}</title>",
        f"<desc>{escape(picture.description)}</desc>",
        f'<rect x="0" y="0" width="{w}" height="{h}" fill="{BACKGROUND_HEX}"/>',
    ]
    parts.extend(element(item) for item in picture.items)
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
