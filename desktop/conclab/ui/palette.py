"""Colours of the timeline: one per span state, plus lag, freeze, "now" and best-value colours.

The state colours come from the Okabe–Ito set, which stays distinguishable under the common forms
of colour blindness. Pictures (PNG/SVG), the Inside panel and the Help guide use these same values, so
a state has one colour everywhere.
"""

from __future__ import annotations

from PySide6.QtGui import QBrush, QColor, QPen

from conclab.model.metrics import FREEZE_S
from conclab.model.trace import STATES, State

STATE_HEX: dict[str, str] = {
    "queued": "#999999",  # grey: nothing is happening yet
    "running": "#0072B2",  # blue
    "io_wait": "#009E73",  # bluish green: waiting without needing the CPU
    "ready_wait": "#E69F00",  # orange: ready, held back by the GIL / the loop / a core
    "blocking": "#D55E00",  # vermillion: the classic mistake, shares the warning hue of freezes
}

LAG_HEX = "#CC79A7"  # reddish purple: the heartbeat lateness curve
FREEZE_HEX = "#D55E00"  # a freeze is what a blocking call causes, so it shares its colour
NOW_HEX = "#CC79A7"
BEST_HEX = "#009E73"
UNKNOWN_HEX = "#7F7F7F"

FREEZE_THRESHOLD_MS = FREEZE_S * 1000


def state_color(state: str) -> QColor:
    """The colour of a state; unknown states get a neutral grey rather than an error."""
    return QColor(STATE_HEX.get(state, UNKNOWN_HEX))


def state_brush(state: str) -> QBrush:
    """A solid brush in the state's colour."""
    return QBrush(state_color(state))


def lag_pen(width: float = 1.5) -> QPen:
    """The cosmetic pen of the lag curve."""
    pen = QPen(QColor(LAG_HEX), width)
    pen.setCosmetic(True)
    return pen


def freeze_color(alpha: int = 255) -> QColor:
    """The warning colour of a freeze (the loop late by more than 100 ms)."""
    color = QColor(FREEZE_HEX)
    color.setAlpha(alpha)
    return color


def best_color() -> QColor:
    """The colour that marks the best value of a metric row."""
    return QColor(BEST_HEX)


def state_index(state: str) -> int:
    """The position of a state in `STATES`; unknown states map past the end."""
    try:
        return STATES.index(State(state))
    except ValueError:
        return len(STATES)


def legend_swatch_html(state: str, text: str) -> str:
    """A coloured square and its text, for rich-text legends."""
    return f'<span style="color:{STATE_HEX.get(state, UNKNOWN_HEX)}">&#9632;</span>&nbsp;{text}'
