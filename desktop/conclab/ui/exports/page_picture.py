"""Whole pictures of a run document, laid out at their natural size: the timeline alone, the whole
comparison, or a lesson's page — each with the provenance footer when asked.

- "timeline": every run's section (lanes and the full lag chart), then the footer;
- "page": a title and the plan, the timeline, every metric row, then the footer;
- with a lesson: its title, question and prediction, the timeline with numbered captions, the captions,
  every verdict and the result, the metrics, the explanation, then the footer.

The page is as tall as its content; nothing depends on what a window shows or how it is scrolled.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Literal

from conclab.model.lesson_result import LessonResult
from conclab.model.provenance import flat_plan
from conclab.model.run import RunDocument
from conclab.ui.exports.lesson_picture import explanation_part, intro_part, lesson_captions, outcome_part
from conclab.ui.exports.metrics_picture import metrics_table, table_items
from conclab.ui.exports.picture import Item, Line, Picture, shift
from conclab.ui.exports.text_layout import Measure, Run, Style, paragraph, plain
from conclab.ui.exports.timeline_picture import timeline

Kind = Literal["timeline", "page"]
KINDS: tuple[Kind, ...] = ("timeline", "page")
PAGE_WIDTH = 1200
MIN_WIDTH = 480
MARGIN = 24.0
PART_GAP = 22.0
TITLE = Style(20, bold=True)
BODY = Style(13)
FOOTER = Style(12, color="#333333")
FOOTER_RULE_HEX = "#BBBBBB"


def join_words(names: list[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1] if names else ""


def page_title(doc: RunDocument) -> str:
    names = list(dict.fromkeys(run.name for run in doc.runs))
    if not names:
        return "Nothing was measured"
    return f"The same plan under {join_words(names)}" if len(names) > 1 else f"The plan under {names[0]}"


class _Page:
    """Parts stacked top to bottom inside the page's margins."""

    def __init__(self, width: float, measure: Measure) -> None:
        self.inner = width - 2 * MARGIN
        self.measure = measure
        self.items: list[Item] = []
        self.y = MARGIN

    def add(self, part: tuple[list[Item], float], gap: float = PART_GAP) -> None:
        items, height = part
        if not items:
            return
        self.items += [shift(item, MARGIN, self.y) for item in items]
        self.y += height + gap


def _header(doc: RunDocument, width: float, measure: Measure) -> tuple[list[Item], float]:
    items, h = plain(page_title(doc), TITLE, 0, 0, width, measure)
    runs = [Run("Plan: ", replace(BODY, bold=True)), Run(flat_plan(doc.plan), replace(BODY, mono=True, size=12))]
    plan_items, plan_h = paragraph(runs, 0, h + 6, width, measure)
    return items + plan_items, h + 6 + plan_h


def _metrics(doc: RunDocument, width: float, measure: Measure) -> tuple[list[Item], float]:
    if not doc.runs:
        return [], 0.0
    overhead = doc.calibration.get("recording_overhead") if isinstance(doc.calibration, dict) else None
    note = f"measurement overhead on cpu work: {overhead:+.1%}" if isinstance(overhead, float) else ""
    return table_items(metrics_table(doc.runs), width, measure, note)


def _footer(text: str, width: float, measure: Measure) -> tuple[list[Item], float]:
    items, h = plain(text, FOOTER, 0, 10, width, measure)
    return [Line(0, 0.5, width, 0.5, FOOTER_RULE_HEX), *items], h + 10


def page_picture(doc: RunDocument, measure: Measure, *, kind: Kind = "page", lesson: LessonResult | None = None,
                 footer: str | None = None, width: float = PAGE_WIDTH) -> Picture:
    """The picture of `doc` as `kind` (with `lesson`, a lesson's page), `width` pixels wide, footer if given."""
    if kind not in KINDS:
        raise ValueError(f"unknown picture {kind!r} (choose from {', '.join(KINDS)})")
    page = _Page(max(float(width), MIN_WIDTH), measure)
    inner = page.inner
    captions = lesson_captions(doc.runs, lesson) if lesson is not None else []
    if kind == "page":
        page.add(intro_part(lesson, inner, measure) if lesson is not None else _header(doc, inner, measure))
    # Captions are numbered on the timeline only where the page lists them.
    page.add(timeline(doc.runs, inner, measure, [c.marker for c in captions] if kind == "page" else []))
    if kind == "page":
        if lesson is not None:
            page.add(outcome_part(lesson, captions, inner, measure))
        page.add(_metrics(doc, inner, measure))
        if lesson is not None:
            page.add(explanation_part(lesson, inner, measure))
    if footer:
        page.add(_footer(footer, inner, measure), 0)
    height = math.ceil(page.y + MARGIN - (PART_GAP if not footer else 0))
    title = lesson.lesson.title if lesson is not None else page_title(doc)
    return Picture(math.ceil(max(float(width), MIN_WIDTH)), height, page.items, f"Concurrency Lab: {title}",
                   footer or "")
