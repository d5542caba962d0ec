"""The timeline of a run document as a picture: every run on one shared time axis, whole.

Each run gets a section: its title and a legend of the states it shows, one row per lane (spans in the
state colours, the queue's depth as a grey area), then the main loop's lateness — the lag curve, freezes
shaded, the 100 ms line dashed — above a time axis. Nothing is scrolled or cut: the picture is as tall
as its runs need. Numbered markers can be pinned to times and lanes (a lesson's captions).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from conclab.model.run import ModelRun, python_label
from conclab.model.trace import CAUSES, LOOP_LANE, STATES, State, default_cause, state_label
from conclab.ui.exports.picture import Circle, Item, Line, Polygon, Polyline, Rects, Text, shift
from conclab.ui.exports.text_layout import Measure, Style
from conclab.ui.exports.timeline_lanes import Lanes, Scale, lanes_for, queue_depth, run_end, span_boxes
from conclab.ui.palette import FREEZE_HEX, FREEZE_THRESHOLD_MS, LAG_HEX, NOW_HEX, STATE_HEX, UNKNOWN_HEX

ROW_PX = 18.0
ROW_PAD = 0.12
LAG_PX = 70.0
AXIS_PX = 36.0
SECTION_GAP = 18.0
RIGHT_PX = 14.0
MIN_GUTTER = 110.0
GRID_HEX = "#E6E6E6"
AXIS_HEX = "#8A8A8A"
STRIPE_HEX = "#F5F5F5"
FREEZE_OPACITY = 150 / 255
HEADING = Style(14, bold=True)
LEGEND = Style(12, color="#333333")
LABEL = Style(12, color="#444444")
TICK = Style(11, color="#555555")
MARK = Style(10, color="#FFFFFF", bold=True)


@dataclass(frozen=True)
class Marker:
    """A numbered mark at time `t` of section `section`, on `lane` (LOOP_LANE: the lag chart; None: any row)."""

    section: int
    number: int
    t: float
    lane: str | None = None


def section_title(run: ModelRun, several_pythons: bool) -> str:
    """A run's title: its name, where it ran when that was inside the window, its Python when they differ."""
    title = run.name + (" · inside this window" if run.runtime == "window" else "")
    return f"{title} · Python {python_label(run.python)}" if several_pythons and run.python else title


def nice_step(span: float, most: float) -> float:
    """A step of 1, 2 or 5 times a power of ten that cuts `span` into at most about `most` parts."""
    raw = span / max(most, 1.0)
    if raw <= 0 or not math.isfinite(raw):
        return 1.0
    mag = 10 ** math.floor(math.log10(raw))
    return float(next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw * (1 - 1e-9)))


def tick_text(value: float, step: float) -> str:
    digits = max(0, -math.floor(math.log10(step) + 1e-9))
    return f"{value:.{digits}f}"


def _legend(run: ModelRun, freezes: bool) -> list[tuple[str, str]]:
    """(colour, words) of each state the run shows — a ready wait once per measured cause — in the states'
    order, as the window's legend says them; then freezes and the lag curve (a colour of "" marks a line)."""
    keys = {(s.state, s.cause or default_cause(run.model) if s.state == State.READY_WAIT else "") for s in run.spans}
    order = [(str(state), str(cause) if state == State.READY_WAIT else "") for state in STATES for cause in CAUSES]
    entries = [(STATE_HEX.get(state, UNKNOWN_HEX), state_label(state, run.model, cause))
               for state, cause in dict.fromkeys(order) if (state, cause) in keys]
    entries += [(UNKNOWN_HEX, state) for state in sorted({s for s, _c in keys} - set(STATES))]
    if freezes:
        entries.append((FREEZE_HEX, f"frozen — loop late by more than {FREEZE_THRESHOLD_MS:.0f} ms"))
    if run.lag:
        entries.append(("", "lag — how late the main loop ran"))
    return entries


def _heading(title: str, legend: list[tuple[str, str]], width: float, measure: Measure) -> tuple[list[Item], float]:
    """The title, then legend swatches and words flowing after it, wrapped to `width`."""
    items: list[Item] = [HEADING.text(0, 0, title)]
    line_h = HEADING.line_height
    x, y = measure.width(title, HEADING) + 18, 0.0
    for colour, words in legend:
        need = 16 + measure.width(words, LEGEND)
        if x + need > width and x > 0:
            x, y = 0.0, y + line_h
        if colour:
            items.append(Rects(colour, ((x, y + (line_h - 10) / 2, 10.0, 10.0),), group="legend"))
        else:
            items.append(Line(x, y + line_h / 2, x + 11, y + line_h / 2, LAG_HEX, 2.0))
        items.append(LEGEND.text(x + 15, y + (line_h - LEGEND.line_height) / 2, words))
        x += need + 14
    return items, y + line_h


def _grid(scale: Scale, ticks: Sequence[float], top: float, bottom: float) -> list[Item]:
    return [Line(scale.x(t), top, scale.x(t), bottom, GRID_HEX) for t in ticks]


def _lanes_items(run: ModelRun, lanes: Lanes, scale: Scale, top: float, ticks: Sequence[float],
                 measure: Measure) -> list[Item]:
    items: list[Item] = []
    stripes = tuple((scale.left, top + r * ROW_PX, scale.width, ROW_PX) for r in range(1, len(lanes), 2))
    if stripes:
        items.append(Rects(STRIPE_HEX, stripes, group="stripes"))
    bottom = top + max(len(lanes), 1) * ROW_PX
    items += _grid(scale, ticks, top, bottom)
    for r, label in enumerate(lanes.labels):
        if r == lanes.queue_row:
            label = _queue_label(run, lanes)
        style = _fitting(label, LABEL, scale.left - 12, measure)
        items.append(style.text(scale.left - 8, top + r * ROW_PX + (ROW_PX - style.line_height) / 2, label, "end"))
    items += _queue_items(run, lanes, scale, top)
    boxes = span_boxes(run, lanes, scale, top, ROW_PX, ROW_PAD)
    for state in sorted(boxes):
        name = STATES[state] if state < len(STATES) else "other"
        items.append(Rects(STATE_HEX.get(name, UNKNOWN_HEX), tuple(boxes[state]), group=f"spans {name}"))
    items.append(Line(scale.left - 0.5, top, scale.left - 0.5, bottom, AXIS_HEX))
    return items


def _fitting(text: str, style: Style, room: float, measure: Measure) -> Style:
    """`style`, or a smaller size of it when `text` would not fit in `room` (a label is never cut)."""
    width = measure.width(text, style)
    if width <= room:
        return style
    return Style(max(6.0, math.floor(style.size * room / width)), style.color, style.bold, style.mono)


def _queue_label(run: ModelRun, lanes: Lanes) -> str:
    _times, depth = queue_depth(run, lanes)
    return f"queue (max {int(depth.max(initial=0))})"


def _queue_items(run: ModelRun, lanes: Lanes, scale: Scale, top: float) -> list[Item]:
    times, depth = queue_depth(run, lanes)
    if times.size == 0 or lanes.queue_row < 0:
        return []
    peak = max(float(depth.max()), 1.0)
    base = top + (lanes.queue_row + 1 - ROW_PAD) * ROW_PX
    tall = (1 - 2 * ROW_PAD) * ROW_PX
    points = [(scale.x(float(times[0])), base)]
    level = base
    for t, d in zip(times, depth, strict=True):
        x = scale.x(float(t))
        points.append((x, level))
        level = base - tall * float(d) / peak
        points.append((x, level))
    points.append((points[-1][0], base))
    return [Polygon(tuple(points), STATE_HEX[State.QUEUED])]


def _decimated(t: np.ndarray, late: np.ndarray, scale: Scale) -> np.ndarray:
    """Indices of the lag samples to draw: all, or each pixel column's first, lowest, highest and last."""
    if t.size <= 2 * scale.width:
        return np.arange(t.size)
    cols = np.floor(scale.xs(t)).astype(np.int64)
    starts = np.flatnonzero(np.diff(np.concatenate([[-1], cols])))
    ends = np.append(starts[1:], t.size) - 1
    keep = [starts, ends]
    for a, b in zip(starts, ends, strict=True):
        part = late[a:b + 1]
        keep.append(np.array([a + int(part.argmin()), a + int(part.argmax())]))
    return np.unique(np.concatenate(keep))


def _lag_items(run: ModelRun, scale: Scale, top: float, ticks: Sequence[float], measure: Measure) -> list[Item]:
    bottom = top + LAG_PX
    lag = np.asarray(sorted(run.lag), dtype=np.float64).reshape(-1, 2)
    t, late = lag[:, 0], lag[:, 1] * 1000.0
    top_ms = max(float(late.max(initial=0.0)) * 1.15, 20.0)
    step = nice_step(top_ms, 3)
    items: list[Item] = _grid(scale, ticks, top, bottom)

    def y(ms: float) -> float:
        return bottom - LAG_PX * ms / top_ms

    hot = late > FREEZE_THRESHOLD_MS
    if hot.any():
        height = min(max(float(late.max()), FREEZE_THRESHOLD_MS), top_ms)
        boxes = tuple((scale.x(a - d / 1000), y(height), scale.x(a) - scale.x(a - d / 1000), y(0) - y(height))
                      for a, d in zip(t[hot], late[hot], strict=True))
        items.append(Rects(FREEZE_HEX, boxes, FREEZE_OPACITY, group="freezes"))
    if top_ms >= FREEZE_THRESHOLD_MS:
        items.append(Line(scale.left, y(FREEZE_THRESHOLD_MS), scale.left + scale.width, y(FREEZE_THRESHOLD_MS),
                          FREEZE_HEX, 1.0, (4.0, 3.0)))
    if t.size:
        keep = _decimated(t, late, scale)
        items.append(Polyline(tuple(zip(scale.xs(t[keep]).tolist(), [y(v) for v in late[keep]], strict=True)),
                              LAG_HEX, 1.5))
    n = 0
    while n * step <= top_ms * (1 + 1e-9):
        items.append(TICK.text(scale.left - 6, y(n * step) - TICK.line_height / 2, tick_text(n * step, step), "end"))
        n += 1
    width = max(measure.width(tick_text(k * step, step), TICK) for k in range(n))
    mid = top + LAG_PX / 2 - LABEL.line_height
    items.append(LABEL.text(scale.left - 14 - width, mid, "loop lag", "end"))
    items.append(LABEL.text(scale.left - 14 - width, mid + LABEL.line_height, "(ms)", "end"))
    items.append(Line(scale.left - 0.5, top, scale.left - 0.5, bottom, AXIS_HEX))
    return items


def _axis_items(scale: Scale, top: float, ticks: Sequence[float], step: float, unit: float,
                unit_name: str) -> list[Item]:
    items: list[Item] = [Line(scale.left, top + 0.5, scale.left + scale.width, top + 0.5, AXIS_HEX)]
    for t in ticks:
        x = scale.x(t)
        items.append(Line(x, top, x, top + 4, AXIS_HEX))
        items.append(TICK.text(x, top + 4, tick_text(t * unit, step * unit), "middle"))
    items.append(TICK.text(scale.left + scale.width / 2, top + 4 + TICK.line_height, f"time ({unit_name})",
                           "middle"))
    return items


def _marker_items(markers: Sequence[Marker], lanes: Lanes, scale: Scale, lanes_top: float,
                  lag_top: float) -> list[Item]:
    items: list[Item] = []
    loose = 0
    for m in markers:
        if m.lane == LOOP_LANE:
            y = lag_top + 9
        else:
            row = lanes.labels.index(m.lane) if m.lane in lanes.labels else loose % max(len(lanes), 1)
            loose += m.lane not in lanes.labels
            y = lanes_top + (row + 0.5) * ROW_PX
        x = min(max(scale.x(m.t), scale.left + 8), scale.left + scale.width - 8)
        items.append(Circle(x, y, 8, NOW_HEX))
        items.append(Text(x, y + MARK.size * 0.36, str(m.number), MARK.size, MARK.color, True, anchor="middle"))
    return items


def _gutter(all_lanes: Sequence[Lanes], width: float, measure: Measure) -> float:
    widest = max((measure.width(label, LABEL) for lanes in all_lanes for label in lanes.labels), default=0.0)
    widest = max(widest, measure.width("queue (max 10000)", LABEL))
    return min(max(MIN_GUTTER, widest + 18), width * 0.45)


def timeline(runs: Sequence[ModelRun], width: float, measure: Measure,
             markers: Sequence[Marker] = ()) -> tuple[list[Item], float]:
    """Every run's section, one under the other, on one time axis: the items and the total height."""
    if not runs:
        return [LEGEND.text(0, 0, "No runs were measured.")], LEGEND.line_height
    t_end = max(max(run_end(r) for r in runs), 1e-3) * 1.02
    all_lanes = [lanes_for(run) for run in runs]
    left = _gutter(all_lanes, width, measure)
    scale = Scale(left, width - left - RIGHT_PX, t_end)
    unit, unit_name = (1.0, "s") if t_end >= 1 else (1000.0, "ms")
    step = nice_step(t_end, scale.width / 80)
    ticks = [k * step for k in range(int(t_end / step + 1e-9) + 1)]
    several = len({python_label(r.python) for r in runs if r.python}) > 1
    items: list[Item] = []
    y = 0.0
    for index, (run, lanes) in enumerate(zip(runs, all_lanes, strict=True)):
        late_ms = max((late for _t, late in run.lag), default=0.0) * 1000
        head, head_h = _heading(section_title(run, several), _legend(run, late_ms > FREEZE_THRESHOLD_MS), width,
                                measure)
        items += [shift(i, 0.0, y) for i in head]
        lanes_top = y + head_h + 6
        items += _lanes_items(run, lanes, scale, lanes_top, ticks, measure)
        lag_top = lanes_top + max(len(lanes), 1) * ROW_PX + 10
        items += _lag_items(run, scale, lag_top, ticks, measure)
        items += _axis_items(scale, lag_top + LAG_PX, ticks, step, unit, unit_name)
        items += _marker_items([m for m in markers if m.section == index], lanes, scale, lanes_top, lag_top)
        y = lag_top + LAG_PX + AXIS_PX + (SECTION_GAP if index < len(runs) - 1 else 0)
    return items, y

