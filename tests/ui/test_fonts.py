"""The app draws with the fonts it ships: on a machine with no fonts at all (an empty fontconfig), the plan
editor is still monospace and its text is drawn."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QFontInfo

from conclab.ui.fonts import MONO_FAMILY, monospace_font

PROBE = r"""
import json
from PySide6.QtGui import QFontDatabase, QFontInfo, QFontMetrics
from PySide6.QtWidgets import QApplication
from conclab.ui.shell.qt_app import ensure_app
from conclab.model.plan_text import parse
from conclab.ui.plan_editor.plan_editor_panel import PlanEditorPanel

app = ensure_app(offscreen=True)
panel = PlanEditorPanel(parse("3x fetch: net 200ms, cpu 20ms\nWWWW: sleep 1s"))
panel.resize(500, 300)
panel.tabs.setCurrentIndex(1)
panel.show()
QApplication.processEvents()
editor = panel.text_view.editor
font = editor.font()
metrics = QFontMetrics(font)
image = editor.viewport().grab().toImage()
background = image.pixelColor(image.width() - 2, image.height() - 2)
ink = sum(1 for y in range(0, 60) for x in range(0, min(300, image.width()))
          if abs(image.pixelColor(x, y).lightness() - background.lightness()) > 80)
print(json.dumps({
    "families": QFontDatabase.families(),
    "family": QFontInfo(font).family(),
    "fixed_pitch": QFontInfo(font).fixedPitch(),
    "same_advance": metrics.horizontalAdvance("iiii") == metrics.horizontalAdvance("WWWW"),
    "ink": ink,
}))
"""


def test_a_machine_without_fonts_still_gets_a_monospace_plan_editor(tmp_path: Path) -> None:
    config = tmp_path / "fonts.conf"
    config.write_text('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n'
                      f"<fontconfig><cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>\n")
    env = dict(os.environ, FONTCONFIG_FILE=str(config), QT_QPA_PLATFORM="offscreen",
               XDG_CACHE_HOME=str(tmp_path / "cache"), XDG_DATA_HOME=str(tmp_path / "data"))
    env.pop("FONTCONFIG_PATH", None)
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert "DejaVu Serif" not in seen["families"], "the machine's fonts leaked in: the test proves nothing"
    assert seen["family"] == MONO_FAMILY
    assert seen["fixed_pitch"] and seen["same_advance"]
    assert seen["ink"] > 200, "the plan's text must be drawn, not blank"


def test_the_shipped_monospace_face_is_used_here_too(qapp: object) -> None:
    info = QFontInfo(monospace_font())
    assert info.family() == MONO_FAMILY and info.fixedPitch()
