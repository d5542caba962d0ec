"""A lesson's parts of a picture: its title and question, the prediction and how it came out, the captions
of its timeline, every claim with its verdict and what was checked, and the explanation.

Everything comes from the lesson and its result (`conclab.model.lesson_result`, the one place verdicts
are computed), never from the widgets of the lesson page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from conclab.model.captions import captions_for
from conclab.model.claims import Verdict
from conclab.model.lesson_result import LessonResult
from conclab.model.run import ModelRun
from conclab.ui.exports.picture import Circle, Item, Text
from conclab.ui.exports.text_layout import Measure, Run, Style, inline_runs, markdown, paragraph, plain
from conclab.ui.exports.timeline_picture import MARK, Marker
from conclab.ui.palette import BEST_HEX, FREEZE_HEX, NOW_HEX, UNKNOWN_HEX

TITLE = Style(22, bold=True)
HEADING = Style(15, bold=True)
BODY = Style(13)
SMALL = Style(12, color="#555555")
MARK_HEX = {True: BEST_HEX, False: FREEZE_HEX, None: UNKNOWN_HEX}
GAP = 10.0


@dataclass(frozen=True)
class Caption:
    """A numbered caption: its marker on the timeline and its sentence."""

    marker: Marker
    text: str


def lesson_captions(runs: Sequence[ModelRun], result: LessonResult) -> list[Caption]:
    """Every caption of every run, numbered in order, with the marker that pins it to the timeline."""
    plan = result.lesson.plan()
    out: list[Caption] = []
    for index, run in enumerate(runs):
        for caption in captions_for(run, plan):
            number = len(out) + 1
            out.append(Caption(Marker(index, number, caption.t, caption.lane),
                               f"{run.name}: {caption.text} (at {caption.t:.2f} s)"))
    return out


class _Column:
    """Stacks laid-out parts top to bottom."""

    def __init__(self, width: float, measure: Measure) -> None:
        self.width = width
        self.measure = measure
        self.items: list[Item] = []
        self.y = 0.0

    def add(self, part: tuple[list[Item], float], gap: float = GAP) -> None:
        items, height = part
        self.items += items
        self.y += height + gap

    def text(self, text: str, style: Style, indent: float = 0.0, gap: float = GAP) -> None:
        self.add(plain(text, style, indent, self.y, self.width - indent, self.measure), gap)

    def markdown(self, text: str, style: Style = BODY) -> None:
        self.add(markdown(text, style, 0.0, self.y, self.width, self.measure))


def intro_part(result: LessonResult, width: float, measure: Measure) -> tuple[list[Item], float]:
    """The lesson's title, its question, and the prediction: the choices, the one chosen, the one measured."""
    lesson = result.lesson
    col = _Column(width, measure)
    col.text(lesson.title, TITLE, gap=6)
    col.markdown(lesson.question)
    p = result.prediction
    if p is not None:
        col.add(paragraph([Run("Prediction: ", replace(BODY, bold=True)), *inline_runs(p.question, BODY)],
                          0.0, col.y, width, measure), 4)
        for n, choice in enumerate(p.choices):
            notes = [w for w, on in (("your answer", n == p.chosen), ("what was measured", n == p.right)) if on]
            mark = "●" if n == p.chosen else "○"
            col.text(f"{mark} {choice}" + (f" — {' and '.join(notes)}" if notes else ""),
                     replace(BODY, bold=n == p.right), indent=18, gap=2)
        col.y += GAP - 2
        col.text(p.sentence, BODY)
    return col.items, col.y - GAP


def _verdict(v: Verdict, col: _Column) -> None:
    mark = Style(BODY.size, MARK_HEX[v.held], bold=True)
    col.items.append(mark.text(0, col.y, v.mark))
    indent = col.measure.width("✓ ", mark) + 4
    col.add(plain(v.sentence.removeprefix("Not checked: "), BODY, indent, col.y, col.width - indent, col.measure), 2)
    detail = f"checked: {v.check}" if v.held is not None else f"not applicable here: {v.reason}"
    col.text(detail, SMALL, indent=indent, gap=8)


def outcome_part(result: LessonResult, captions: Sequence[Caption], width: float,
                 measure: Measure) -> tuple[list[Item], float]:
    """The captions (numbered as on the timeline), the verdicts, the result in one sentence."""
    col = _Column(width, measure)
    if captions:
        col.text("What the timeline shows", HEADING, gap=6)
        for caption in captions:
            _numbered(caption, col)
        col.y += GAP - 4
    col.text("What was checked on this machine", HEADING, gap=6)
    for verdict in result.shown:
        _verdict(verdict, col)
    col.text(result.status, replace(BODY, bold=True), gap=0)
    return col.items, col.y


def _numbered(caption: Caption, col: _Column) -> None:
    r = 8.0
    cy = col.y + BODY.line_height / 2
    col.items.append(Circle(r, cy, r, NOW_HEX))
    col.items.append(Text(r, cy + MARK.size * 0.36, str(caption.marker.number), MARK.size, MARK.color, True,
                          anchor="middle"))
    col.add(plain(caption.text, BODY, 2 * r + 8, col.y, col.width - 2 * r - 8, col.measure), 4)


def explanation_part(result: LessonResult, width: float, measure: Measure) -> tuple[list[Item], float]:
    """Why it came out so: the lesson's explanation (nothing when it has none)."""
    if not result.lesson.explanation.strip():
        return [], 0.0
    col = _Column(width, measure)
    col.text("Why", HEADING, gap=6)
    col.markdown(result.lesson.explanation)
    return col.items, col.y - GAP
