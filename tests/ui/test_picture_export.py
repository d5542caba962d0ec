"""Picture exports: exact pixel sizes per scale, real content in the state colours, the footer, SVG."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QColor, QGuiApplication, QImage
from PySide6.QtWidgets import QApplication, QLabel

from conclab.model.fileio import WriteError
from conclab.model.provenance import footer_text, shorten
from conclab.model.run import RunDocument
from conclab.ui.exports import picture_export as pe
from conclab.ui.palette import STATE_HEX
from conclab.ui.timeline.metrics_panel import MetricsPanel
from conclab.ui.timeline.timeline_view import TimelineView
from tests.model.test_runfile import two_run_doc

SVG = "{http://www.w3.org/2000/svg}"
DAY = dt.date(2025, 3, 14)


@pytest.fixture
def doc() -> RunDocument:
    return two_run_doc()


@pytest.fixture
def view(qtbot, doc: RunDocument) -> Iterator[TimelineView]:  # type: ignore[no-untyped-def]
    widget = TimelineView()
    qtbot.addWidget(widget)
    widget.resize(900, 640)
    widget.show()
    qtbot.waitExposed(widget)
    widget.set_runs(doc.runs)
    QApplication.processEvents()
    yield widget
    widget.close()


def _count(image: QImage, hex_color: str, tol: int = 8) -> int:
    img = image.convertToFormat(QImage.Format.Format_RGB32)
    arr = np.frombuffer(img.constBits(), dtype=np.uint8).reshape(img.height(), img.bytesPerLine())
    arr = arr[:, : img.width() * 4].astype(int)
    c = QColor(hex_color)
    near = [abs(arr[:, i::4] - v) <= tol for i, v in ((2, c.red()), (1, c.green()), (0, c.blue()))]
    return int((near[0] & near[1] & near[2]).sum())


def _distinct_colours(image: QImage) -> int:
    img = image.convertToFormat(QImage.Format.Format_RGB32)
    arr = np.frombuffer(img.constBits(), dtype=np.uint32)
    return len(np.unique(arr))


@pytest.mark.parametrize("scale", [1, 2, 3])
def test_png_pixel_size_is_widget_size_times_scale(view: TimelineView, scale: int, tmp_path: Path) -> None:
    source = pe.picture_source(view)
    path = tmp_path / f"t{scale}.png"
    pe.save_png(view, str(path), scale)
    image = QImage(str(path))
    assert (image.width(), image.height()) == (source.width() * scale, source.height() * scale)
    assert _distinct_colours(image) > 10  # not blank
    for state in ("running", "io_wait", "ready_wait", "blocking", "queued"):
        assert _count(image, STATE_HEX[state]) > 50 * scale * scale, state


def test_footer_adds_a_strip_of_text_and_can_be_left_off(view: TimelineView, doc: RunDocument) -> None:
    text = footer_text(doc, DAY)
    width, height = pe.picture_source(view).width(), pe.picture_source(view).height()
    plain = pe.render_image(view, 2)
    with_footer = pe.render_image(view, 2, text)
    strip = pe.footer_height(text, width)
    assert strip > 10
    assert (plain.width(), plain.height()) == (2 * width, 2 * height)
    assert (with_footer.width(), with_footer.height()) == (2 * width, 2 * (height + strip))
    assert pe.picture_size(view, text).height() == height + strip
    footer_part = with_footer.copy(0, 2 * height + 4, with_footer.width(), 2 * strip - 4)
    assert _count(footer_part, pe.FOOTER_TEXT_HEX, tol=40) > 200  # text was drawn there
    assert _count(plain.copy(0, 2 * height - 2 * strip, plain.width(), 2 * strip), pe.FOOTER_TEXT_HEX, 0) \
        < _count(footer_part, pe.FOOTER_TEXT_HEX, 0)


def test_footer_text_names_plan_models_python_gil_cpus_os_and_date(doc: RunDocument) -> None:
    text = footer_text(doc, DAY)
    for part in ("models: asyncio, threads", "Python 3.11.7 CPython", "GIL on", "2 CPUs", "Linux", "2025-03-14"):
        assert part in text, part
    assert doc.plan[:20] in text
    long_plan = RunDocument("; ".join(f"task{i}: sleep {i}ms" for i in range(40)), doc.machine, {}, doc.runs)
    plan_part = footer_text(long_plan, DAY).split(" · ")[0]
    assert plan_part.endswith("…") and len(plan_part) <= len("plan: ") + 80
    assert shorten("a\n b;c", 80) == "a b; c"
    odd = RunDocument("x", {"python": 3, "cpus": "many", "gil_enabled": "yes"}, {}, [])
    assert footer_text(odd, DAY) == "plan: x · models: no runs · 2025-03-14"


def test_svg_is_well_formed_with_span_shapes_colours_and_footer_text(view: TimelineView, doc: RunDocument,
                                                                        tmp_path: Path) -> None:
    text = footer_text(doc, DAY)
    path = tmp_path / "t.svg"
    pe.save_svg(view, str(path), text)
    root = ET.parse(path).getroot()
    assert root.tag == f"{SVG}svg"
    shapes = list(root.iter(f"{SVG}rect")) + list(root.iter(f"{SVG}path"))
    assert len(shapes) >= 4
    fills = {(e.get("fill") or "").lower() for e in root.iter()}
    for state in ("running", "io_wait", "ready_wait", "blocking"):
        assert STATE_HEX[state].lower() in fills, state
    words = " ".join("".join(t.itertext()) for t in root.iter(f"{SVG}text"))
    for part in ("GIL on", "2 CPUs", "2025-03-14", "Python 3.11.7 CPython"):
        assert part in words, part
    bare = ET.fromstring(pe.svg_bytes(view))
    assert "GIL on" not in " ".join("".join(t.itertext()) for t in bare.iter(f"{SVG}text"))


def test_clipboard_holds_the_picture(view: TimelineView) -> None:
    image = pe.copy_to_clipboard(view, 1)
    clip = QGuiApplication.clipboard().image()
    assert not clip.isNull()
    assert (clip.width(), clip.height()) == (image.width(), image.height())


def test_page_stacks_timeline_metrics_and_verdicts(qtbot, view: TimelineView, doc: RunDocument) -> None:  # type: ignore[no-untyped-def]
    metrics = MetricsPanel()
    verdicts = QLabel("threads beat asyncio here")
    for w, h in ((metrics, 300), (verdicts, 40)):
        qtbot.addWidget(w)
        w.resize(900, h)
    metrics.set_runs(doc.runs)
    image = pe.page_image([view, metrics, verdicts], 2, footer_text(doc, DAY))
    strip = pe.footer_height(footer_text(doc, DAY), 900)
    assert (image.width(), image.height()) == (2 * 900, 2 * (640 + 300 + 40 + strip))
    assert _count(image.copy(0, 0, 1800, 1280), STATE_HEX["running"]) > 200
    table_part = image.copy(0, 1280, 1800, 600)
    assert _distinct_colours(table_part) > 5


def test_bad_scale_and_unwritable_path(view: TimelineView, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="scale"):
        pe.render_image(view, 4)
    with pytest.raises(WriteError, match="could not write"):
        pe.save_png(view, str(tmp_path / "missing" / "t.png"))
    with pytest.raises(WriteError):
        pe.save_svg(view, str(tmp_path / "missing" / "t.svg"))
