"""The real app in a real X window (Xvfb): run the default plan, or open a saved run given on the command
line, screenshot the screen, check it.

Also the regression guard for the PySide6 release that aborts CPython 3.11 after a few thousand
void-returning Qt calls (see the version pins in pyproject.toml).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QObject
from PySide6.QtGui import QColor, QImage

from conclab.ui.palette import STATE_HEX


def _colour_present(img: QImage, hex_colour: str, step: int = 2) -> bool:
    want = QColor(hex_colour)
    for y in range(0, img.height(), step):
        for x in range(0, img.width(), step):
            c = img.pixelColor(x, y)
            if abs(c.red() - want.red()) + abs(c.green() - want.green()) + abs(c.blue() - want.blue()) < 12:
                return True
    return False


@pytest.mark.xvfb
def test_real_window_runs_the_default_plan_and_shows_coloured_spans(tmp_path: Path) -> None:
    xvfb = shutil.which("xvfb-run")
    assert xvfb, "xvfb-run is missing: .ci/run installs the xvfb package"
    shot = tmp_path / "window.png"
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    env.update(QT_QPA_PLATFORM="xcb", XDG_CONFIG_HOME=str(tmp_path / "config"))
    proc = subprocess.run(
        [xvfb, "-a", "-s", "-screen 0 1600x1000x24", sys.executable, "-m", "conclab", "--run",
         "--models", "asyncio,threads", "--screenshot", str(shot), "--quit-after-run"],
        capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "QThread: Destroyed while thread" not in proc.stderr
    img = QImage(str(shot))
    assert not img.isNull()
    assert img.width() == 1600 and img.height() == 1000  # the whole X screen, not a widget grab
    colours = {img.pixelColor(x, y).rgb() for x in range(0, 1600, 16) for y in range(0, 1000, 16)}
    assert len(colours) > 20, "the screenshot is blank"
    for state in ("running", "io_wait", "blocking"):
        assert _colour_present(img, STATE_HEX[state]), f"no {state} spans on screen"
    if os.environ.get("CONCLAB_KEEP_SCREENSHOT"):
        shutil.copy(shot, os.environ["CONCLAB_KEEP_SCREENSHOT"])


def _xvfb_env(tmp_path: Path) -> tuple[str, dict[str, str]]:
    xvfb = shutil.which("xvfb-run")
    assert xvfb, "xvfb-run is missing: .ci/run installs the xvfb package"
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    env.update(QT_QPA_PLATFORM="xcb", XDG_CONFIG_HOME=str(tmp_path / "config"))
    return xvfb, env


@pytest.mark.xvfb
def test_a_saved_run_given_on_the_command_line_is_shown_as_recorded(tmp_path: Path) -> None:
    run = tmp_path / "run.json"
    made = subprocess.run([sys.executable, "-m", "conclab", "run", "3x fetch: net 150ms, cpu 30ms; logger: block 150ms",
                           "--models", "asyncio,threads", "--json", str(run)],
                          capture_output=True, text=True, timeout=120)
    assert made.returncode == 0 and run.is_file(), made.stderr[-2000:]
    xvfb, env = _xvfb_env(tmp_path)
    shot = tmp_path / "opened.png"
    proc = subprocess.run(
        [xvfb, "-a", "-s", "-screen 0 1600x1000x24", sys.executable, "-m", "conclab", str(run),
         "--screenshot", str(shot), "--quit-after-run"],
        capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "not a valid plan" not in proc.stderr and "propagateSizeHints" not in proc.stderr
    img = QImage(str(shot))
    assert not img.isNull() and (img.width(), img.height()) == (1600, 1000)
    colours = {img.pixelColor(x, y).rgb() for x in range(0, 1600, 16) for y in range(0, 1000, 16)}
    assert len(colours) > 20, "the screenshot is blank"
    for state in ("running", "io_wait", "ready_wait", "blocking"):
        assert _colour_present(img, STATE_HEX[state]), f"no {state} spans on screen: the run was not shown"
    if os.environ.get("CONCLAB_KEEP_SCREENSHOT"):
        shutil.copy(shot, Path(os.environ["CONCLAB_KEEP_SCREENSHOT"]).with_suffix(".run-file.png"))


def test_many_void_qt_calls_do_not_abort_the_interpreter() -> None:
    code = ("from PySide6.QtCore import QObject\no = QObject()\n"
            "for i in range(100_000):\n    o.setObjectName('x')\nprint('alive')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "alive", out.stderr[-500:]
    assert isinstance(QObject(), QObject)
