"""Pictures of a run document off screen: what the command line writes (`--png`, `--svg`) and what the
export dialog writes.

The picture is laid out from the document itself (`page_picture`), never grabbed from a window, so it is
whole at any size: every run, full lag charts, every metric row and, for a lesson, its text, captions and
verdicts. An offscreen QApplication is made when none exists (the fonts need one), so it works without a
display and with any runtime.
"""

from __future__ import annotations

import datetime as _dt

from conclab.model.lesson_result import LessonResult
from conclab.model.provenance import footer_text
from conclab.model.run import RunDocument
from conclab.ui.exports.page_picture import PAGE_WIDTH, Kind, page_picture
from conclab.ui.exports.picture import Picture
from conclab.ui.exports.picture_export import QtMeasure, check_scale, save_png, save_svg


def ensure_app() -> object:
    """The running QApplication, or a new offscreen one."""
    from conclab.ui.shell.qt_app import ensure_app as make

    return make(offscreen=True)


def document_picture(doc: RunDocument, *, kind: Kind = "page", lesson: LessonResult | None = None,
                     footer: bool = True, width: int = PAGE_WIDTH, when: _dt.date | None = None) -> Picture:
    """The picture of `doc` (a lesson's page when `lesson` is given), with the provenance footer unless told not."""
    ensure_app()
    text = footer_text(doc, when) if footer else None
    return page_picture(doc, QtMeasure(), kind=kind, lesson=lesson, footer=text, width=width)


def render_document(doc: RunDocument, *, png: str | None = None, svg: str | None = None, scale: int = 1,
                    footer: bool = True, width: int = PAGE_WIDTH, when: _dt.date | None = None,
                    lesson: LessonResult | None = None) -> None:
    """Write the document's page as PNG (at `scale`) and/or SVG; raises WriteError if a file cannot be written."""
    if not png and not svg:
        return
    check_scale(scale)
    picture = document_picture(doc, lesson=lesson, footer=footer, width=width, when=when)
    if png:
        save_png(picture, png, scale)
    if svg:
        save_svg(picture, svg)
