"""What is under the mouse on the timeline: the span (and whether it is still in progress), or the lag
sample, and the words its tooltip shows."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPointF

from conclab.model.trace import Span
from conclab.ui.timeline.timeline_section import SectionView

HIT_TOLERANCE_PX = 3.0
LAG_HIT_PX = 6.0  # lag samples are points: the mouse finds one this close


def locate(views: Sequence[SectionView], scene_pos: QPointF) -> tuple[SectionView, tuple[Span, bool] | None] | None:
    """The section whose lanes plot holds `scene_pos`, and the span there (None: no span), or None."""
    for view in views:
        box = view.plot.getViewBox()
        if not box.sceneBoundingRect().contains(scene_pos):
            continue
        data = box.mapSceneToView(scene_pos)
        tol = HIT_TOLERANCE_PX * box.viewPixelSize()[0]
        return view, view.section.span_at(data.x(), view.row_at(data.y()), tol)
    return None


def hover_text(views: Sequence[SectionView], scene_pos: QPointF) -> str:
    """A span's details, or how late the loop was at a lag sample; "" over nothing."""
    found = locate(views, scene_pos)
    if found is not None:
        return "" if found[1] is None else found[0].section.describe(*found[1])
    for view in views:
        box = view.lag_plot.getViewBox()
        if box.sceneBoundingRect().contains(scene_pos):
            tol = LAG_HIT_PX * box.viewPixelSize()[0]
            return view.section.describe_lag(box.mapSceneToView(scene_pos).x(), tol)
    return ""
