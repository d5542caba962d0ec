"""The metrics table of a picture: every row, one column per run, each row's clearly best value in bold green.

The words and numbers are read from the window's own MetricsPanel, filled offscreen with the same runs, so
a picture states each metric exactly as the window does (labels, units, "—" for what a stopped run cannot
say, which value is best). Column titles wrap; nothing scrolls or is cut.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from conclab.model.run import ModelRun
from conclab.ui.exports.picture import Item, Line, Rects
from conclab.ui.exports.text_layout import Measure, Style, plain
from conclab.ui.palette import BEST_HEX
from conclab.ui.timeline.metrics_panel import ROWS, MetricsPanel

CELL = Style(12)
BEST = Style(12, color=BEST_HEX, bold=True)
HEADER = Style(12, bold=True)
NOTE = Style(11, color="#555555")
ROW_PX = 24.0
PAD = 10.0
RULE_HEX = "#D0D0D0"
STRIPE_HEX = "#F5F5F5"


@dataclass(frozen=True)
class MetricsTable:
    """What the table says: column titles, and per row its label and (text, best) cells."""

    columns: list[str]
    rows: list[tuple[str, list[tuple[str, bool]]]]


def metrics_table(runs: Sequence[ModelRun]) -> MetricsTable:
    """The table as the window's metrics panel states it for `runs`."""
    panel = MetricsPanel()
    try:
        panel.set_runs(list(runs))
        columns = [_header_text(panel, c) for c in range(panel.table.columnCount())]
        rows = [(panel.row_label(row.key), [(panel.cell_text(row.key, c), panel.is_best(row.key, c))
                                            for c in range(len(columns))]) for row in ROWS]
    finally:
        panel.deleteLater()
    return MetricsTable(columns, rows)


def _header_text(panel: MetricsPanel, column: int) -> str:
    item = panel.table.horizontalHeaderItem(column)
    return item.text() if item is not None else ""


def table_items(table: MetricsTable, width: float, measure: Measure,
                note: str = "") -> tuple[list[Item], float]:
    """The table drawn across `width`: the items and the height (a note, if any, goes under it)."""
    label_w = max((measure.width(label, HEADER) for label, _cells in table.rows), default=0.0) + 2 * PAD
    n = max(len(table.columns), 1)
    col_w = (width - label_w) / n
    items: list[Item] = []
    head: list[Item] = []
    head_h = HEADER.line_height
    for c, title in enumerate(table.columns):
        part, h = plain(title, HEADER, label_w + c * col_w + PAD, PAD / 2, col_w - 2 * PAD, measure)
        head += part
        head_h = max(head_h, h)
    head_h += PAD
    stripes = tuple((0.0, head_h + r * ROW_PX, width, ROW_PX) for r in range(1, len(table.rows), 2))
    if stripes:
        items.append(Rects(STRIPE_HEX, stripes, group="stripes"))
    items += head
    y = head_h
    for label, cells in table.rows:
        top = y + (ROW_PX - CELL.line_height) / 2
        items.append(HEADER.text(PAD, top, label))
        for c, (text, best) in enumerate(cells):
            items += _cell(text, BEST if best else CELL, label_w + c * col_w + PAD, top, col_w - 2 * PAD, measure)
        y += ROW_PX
    items += _rules(len(table.rows), head_h, label_w, col_w, n, width)
    if note:
        part, h = plain(note, NOTE, PAD, y + 6, width - 2 * PAD, measure)
        items += part
        y += 6 + h
    return items, y


def _cell(text: str, style: Style, x: float, top: float, room: float, measure: Measure) -> list[Item]:
    if measure.width(text, style) <= room:
        return [style.text(x, top, text)]
    # A value wider than its column (many runs side by side) goes smaller rather than over its neighbour.
    smaller = Style(max(6.0, math.floor(style.size * room / measure.width(text, style))), style.color, style.bold)
    return [smaller.text(x, top + (style.line_height - smaller.line_height) / 2, text)]


def _rules(rows: int, head_h: float, label_w: float, col_w: float, n: int, width: float) -> list[Item]:
    bottom = head_h + rows * ROW_PX
    items: list[Item] = [Line(0, 0.5, width, 0.5, RULE_HEX), Line(0, head_h - 0.5, width, head_h - 0.5, "#9A9A9A"),
                         Line(0, bottom - 0.5, width, bottom - 0.5, RULE_HEX)]
    for c in range(n):
        x = round(label_w + c * col_w) - 0.5
        items.append(Line(x, 0, x, bottom, RULE_HEX))
    return items
