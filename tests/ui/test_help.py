"""Help as a user finds it: the guide (F1) built from the app's own definitions, `conclab --help`, the README's
commands, and a quiet terminal."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from conclab.model.plan import KIND_HELP, KINDS
from conclab.model.trace import Cause, State, state_label
from conclab.ui.palette import STATE_HEX
from conclab.ui.shell.actions import all_actions, keys_text, make_action, plain_text
from conclab.ui.shell.main_window import MainWindow
from conclab.ui.timeline.metrics_panel import ROWS

ROOT = Path(__file__).resolve().parents[2]


def _open_guide(window: MainWindow) -> object:
    window.activateWindow()
    QApplication.processEvents()
    QTest.keySequence(window, QKeySequence(QKeySequence.StandardKey.HelpContents))
    QApplication.processEvents()
    guide = window._help
    assert guide is not None and guide.isVisible(), "F1 opens the guide"
    return guide


def test_f1_opens_a_guide_to_plans_colours_and_metrics(window: MainWindow) -> None:
    guide = _open_guide(window)
    start = guide.text("start")  # type: ignore[attr-defined]
    assert f"Run ({keys_text(window.action('run'))})" in start
    plans = guide.text("plans")  # type: ignore[attr-defined]
    for kind in KINDS:
        assert kind in plans and KIND_HELP[kind] in plans
    assert "every DUR" in plans and "limit N" in plans and "1 alone is refused" in plans
    colours_page = guide.pages["colours"]  # type: ignore[attr-defined]
    colours, html = colours_page.toPlainText(), colours_page.toHtml().lower()
    for state in State:
        if state != State.READY_WAIT:
            assert state_label(state, "threads") in colours
        assert STATE_HEX[state].lower() in html, state
    for cause in (Cause.LOOP, Cause.GIL, Cause.CORE, Cause.GIL_OR_CORE):
        assert state_label(State.READY_WAIT, "", cause) in colours
    metrics = guide.text("metrics")  # type: ignore[attr-defined]
    for row in ROWS:
        assert row.label in metrics and row.tooltip in metrics
    guide.close()  # type: ignore[attr-defined]


def test_the_shortcut_list_comes_from_the_actions(window: MainWindow) -> None:
    window.action("help_shortcuts").trigger()
    guide = window._help
    assert guide is not None and guide.tabs.currentWidget() is guide.pages["shortcuts"]
    text = guide.text("shortcuts")
    keyed = [a for a in all_actions(window) if keys_text(a) and a.text()]
    assert len(keyed) >= 20
    for act in keyed:
        assert f"{keys_text(act)}\n{plain_text(act.text())}" in text or keys_text(act) in text, act.objectName()
    for what in ("Save plan as", "Save run", "Add task", "Run", "Guide", "Show as code"):
        assert what in text
    added = make_action(window, "brand_new", "Brand &new thing", None, "Ctrl+Shift+J")
    window.menu("view").addAction(added)
    window.show_help("shortcuts")
    assert "Brand new thing" in guide.text("shortcuts"), "the list is never stale"
    guide.close()


def test_conclab_help_lists_the_window_and_the_desktop_entry() -> None:
    out = subprocess.run([sys.executable, "-m", "conclab", "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "the window (no command)" in out.stdout and "RUN.json" in out.stdout and "--screenshot" in out.stdout
    assert "--install-desktop-entry" in out.stdout and "--self-test" in out.stdout


def test_the_readme_commands_name_files_that_exist() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    named = re.findall(r"conclab (?:run|show) (\S+\.(?:plan|json))", readme)
    plans = [p for p in named if p.endswith(".plan")]
    assert plans, "the README shows running a plan file"
    for path in plans:
        assert (ROOT / path).is_file(), f"README names {path}, which does not exist"


def test_the_window_prints_no_plugin_noise(tmp_path: Path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", CONCLAB_QUIT_WHEN_SHOWN="1",
               XDG_CONFIG_HOME=str(tmp_path / "config"))
    out = subprocess.run([sys.executable, "-m", "conclab"], capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "shown" in out.stdout
    assert "propagateSizeHints" not in out.stderr, out.stderr
