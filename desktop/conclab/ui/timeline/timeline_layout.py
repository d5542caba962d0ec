"""How tall the timeline's rows and lag charts are: the height there is, shared out within readable bounds.

Lanes come first: every row gets the same height, as much as fits between a minimum a label can be
read at and a maximum past which bars only waste room; the lag charts share what is left, within
their own bounds. When even the minimums do not fit, the sections scroll. No Qt here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

ROW_MIN_PX = 18.0
ROW_MAX_PX = 26.0
LAG_MIN_PX = 44.0
LAG_MAX_PX = 110.0
PLOT_PAD_PX = 8  # room above and below a section's lanes
TIME_AXIS_PX = 34  # the lag chart's time axis under it
SPACING_PX = 2  # between a section's title, lanes and lag chart
MARGIN_PX = 4  # around all sections
SECTION_EXTRA_PX = PLOT_PAD_PX + TIME_AXIS_PX + 3 * SPACING_PX
LAG_TICKS = 2  # numbers on a lag chart's axis besides 0, at most: a short chart reads a few, not a pile


def _clamp(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


def fit_heights(available: float, rows: Sequence[int], titles: Sequence[float]) -> tuple[float, float]:
    """(row height, lag chart height) for sections of `rows` lanes under titles `titles` px tall, stacked
    into `available` px."""
    if not rows:
        return ROW_MIN_PX, LAG_MIN_PX
    lanes = sum(max(r, 1) for r in rows)
    free = available - 2 * MARGIN_PX - sum(titles) - len(rows) * SECTION_EXTRA_PX
    row_px = _clamp((free - len(rows) * LAG_MIN_PX) / lanes, ROW_MIN_PX, ROW_MAX_PX)
    lag_px = _clamp((free - lanes * row_px) / len(rows), LAG_MIN_PX, LAG_MAX_PX)
    return row_px, lag_px


def nice_step(top: float, most: int) -> float:
    """A step of 1, 2 or 5 times a power of ten that cuts [0, top] into at most `most` parts."""
    raw = top / max(most, 1)
    power = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
