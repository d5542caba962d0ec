"""Pictures of a run document: whole at their natural size, exact pixel sizes per scale and drawn at that
density, the footer complete (the whole plan, the machine, each run's Python), odd documents drawn without
a crash, and the README's commands writing them with default settings."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QColor, QGuiApplication, QImage
from PySide6.QtWidgets import QLabel

from conclab.model.fileio import WriteError
from conclab.model.provenance import flat_plan, footer_text, pythons_text
from conclab.model.run import METRIC_KEYS, ModelRun, RunDocument, TaskOutcome
from conclab.model.runfile import load_run_file
from conclab.model.trace import LaneKind, Span
from conclab.ui.exports import picture_export as pe
from conclab.ui.exports.document_page import document_picture
from conclab.ui.exports.metrics_picture import metrics_table
from conclab.ui.exports.page_picture import PAGE_WIDTH
from conclab.ui.exports.picture import Circle, Item, Line, Picture, Polygon, Polyline, Rects, Text
from conclab.ui.exports.text_layout import Style
from conclab.ui.exports.timeline_lanes import MAX_ROWS
from conclab.ui.palette import STATE_HEX
from tests.model.test_runfile import MACHINE, two_run_doc

SVG = "{http://www.w3.org/2000/svg}"
DAY = dt.date(2025, 3, 14)
CONCLAB = Path(sys.executable).with_name("conclab")


def _metrics(wall: float, done: float = 3.0) -> dict[str, float]:
    m = dict.fromkeys(METRIC_KEYS, 0.0)
    m.update(wall_s=wall, tasks_done=done, speedup=1.5, lag_p99_ms=4.0, lag_max_ms=150.0)
    return m


def three_run_doc() -> RunDocument:
    """asyncio (a freeze, an offload lane), threads (a queue) and processes, with every span state."""
    tasks = [TaskOutcome(i, n, "done") for i, n in enumerate(("fetch", "crunch", "logger"))]
    aio = ModelRun("asyncio", 0, _metrics(0.6), list(tasks), [
        Span(0, 0, "fetch", "io_wait", 0.0, 0.2), Span(0, 1, "fetch", "ready_wait", 0.2, 0.35, "loop"),
        Span(1, 0, "crunch", "running", 0.0, 0.1), Span(2, 0, "logger", "blocking", 0.1, 0.35),
        Span(1, 1, "offload 1", "running", 0.35, 0.6),
    ], [(0.01, 0.0005), (0.2, 0.002), (0.35, 0.25), (0.5, 0.001)],
        {"fetch": LaneKind.TASK, "crunch": LaneKind.TASK, "logger": LaneKind.TASK, "offload 1": LaneKind.OFFLOAD})
    thr = ModelRun("threads", 2, _metrics(0.5), list(tasks), [
        Span(2, -1, "queue", "queued", 0.0, 0.1), Span(0, 0, "thread 1", "running", 0.0, 0.1),
        Span(1, 0, "thread 2", "ready_wait", 0.0, 0.05, "gil"), Span(1, 0, "thread 2", "running", 0.05, 0.3),
        Span(2, 0, "thread 1", "io_wait", 0.1, 0.5),
    ], [(0.01, 0.001), (0.3, 0.004)], {"queue": LaneKind.QUEUE, "thread 1": LaneKind.WORKER,
                                       "thread 2": LaneKind.WORKER})
    proc = ModelRun("processes", 2, _metrics(0.4), list(tasks), [
        Span(0, 0, "process 1", "running", 0.0, 0.2), Span(1, 0, "process 2", "running", 0.0, 0.4),
        Span(2, 0, "process 1", "io_wait", 0.2, 0.35),
    ], [(0.01, 0.0002)])
    for run in (aio, thr, proc):
        run.python = {"version": "3.11.7", "implementation": "CPython", "gil_enabled": True, "free_threaded": False}
    plan = "fetch: net 200ms, cpu 150ms; crunch: cpu 100ms, hash 250ms in thread; logger: after 100ms block 250ms"
    return RunDocument(plan, dict(MACHINE), {"recording_overhead": 0.012}, [aio, thr, proc])


def _picture(doc: RunDocument, **kw: object) -> Picture:
    return document_picture(doc, when=DAY, **kw)  # type: ignore[arg-type]


def _bounds(item: Item, measure: pe.QtMeasure) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) of what an item covers."""
    if isinstance(item, Rects):
        return (min(b[0] for b in item.boxes), min(b[1] for b in item.boxes),
                max(b[0] + b[2] for b in item.boxes), max(b[1] + b[3] for b in item.boxes))
    if isinstance(item, Line):
        return min(item.x1, item.x2), min(item.y1, item.y2), max(item.x1, item.x2), max(item.y1, item.y2)
    if isinstance(item, Polyline | Polygon):
        xs, ys = [p[0] for p in item.points], [p[1] for p in item.points]
        return min(xs), min(ys), max(xs), max(ys)
    if isinstance(item, Circle):
        return item.cx - item.r, item.cy - item.r, item.cx + item.r, item.cy + item.r
    assert isinstance(item, Text)
    w = measure.width(item.text, Style(item.size, bold=item.bold, mono=item.mono, italic=item.italic))
    left = item.x - (w / 2 if item.anchor == "middle" else w if item.anchor == "end" else 0)
    return left, item.y - item.size, left + w, item.y + item.size * 0.3


def _inside(picture: Picture) -> None:
    measure = pe.QtMeasure()
    for item in picture.items:
        left, top, right, bottom = _bounds(item, measure)
        assert left >= -0.5 and top >= -0.5, item
        assert right <= picture.width + 0.5 and bottom <= picture.height + 0.5, item


def _footer_lines(picture: Picture) -> list[str]:
    """The footer's lines: the text under its rule."""
    rule = max(i.y1 for i in picture.items if isinstance(i, Line) and i.color == "#BBBBBB")
    return [i.text for i in picture.items if isinstance(i, Text) and i.y > rule]


def _pixels(image: QImage) -> np.ndarray:
    img = image.convertToFormat(QImage.Format.Format_RGB32)
    arr = np.frombuffer(img.constBits(), dtype=np.uint8).reshape(img.height(), img.bytesPerLine())
    return arr[:, : img.width() * 4].reshape(img.height(), img.width(), 4)[..., 2::-1].astype(int)


def _count(image: QImage, hex_color: str, tol: int = 8) -> int:
    c = QColor(hex_color)
    return int((np.abs(_pixels(image) - [c.red(), c.green(), c.blue()]) <= tol).all(axis=2).sum())


def test_the_page_holds_every_run_lane_lag_sample_and_metric_row() -> None:
    doc = three_run_doc()
    picture = _picture(doc)
    texts = picture.texts()
    assert texts[0] == "The same plan under asyncio, threads and processes"
    for label in ("asyncio", "threads", "processes", "event loop", "fetch", "crunch", "logger", "offload 1",
                  "queue (max 1)", "thread 1", "thread 2", "process 1", "process 2", "loop lag"):
        assert label in texts, label
    for words in ("ready — waiting for the event loop", "ready — waiting for the GIL",
                  "lag — how late the main loop ran", "frozen — loop late by more than 100 ms",
                  "blocking the event loop — waiting, but nothing else can run"):
        assert words in texts, words  # the legend says what the window's legend says
    curves = [i for i in picture.items if isinstance(i, Polyline)]
    assert [len(c.points) for c in curves] == [len(r.lag) for r in doc.runs]  # every sample of every lag chart
    for label, cells in metrics_table(doc.runs).rows:
        assert label in texts
        assert all(text in texts for text, _best in cells)
    assert "measurement overhead on cpu work: +1.2%" in texts
    assert any(t.startswith("plan: fetch: net 200ms") for t in texts)
    freezes = [i for i in picture.items if isinstance(i, Rects) and i.group == "freezes"]
    assert len(freezes) == 1 and len(freezes[0].boxes) == 1
    _inside(picture)
    _inside(_picture(doc, kind="timeline"))


def test_the_timeline_picture_is_the_sections_and_the_footer_only() -> None:
    doc = three_run_doc()
    timeline, page = _picture(doc, kind="timeline"), _picture(doc)
    assert timeline.height < page.height and timeline.width == page.width == PAGE_WIDTH
    assert "Wall time" not in timeline.texts() and "Wall time" in page.texts()
    assert {"asyncio", "threads", "processes"} <= set(timeline.texts())


@pytest.mark.parametrize("scale", [1, 2, 3])
def test_png_pixels_are_the_picture_size_times_the_scale(scale: int, tmp_path: Path) -> None:
    picture = _picture(three_run_doc())
    path = tmp_path / f"page{scale}.png"
    pe.save_png(picture, str(path), scale)
    image = QImage(str(path))
    assert (image.width(), image.height()) == (PAGE_WIDTH * scale, int(picture.height) * scale)
    for state in ("running", "io_wait", "ready_wait", "blocking", "queued"):
        assert _count(image, STATE_HEX[state]) > 40 * scale * scale, state


def test_2x_is_drawn_at_twice_the_density_not_enlarged() -> None:
    picture = _picture(two_run_doc())
    one, two = _pixels(pe.render_image(picture, 1)), _pixels(pe.render_image(picture, 2))
    h, w = one.shape[:2]
    blocks = two.reshape(h, 2, w, 2, 3)
    # Averaged down, 2x is the 1x picture (same layout)...
    assert np.abs(blocks.mean(axis=(1, 3)) - one).mean() < 6
    # ...but an enlarged 1x picture has a flat 2 x 2 block for each pixel; drawn at 2x, the blocks on the
    # edges of the 1x picture (glyphs, lines, bars) have detail within them.
    spread = (blocks.max(axis=(1, 3)) - blocks.min(axis=(1, 3))).max(axis=2)
    edge = np.zeros((h, w), bool)
    edge[:, :-1] |= np.abs(one[:, 1:] - one[:, :-1]).max(axis=2) > 48
    edge[:-1] |= np.abs(one[1:] - one[:-1]).max(axis=2) > 48
    assert edge.sum() > 10_000
    assert (spread[edge] > 48).mean() > 0.3  # 0 for an enlarged picture; about 0.44 measured


def test_the_footer_wraps_the_whole_plan_and_names_machine_and_pythons() -> None:
    base = two_run_doc()
    plan = "; ".join(f"task{i}: sleep {i + 1}ms, cpu {i + 2}ms" for i in range(60))
    machine = {**MACHINE, "platform": "Linux-" + "x" * 400}
    doc = RunDocument(plan, machine, {}, base.runs)
    text = footer_text(doc, DAY)
    assert flat_plan(plan) in text and "…" not in text and "x" * 400 in text
    picture = _picture(doc)
    lines = _footer_lines(picture)
    assert len(lines) > 6
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    _inside(picture)
    for part in ("Python 3.11.7 CPython", "GIL on", "2 CPUs", "2025-03-14", "models: asyncio, threads"):
        assert part in text, part


def test_each_python_is_named_with_its_runs() -> None:
    doc = two_run_doc()
    assert pythons_text(doc) == "Python 3.11.7 CPython · GIL on"  # no python of their own: the machine's
    doc.runs[0].python = {"version": "3.12.1", "implementation": "CPython", "gil_enabled": True}
    doc.runs[1].python = {"version": "3.13.0", "implementation": "CPython", "gil_enabled": False,
                          "free_threaded": True}
    doc.runs[1].label = "threads · 3.13t"
    said = pythons_text(doc)
    assert said == "Python 3.12.1 CPython · GIL on (asyncio); Python 3.13.0t CPython · GIL off (threads · 3.13t)"
    picture = _picture(doc)
    assert said.replace(" ", "") in "".join(_footer_lines(picture)).replace(" ", "")
    assert "asyncio · Python 3.12.1" in picture.texts()  # section titles say so too
    odd = RunDocument("x", {"python": 3, "cpus": "many", "gil_enabled": "yes"}, {}, [])
    assert footer_text(odd, DAY) == "plan: x · models: no runs · 2025-03-14"


def test_a_huge_run_folds_its_lanes_and_stays_a_bounded_picture(tmp_path: Path) -> None:
    n = 5000
    spans = [Span(i, 0, f"task {i}", "io_wait" if i % 2 else "running", i * 1e-4, i * 1e-4 + 0.05)
             for i in range(n)] + [Span(i, 1, f"task {i}", "ready_wait", i * 1e-4 + 0.05, i * 1e-4 + 0.0501, "loop")
                                   for i in range(n)]
    run = ModelRun("asyncio", 0, _metrics(0.6, n), [TaskOutcome(i, f"t{i}", "done") for i in range(n)], spans,
                   [(k * 0.01, 0.001) for k in range(60)])
    picture = _picture(RunDocument(f"{n}x sleep 50ms", dict(MACHINE), {}, [run]), kind="timeline")
    assert f"+{n - MAX_ROWS} more lanes" in picture.texts()
    boxes = sum(len(i.boxes) for i in picture.items if isinstance(i, Rects) and i.group.startswith("spans"))
    assert boxes <= (MAX_ROWS + 2) * (PAGE_WIDTH + 2)
    pe.save_svg(picture, str(tmp_path / "huge.svg"))
    assert (tmp_path / "huge.svg").stat().st_size < 8_000_000
    _inside(picture)


def test_odd_documents_are_drawn_without_a_crash(tmp_path: Path) -> None:
    empty = RunDocument("", {}, {}, [])
    assert "No runs were measured." in _picture(empty).texts()
    odd = ModelRun("threads", 1, {"wall_s": float("nan")}, [], [
        Span(0, 0, "thread 1", "running", 0.3, 0.1),  # ends before it starts
        Span(0, 1, "thread 1", "teleporting", 0.0, 0.2),  # a state no palette knows
        Span(0, 2, "thread 1", "running", 0.0, 0.0),
        Span(0, 3, "W" * 64 + " 999", "io_wait", 0.0, 0.1),  # the longest name a plan allows, numbered
    ], [])
    still = ModelRun("sequential", 1, {}, [], [], [])
    for doc in (RunDocument("x", {}, {}, [odd]), RunDocument("x", {}, {}, [still, odd])):
        picture = _picture(doc)
        pe.save_png(picture, str(tmp_path / "odd.png"), 2)
        pe.save_svg(picture, str(tmp_path / "odd.svg"))
        ET.parse(tmp_path / "odd.svg")
        _inside(picture)


def test_widget_pictures_as_shown_still_work_for_the_self_test(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    label = QLabel("drawn as shown")
    qtbot.addWidget(label)
    label.resize(300, 40)
    pe.save_png(label, str(tmp_path / "w.png"), 2)
    assert (QImage(str(tmp_path / "w.png")).width(), QImage(str(tmp_path / "w.png")).height()) == (600, 80)
    pe.save_svg(label, str(tmp_path / "w.svg"))
    root = ET.parse(tmp_path / "w.svg").getroot()
    assert root.get("width") == "300" and root.find(f"{SVG}image") is not None


def test_clipboard_bad_scale_and_unwritable_path(tmp_path: Path) -> None:
    picture = _picture(two_run_doc())
    image = pe.copy_to_clipboard(picture, 2)
    clip = QGuiApplication.clipboard().image()
    assert not clip.isNull() and (clip.width(), clip.height()) == (image.width(), image.height())
    with pytest.raises(ValueError, match="scale must be one of 1, 2, 3"):
        pe.render_image(picture, 4)
    with pytest.raises(WriteError, match="could not write"):
        pe.save_png(picture, str(tmp_path / "missing" / "t.png"))
    with pytest.raises(WriteError):
        pe.save_svg(picture, str(tmp_path / "missing" / "t.svg"))


def _default_env() -> dict[str, str]:
    """The environment a user's shell gives: no test settings, no display chosen for Qt."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QT_", "PYTEST"))}
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    return env


def _conclab(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    assert CONCLAB.exists(), f"the conclab command is not installed beside {sys.executable}"
    return subprocess.run([str(CONCLAB), *args], cwd=cwd, env=_default_env(), capture_output=True, text=True,
                          timeout=240)


def test_the_readme_commands_write_complete_crisp_pictures(tmp_path: Path) -> None:
    (tmp_path / "examples.plan").write_text("# a quick mix\n2x fetch: net 60ms, cpu 20ms\ncrunch: cpu 60ms\n"
                                            "logger: block 40ms\n", encoding="utf-8")
    readme = "conclab run examples.plan --json run.json --png run.png --scale 2 --trace run.trace.json --csv run.csv"
    done = _conclab(readme.split()[1:], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "QWidget" not in done.stderr and "propagateSizeHints" not in done.stderr
    for name in ("run.json", "run.png", "run.trace.json", "run.csv"):
        assert (tmp_path / name).stat().st_size > 100, name
    doc = load_run_file(tmp_path / "run.json")
    assert [r.model for r in doc.runs] == ["sequential", "asyncio", "threads", "processes"]
    expected = document_picture(doc)
    image = QImage(str(tmp_path / "run.png"))
    assert (image.width(), image.height()) == (2 * expected.width, 2 * expected.height)
    assert {"sequential", "asyncio", "threads", "processes", "Wall time", "Tasks done / failed"} <= set(
        expected.texts())
    shown = _conclab(["show", "run.json", "--png", "run.png"], tmp_path)
    assert shown.returncode == 0, shown.stderr
    again = QImage(str(tmp_path / "run.png"))
    assert (again.width(), again.height()) == (expected.width, expected.height)
    svg = _conclab(["show", "run.json", "--svg", "run.svg"], tmp_path)
    assert svg.returncode == 0, svg.stderr
    words = {t.text for t in ET.parse(tmp_path / "run.svg").getroot().iter(f"{SVG}text")}
    assert {"sequential", "asyncio", "threads", "processes", "Wall time"} <= words


def test_the_command_line_names_a_bad_picture_path(tmp_path: Path) -> None:
    bad = _conclab(["run", "sleep 5ms", "--models", "asyncio", "--png", str(tmp_path / "no" / "x.png")], tmp_path)
    assert bad.returncode == 2 and "x.png" in bad.stderr and "Traceback" not in bad.stderr
