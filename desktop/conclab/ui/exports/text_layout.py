"""Text for pictures: styles, word wrapping to a width, and the little markdown lessons are written in.

Wrapping happens here, with the widths of the fonts the app ships (a `Measure` answers them), so every
line of a picture is placed once and drawn the same by every renderer. A word longer than the width is
broken between characters: nothing is ever cut off or shortened with an ellipsis.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Protocol

from conclab.ui.exports.picture import Anchor, Item, Text

# DejaVu Sans' ascent and descent, as fractions of the font size (its hhea table: 1901 and 483 of 2048).
ASCENT = 0.928
DESCENT = 0.236
LINE_FACTOR = 1.4


class Measure(Protocol):
    """How wide a string is in a style, in logical pixels."""

    def width(self, text: str, style: Style) -> float: ...


@dataclass(frozen=True)
class Style:
    """A font size in pixels, a colour, and bold / monospace / italic."""

    size: float = 13.0
    color: str = "#222222"
    bold: bool = False
    mono: bool = False
    italic: bool = False

    @property
    def line_height(self) -> float:
        return round(self.size * LINE_FACTOR)

    def baseline(self, top: float) -> float:
        """The baseline of a line whose box starts at `top`, centring ascent and descent in the line."""
        # A whole-pixel baseline: renderers that snap text to pixels then all snap it the same way.
        return round(top + (self.line_height - (ASCENT + DESCENT) * self.size) / 2 + ASCENT * self.size)

    def text(self, x: float, top: float, text: str, anchor: Anchor = "start") -> Text:
        """A line of `text` in this style whose line box starts at `top`."""
        return Text(x, self.baseline(top), text, self.size, self.color, self.bold, self.mono, self.italic, anchor)


@dataclass(frozen=True)
class Run:
    """A piece of a paragraph in one style."""

    text: str
    style: Style


def _tokens(runs: list[Run]) -> list[Run]:
    """Runs split into words and the spaces between them (each space a token of its own)."""
    out: list[Run] = []
    for run in runs:
        for part in re.findall(r"\s+|\S+", run.text):
            out.append(Run(" " if part.isspace() else part, run.style))
    return out


def _break_word(word: Run, room: float, width: float, measure: Measure) -> list[Run]:
    """A word too long for a whole line, cut between characters; the first piece fits in `room`."""
    pieces: list[Run] = []
    current = ""
    limit = room
    for ch in word.text:
        if current and measure.width(current + ch, word.style) > limit:
            pieces.append(Run(current, word.style))
            current, limit = "", width
        current += ch
    pieces.append(Run(current, word.style))
    return pieces


def wrap_runs(runs: list[Run], width: float, measure: Measure) -> list[list[Run]]:
    """Lines of runs no wider than `width` (greedy, breaking at spaces; long words between characters)."""
    lines: list[list[Run]] = [[]]
    used = 0.0
    for token in _tokens(runs):
        if token.text == " ":
            if lines[-1]:
                lines[-1].append(token)
                used += measure.width(" ", token.style)
            continue
        w = measure.width(token.text, token.style)
        if used + w > width and lines[-1]:
            _trim(lines[-1])
            lines.append([])
            used = 0.0
        if w > width:
            pieces = _break_word(token, width - used, width, measure)
            for piece in pieces[:-1]:
                lines[-1].append(piece)
                lines.append([])
            token, used = pieces[-1], 0.0
            w = measure.width(token.text, token.style)
        lines[-1].append(token)
        used += w
    _trim(lines[-1])
    return [line for line in lines if line] or [[]]


def _trim(line: list[Run]) -> None:
    while line and line[-1].text == " ":
        line.pop()


def _merged(line: list[Run]) -> list[Run]:
    """Neighbouring runs of one style joined, so a line is drawn as few text items as possible."""
    out: list[Run] = []
    for run in line:
        if out and out[-1].style == run.style:
            out[-1] = Run(out[-1].text + run.text, run.style)
        else:
            out.append(run)
    return out


def paragraph(runs: list[Run], x: float, top: float, width: float, measure: Measure) -> tuple[list[Item], float]:
    """A paragraph wrapped to `width` from (x, top): its text items and its height."""
    items: list[Item] = []
    y = top
    for line in wrap_runs(runs, width, measure):
        height = max((r.style.line_height for r in line), default=runs[0].style.line_height if runs else 16)
        cx = x
        for run in _merged(line):
            # Spaces at the ends of a text element are dropped by some renderers: they become offsets here.
            body = run.text.strip(" ")
            if body:
                lead = run.text[: len(run.text) - len(run.text.lstrip(" "))]
                start = cx + (measure.width(lead, run.style) if lead else 0.0)
                items.append(run.style.text(start, y + (height - run.style.line_height) / 2, body))
            cx += measure.width(run.text, run.style)
        y += height
    return items, y - top


def plain(text: str, style: Style, x: float, top: float, width: float, measure: Measure) -> tuple[list[Item], float]:
    """Plain text (no markdown) in one style, wrapped to `width`."""
    return paragraph([Run(" ".join(text.split()), style)], x, top, width, measure)


_INLINE = re.compile(r"\*\*(?P<bold>.+?)\*\*|`(?P<code>[^`]+)`|\[(?P<link>[^\]]+)\]\([^)]*\)"
                     r"|(?<![\w*])\*(?P<em>[^*\s][^*]*?)\*(?![\w*])|(?<!\w)_(?P<em2>[^_\s][^_]*?)_(?!\w)")


def inline_runs(text: str, style: Style) -> list[Run]:
    """Markdown's inline marks as styles: **bold**, *italic* or _italic_, `code`, and [links](url) as text."""
    runs: list[Run] = []
    at = 0
    for m in _INLINE.finditer(text):
        if m.start() > at:
            runs.append(Run(text[at:m.start()], style))
        if m.group("bold") is not None:
            runs.extend(inline_runs(m.group("bold"), replace(style, bold=True)))
        elif m.group("code") is not None:
            runs.append(Run(m.group("code"), replace(style, mono=True, size=round(style.size * 0.95))))
        elif m.group("link") is not None:
            runs.append(Run(m.group("link"), style))
        else:
            runs.append(Run(m.group("em") or m.group("em2") or "", replace(style, italic=True)))
        at = m.end()
    if at < len(text):
        runs.append(Run(text[at:], style))
    return runs


@dataclass(frozen=True)
class Block:
    """One block of markdown: a paragraph, a list item (`bullet`) or a heading."""

    kind: str
    text: str


def markdown_blocks(markdown: str) -> list[Block]:
    """Paragraphs (lines joined), list items and headings of a markdown text."""
    blocks: list[Block] = []
    lines: list[str] = []

    def flush() -> None:
        if lines:
            blocks.append(Block("paragraph", " ".join(lines)))
            lines.clear()

    for raw in markdown.splitlines():
        line = raw.strip()
        item = re.match(r"^(?:[-*+]|\d+[.)])\s+(.*)$", line)
        heading = re.match(r"^#{1,6}\s+(.*)$", line)
        if not line:
            flush()
        elif heading:
            flush()
            blocks.append(Block("heading", heading.group(1)))
        elif item:
            flush()
            blocks.append(Block("bullet", item.group(1)))
        elif blocks and blocks[-1].kind == "bullet" and not lines and raw[:1].isspace():
            blocks[-1] = Block("bullet", f"{blocks[-1].text} {line}")
        else:
            lines.append(line)
    flush()
    return blocks


def markdown(text: str, style: Style, x: float, top: float, width: float,
             measure: Measure) -> tuple[list[Item], float]:
    """A markdown text laid out: paragraphs apart by half a line, bullets with a hanging indent."""
    items: list[Item] = []
    y = top
    gap = style.line_height / 2
    for n, block in enumerate(markdown_blocks(text)):
        if n:
            y += 0 if block.kind == "bullet" else gap
        if block.kind == "bullet":
            indent = measure.width("•  ", style)
            items.append(style.text(x, y, "•"))
            part, h = paragraph(inline_runs(block.text, style), x + indent, y, width - indent, measure)
        else:
            used = replace(style, bold=True) if block.kind == "heading" else style
            part, h = paragraph(inline_runs(block.text, used), x, y, width, measure)
        items.extend(part)
        y += h
    return items, y - top
