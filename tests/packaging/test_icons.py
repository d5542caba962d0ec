"""The committed hicolor icons: right sizes, real content, and in step with the SVG they come from."""

from __future__ import annotations

import filecmp
import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from conclab import APP_ID

ROOT = Path(__file__).resolve().parents[2]
HICOLOR = ROOT / "resources" / "icons" / "hicolor"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def _load(path: Path) -> QImage:
    image = QImage(str(path))
    assert not image.isNull(), f"{path} is not a readable PNG"
    return image.convertToFormat(QImage.Format.Format_ARGB32)


def _pixels(image: QImage) -> list[tuple[int, int, int, int]]:
    """(r, g, b, a) of every pixel."""
    out = []
    for y in range(image.height()):
        for x in range(image.width()):
            c = image.pixelColor(x, y)
            out.append((c.red(), c.green(), c.blue(), c.alpha()))
    return out


def _make_icons() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_icons", ROOT / "packaging" / "make_icons.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("size", SIZES)
def test_png_has_its_size_and_visible_content(qapp: QApplication, size: int) -> None:
    path = HICOLOR / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
    assert path.is_file(), f"missing icon {path}; run packaging/make_icons.py"
    image = _load(path)
    assert (image.width(), image.height()) == (size, size)
    pixels = _pixels(image)
    opaque = [p for p in pixels if p[3] >= 200]
    # The rounded square covers most of the canvas; a blank or transparent-only render would not.
    assert len(opaque) > 0.6 * len(pixels)
    colours = {p[:3] for p in opaque}
    assert len(colours) >= 4, f"{path} has only {len(colours)} colours"
    # Corners stay transparent (rounded square), so the icon does not read as a hard-edged tile.
    assert image.pixelColor(0, 0).alpha() < 64


def test_scalable_icon_is_the_source_svg() -> None:
    scalable = HICOLOR / "scalable" / "apps" / f"{APP_ID}.svg"
    assert filecmp.cmp(scalable, ROOT / "resources" / "icons" / "conclab.svg", shallow=False)


@pytest.mark.parametrize("size", [16, 64])
def test_committed_pngs_match_a_fresh_render_of_the_svg(
    qapp: QApplication, tmp_path: Path, size: int
) -> None:
    make_icons = _make_icons()
    fresh = tmp_path / f"{size}.png"
    make_icons.render_png(ROOT / "resources" / "icons" / "conclab.svg", size, fresh)
    committed = _pixels(_load(HICOLOR / f"{size}x{size}" / "apps" / f"{APP_ID}.png"))
    rendered = _pixels(_load(fresh))
    pairs = zip(committed, rendered, strict=True)
    worst = max(max(abs(a - b) for a, b in zip(p, q, strict=True)) for p, q in pairs)
    assert worst <= 8, "the PNGs are out of date with conclab.svg; run packaging/make_icons.py"
