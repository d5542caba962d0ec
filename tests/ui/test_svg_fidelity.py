"""An SVG export looks like its PNG outside Qt: rendered by librsvg (rsvg-convert) and by a browser (headless
Chromium), it matches the PNG the app writes, pixel for pixel within a tolerance.

The metric: the per-pixel difference is the largest of the three channel differences (0–255). Glyphs are
rasterised differently by each renderer (hinting, sub-pixel placement, antialiasing), so no two renderers
agree exactly on text edges; what must agree is everything larger than a glyph's edge. So besides the mean
per-pixel difference (small), both pictures are averaged over 8 × 8 pixel blocks — about the height of a
lowercase letter — and no block may differ much, and hardly any a little. A shape drawn differently (a lag
curve filled into a large area, a missing bar, a shifted section) changes whole blocks by far more: the
negative control below checks that the metric sees exactly the fault once found in these SVGs.

Both renderers are required: CI installs `librsvg2-bin` and `chromium` (.ci/run), so a missing one fails.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QImage

from conclab.model.lesson_result import lesson_result
from conclab.model.lessons import get_lesson
from conclab.model.run import ModelRun, RunDocument
from conclab.ui.exports import picture_export as pe
from conclab.ui.exports.document_page import document_picture
from conclab.ui.exports.picture import Picture
from conclab.ui.exports.svg_writer import svg_text
from tests.ui.test_picture_export import three_run_doc

DAY = dt.date(2025, 3, 14)
BLOCK = 8
MEAN_LIMIT = 4.0  # measured 1.2–2.3 here
WORST_BLOCK_LIMIT = 56.0  # measured 23–31 here
BLOCK_LEVEL = 24.0
BLOCK_SHARE_LIMIT = 0.005  # of blocks beyond BLOCK_LEVEL; measured under 0.1 %
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-crash-reporter", "--hide-scrollbars")


@dataclass(frozen=True)
class Difference:
    """How far two pictures of the same size are apart (see the module's docstring)."""

    mean: float
    worst_block: float
    block_share: float

    @property
    def alike(self) -> bool:
        return (self.mean <= MEAN_LIMIT and self.worst_block <= WORST_BLOCK_LIMIT
                and self.block_share <= BLOCK_SHARE_LIMIT)


def _rgb(path: Path) -> np.ndarray:
    image = QImage(str(path)).convertToFormat(QImage.Format.Format_RGB32)
    assert not image.isNull(), f"{path.name} is not a picture"
    arr = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    return arr[:, : image.width() * 4].reshape(image.height(), image.width(), 4)[..., :3].astype(np.float64)


def difference(a: np.ndarray, b: np.ndarray, scale: int = 1) -> Difference:
    """The difference of two pictures drawn at `scale` (blocks are 8 × 8 logical pixels)."""
    assert a.shape == b.shape, f"sizes differ: {a.shape[1::-1]} against {b.shape[1::-1]}"
    per_pixel = np.abs(a - b).max(axis=2)
    n = BLOCK * scale
    h, w = (a.shape[0] // n) * n, (a.shape[1] // n) * n

    def blocks(x: np.ndarray) -> np.ndarray:
        return x[:h, :w].reshape(h // n, n, w // n, n, 3).mean(axis=(1, 3))

    per_block = np.abs(blocks(a) - blocks(b)).max(axis=2)
    return Difference(float(per_pixel.mean()), float(per_block.max()), float((per_block > BLOCK_LEVEL).mean()))


def _tool(*names: str) -> str:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    pytest.fail(f"{names[0]} is needed to check SVG exports outside Qt and is not installed "
                f"(Debian: apt-get install {'librsvg2-bin' if names[0] == 'rsvg-convert' else 'chromium'}; "
                ".ci/run installs it)")


def rsvg(svg: Path, out: Path, zoom: int = 1) -> Path:
    done = subprocess.run([_tool("rsvg-convert"), "--zoom", str(zoom), "--background-color", "white", str(svg),
                           "-o", str(out)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return out


def chromium(svg: Path, out: Path, picture: Picture, profile: Path) -> Path:
    size = f"{int(picture.width)},{int(picture.height)}"
    done = subprocess.run([_tool("chromium", "chromium-browser", "google-chrome"), *CHROMIUM_FLAGS,
                           f"--user-data-dir={profile}", "--force-device-scale-factor=1", f"--window-size={size}",
                           f"--screenshot={out}", svg.as_uri()], capture_output=True, text=True, timeout=180)
    assert out.exists(), f"chromium wrote no screenshot: {done.stderr[-2000:]}"
    return out


def _lesson_doc() -> tuple[RunDocument, object]:
    """A measured-looking document of the threads-parallel lesson and its result: a page full of text."""
    source = three_run_doc()
    runs = [ModelRun(model, run.workers, run.metrics, run.tasks, run.spans, run.lag, run.lanes, run.python)
            for model, run in zip(("sequential", "threads", "processes"), source.runs, strict=True)]
    lesson = get_lesson("threads-parallel")
    doc = RunDocument(lesson.plan_text, source.machine, {}, runs)
    return doc, lesson_result(lesson, doc, 0)


def _pictures() -> dict[str, Picture]:
    doc, result = _lesson_doc()
    return {"comparison": document_picture(three_run_doc(), when=DAY),
            "lesson": document_picture(doc, lesson=result, when=DAY)}  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["comparison", "lesson"])
def test_svg_in_librsvg_and_chromium_looks_like_the_png(name: str, tmp_path: Path) -> None:
    picture = _pictures()[name]
    png, svg = tmp_path / f"{name}.png", tmp_path / f"{name}.svg"
    pe.save_png(picture, str(png), 1)
    pe.save_svg(picture, str(svg))
    reference = _rgb(png)
    for renderer, out in (("librsvg", rsvg(svg, tmp_path / f"{name}.rsvg.png")),
                          ("chromium", chromium(svg, tmp_path / f"{name}.chromium.png", picture, tmp_path / "p"))):
        diff = difference(reference, _rgb(out))
        assert diff.alike, f"{renderer} draws the {name} SVG unlike the PNG: {diff}"


def test_at_2x_librsvg_matches_the_2x_png(tmp_path: Path) -> None:
    picture = _pictures()["comparison"]
    png, svg = tmp_path / "page@2x.png", tmp_path / "page.svg"
    pe.save_png(picture, str(png), 2)
    pe.save_svg(picture, str(svg))
    diff = difference(_rgb(png), _rgb(rsvg(svg, tmp_path / "page.rsvg@2x.png", zoom=2)), scale=2)
    assert diff.alike, diff


def test_the_metric_sees_a_lag_curve_filled_into_an_area(tmp_path: Path) -> None:
    """The fault users found: renderers fill an open path unless told not to. An SVG whose lag curves lack
    `fill="none"` must fail the comparison — and by a wide margin."""
    picture = _pictures()["comparison"]
    png, svg = tmp_path / "page.png", tmp_path / "page.svg"
    pe.save_png(picture, str(png), 1)
    text = svg_text(picture)
    assert text.count('<polyline points="') == 3 and 'fill="none"' in text
    svg.write_text(re.sub(r'(<polyline [^>]*?)fill="none" ', r"\1", text), encoding="utf-8")
    diff = difference(_rgb(png), _rgb(rsvg(svg, tmp_path / "filled.png")))
    assert not diff.alike
    assert diff.worst_block > 2 * WORST_BLOCK_LIMIT and diff.block_share > 2 * BLOCK_SHARE_LIMIT, diff
