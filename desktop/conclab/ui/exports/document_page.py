"""Offscreen pictures of a saved or just-measured run, for the command line.

Builds the same TimelineView and MetricsPanel the window shows, on a page that is never put on
screen, and writes it as PNG and/or SVG with the provenance footer. Creates an offscreen
QApplication when none exists, so it works without a display.
"""

from __future__ import annotations

import datetime as _dt
import math
from typing import Any

from conclab.model.provenance import footer_text
from conclab.model.run import RunDocument

PAGE_WIDTH = 1200
def ensure_app() -> Any:
    """The running QApplication, or a new offscreen one."""
    from conclab.ui.shell.qt_app import ensure_app as make

    return make(offscreen=True)


def build_page(doc: RunDocument, width: int = PAGE_WIDTH) -> Any:
    """A hidden page holding a TimelineView over a MetricsPanel for `doc`, laid out at `width` pixels.

    The page is tall enough that nothing scrolls; close it (and let Qt delete it) when done.
    """
    ensure_app()
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

    from conclab.ui.timeline.metrics_panel import MetricsPanel
    from conclab.ui.timeline.timeline_view import TimelineView

    page = QWidget()
    page.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
    timeline = TimelineView(page)
    metrics = MetricsPanel(page)
    box = QVBoxLayout(page)
    box.setContentsMargins(0, 0, 0, 0)
    box.addWidget(timeline)
    box.addWidget(metrics)
    page.resize(width, 600)
    page.show()
    timeline.set_runs(doc.runs)
    metrics.set_runs(doc.runs)
    QApplication.processEvents()
    table = metrics.table
    table_h = table.horizontalHeader().height() + table.verticalHeader().length() + 2 * table.frameWidth() + 2
    metrics.setFixedHeight(table_h if doc.runs else 0)
    metrics.setVisible(bool(doc.runs))
    # The layout's own minimum also counts wrapped legend lines, which the view's minimum height does not.
    needed = max(timeline.graphics.minimumHeight(),
                 math.ceil(timeline.graphics.ci.effectiveSizeHint(Qt.SizeHint.MinimumSize).height()))
    timeline.setFixedHeight(max(needed + 2 * timeline.graphics.frameWidth() + 4, 80))
    page.resize(width, timeline.height() + (table_h if doc.runs else 0))
    QApplication.processEvents()
    timeline.fit()
    QApplication.processEvents()
    page.timeline = timeline
    page.metrics = metrics
    return page


def render_document(doc: RunDocument, *, png: str | None = None, svg: str | None = None, scale: int = 1,
                    footer: bool = True, width: int = PAGE_WIDTH, when: _dt.date | None = None) -> None:
    """Write the run's page as PNG (at `scale`) and/or SVG; raises WriteError if a file cannot be written."""
    if not png and not svg:
        return
    page = build_page(doc, width)
    from conclab.ui.exports.picture_export import save_png, save_svg

    text = footer_text(doc, when) if footer else None
    try:
        if png:
            save_png(page, png, scale, text)
        if svg:
            save_svg(page, svg, text)
    finally:
        page.timeline.close()
        page.close()
        page.deleteLater()
