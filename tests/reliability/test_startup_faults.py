"""Broken surroundings at start-up: a corrupt or unreadable settings store, a missing resources folder, and
no lab that can start (a Python that answers as one but cannot run anything, a cache folder that cannot
be written).

The window starts with defaults and says what it could not use, or fails the run and says why; the
command line prints a message and exits 2. Neither ever shows a traceback.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from time import perf_counter

import pytest
import qasync
from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from conclab import cli
from conclab.model import resources
from conclab.model.lessons import load_lessons
from conclab.model.plan_text import format_plan, parse
from conclab.ui.shell.main_window import DEFAULT_PLAN, MainWindow
from conclab.ui.shell.run_handle import RunHandle, RunState
from conclab.ui.shell.settings import DEFAULT_MODELS

LEAK_GUARD = True

CORRUPT_STORES: dict[str, bytes] = {
    "binary garbage": bytes(range(256)) * 64,
    "wrong types everywhere": b"[run]\nmodels=42\nworkers=@Variant(\\0\\0\\0\\x7f\\xff)\nswitch_ms=fast\n"
                              b"[plan]\ntext=@ByteArray(\\xff\\xfe)\n[window]\ngeometry=1\nstate=@Size(1 2)\n"
                              b"[files]\nlast_dir=@Invalid()\n",
    "half a file": b"[plan]\ntext=2x slee",
    "huge values": b"[run]\nworkers=99999999999999999999\nswitch_ms=1e308\n[plan]\ntext=" + b"9" * 70_000 + b"\n",
    "empty": b"",
}


@pytest.fixture
def open_window(qtbot: QtBot, qloop: qasync.QEventLoop) -> Iterator[list[MainWindow]]:
    made: list[MainWindow] = []
    yield made
    for w in made:
        w.editor.mark_saved()
        w.close()


def _window(qtbot: QtBot, made: list[MainWindow], store: QSettings) -> MainWindow:
    w = MainWindow(store)
    qtbot.addWidget(w)
    made.append(w)
    w.show()
    return w


def _assert_defaults(w: MainWindow) -> None:
    assert w.controls.models() == DEFAULT_MODELS
    assert w.controls.workers.value() == 0
    assert 0.1 <= w.controls.switch_ms.value() <= 100
    assert w.editor.plan().task_count > 0
    assert w.controls.run_button.isEnabled()


@pytest.mark.parametrize("name", sorted(CORRUPT_STORES))
def test_corrupt_settings_store_starts_with_defaults(qtbot: QtBot, open_window: list[MainWindow], tmp_path: Path,
                                                      name: str) -> None:
    ini = tmp_path / "settings.ini"
    ini.write_bytes(CORRUPT_STORES[name])
    w = _window(qtbot, open_window, QSettings(str(ini), QSettings.Format.IniFormat))
    _assert_defaults(w)
    if name not in ("empty", "binary garbage"):
        assert w.statusBar().currentMessage(), "the window should say which settings it could not use"
    # The window still saves a good store over the bad one, and it loads back.
    w.close()
    again = _window(qtbot, open_window, QSettings(str(ini), QSettings.Format.IniFormat))
    _assert_defaults(again)


def test_unreadable_settings_file_and_a_folder_in_its_place(qtbot: QtBot, open_window: list[MainWindow],
                                                            tmp_path: Path) -> None:
    folder = tmp_path / "settings.ini"
    folder.mkdir()
    w = _window(qtbot, open_window, QSettings(str(folder), QSettings.Format.IniFormat))
    _assert_defaults(w)
    w.close()  # saving into a folder fails quietly inside Qt; the app must not crash
    locked = tmp_path / "locked.ini"
    locked.write_text("[run]\nworkers=3\n")
    locked.chmod(0o000)
    try:
        w2 = _window(qtbot, open_window, QSettings(str(locked), QSettings.Format.IniFormat))
        assert w2.controls.workers.value() in (0, 3)  # 3 only when running as root, who reads it anyway
        _assert_defaults_apart_from_workers(w2)
    finally:
        locked.chmod(0o600)


def _assert_defaults_apart_from_workers(w: MainWindow) -> None:
    assert w.controls.models() == DEFAULT_MODELS
    assert format_plan(w.editor.plan()) == format_plan(parse(DEFAULT_PLAN))


@pytest.fixture
def no_resources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every place the resources folder may live is empty."""
    empty = tmp_path / "empty-resources"
    empty.mkdir()
    monkeypatch.setenv("CONCLAB_RESOURCES", str(empty))
    monkeypatch.setattr(resources, "_candidates", lambda: [empty])
    resources.resources_dir.cache_clear()
    yield empty
    resources.resources_dir.cache_clear()


def test_missing_resources_window_starts_with_a_message(qtbot: QtBot, open_window: list[MainWindow],
                                                        tmp_path: Path, no_resources: Path) -> None:
    w = _window(qtbot, open_window, QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    _assert_defaults(w)
    assert "resources folder is missing" in w.statusBar().currentMessage()
    examples = w.menu("&Examples").actions()
    assert all(a.data() is None for a in examples)
    assert w.lessons.panel.item_texts() == [] or all(t.startswith("⚠") for t in w.lessons.panel.item_texts())


def test_missing_resources_cli_says_so_and_exits_2(no_resources: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["lessons"], ["lesson", "article-example"]):
        code = cli.main(argv)
        err = capsys.readouterr().err
        assert code == 2, argv
        assert "resources folder is missing" in err
        assert "Traceback" not in err
    # A run needs no resources at all.
    assert cli.main(["run", "sleep 1ms", "--models", "asyncio", "--runtime", "plain"]) == 0


def test_resources_override_to_an_empty_folder_falls_back_to_the_real_one(tmp_path: Path) -> None:
    """CONCLAB_RESOURCES is a hint, not a trap: an empty folder there does not hide the shipped lessons."""
    empty = tmp_path / "empty"
    empty.mkdir()
    env = dict(os.environ, CONCLAB_RESOURCES=str(empty))
    p = subprocess.run([sys.executable, "-m", "conclab", "lessons"], capture_output=True, text=True, env=env,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    assert "article-example" in p.stdout
    lessons, errors = load_lessons()
    assert lessons and errors == []


# -- no lab can start ----------------------------------------------------------------------------------

BROKEN_WHY = "cannot import encodings: this Python is broken"
# Answers the interpreter probe as a Python 3.19 would, and dies at once when asked to run anything else.
BROKEN_PYTHON = f"""#!/bin/sh
case "$*" in
  *json*) echo '{{"version": "3.19.0", "implementation": "CPython", "gil_enabled": true, "free_threaded": false}}';;
  *) echo "Fatal Python error: {BROKEN_WHY}" >&2; exit 1;;
esac
"""


@pytest.fixture
def broken_python(tmp_path: Path) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir()
    path = folder / "python3.19"
    path.write_text(BROKEN_PYTHON)
    path.chmod(0o755)
    return path


def _conclab(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"), XDG_CONFIG_HOME=str(tmp_path / "config"))
    full.update(env)
    return subprocess.run([sys.executable, "-m", "conclab", *args], capture_output=True, text=True, env=full,
                          timeout=120)


def test_a_python_that_cannot_run_the_lab_is_a_message_on_the_command_line(tmp_path: Path,
                                                                           broken_python: Path) -> None:
    p = _conclab(["run", "sleep 10ms", "--models", "asyncio", "--python", str(broken_python)], tmp_path)
    assert p.returncode == 2, p.stderr
    assert p.stderr.startswith("conclab: the lab could not start: exit status 1"), p.stderr
    assert BROKEN_WHY in p.stderr, "the lab's last words are the reason"
    assert "Traceback" not in p.stderr


def test_an_unwritable_cache_folder_is_a_message_on_the_command_line(tmp_path: Path) -> None:
    """Another Python runs the lab from a folder the app writes in the cache: a file where the cache folder
    should be (it fails for root too) makes that impossible."""
    other = tmp_path / "other" / "python3"
    other.parent.mkdir()
    other.symlink_to(os.path.realpath(sys.executable))
    blocked = tmp_path / "cache-is-a-file"
    blocked.write_text("")
    p = _conclab(["run", "sleep 10ms", "--models", "asyncio", "--python", str(other)], tmp_path,
                 XDG_CACHE_HOME=str(blocked))
    assert p.returncode == 2, p.stderr
    assert p.stderr.startswith("conclab: could not prepare the lab: Not a directory"), p.stderr
    assert "Traceback" not in p.stderr
    # With a cache it can write, the same Python runs the lab.
    ok = _conclab(["run", "sleep 10ms", "--models", "asyncio", "--python", str(other)], tmp_path)
    assert ok.returncode == 0, ok.stderr


def _python_action(w: MainWindow, key: str) -> QAction:
    """The Pythons menu's entry for an interpreter (its executable) or "own"; the menu is rebuilt on change."""
    for act in w.controls.pythons.menu.actions():
        if (key == "own" and act.objectName() == "python_own") or act.data() == key:
            return act
    raise KeyError(key)


def test_a_python_that_cannot_run_the_lab_fails_the_window_run_with_its_reason(
        window: MainWindow, qloop: qasync.QEventLoop, tmp_path: Path, broken_python: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The broken Python is on PATH; the user looks for Pythons, ticks it instead of the app's own and
    presses Run: the run fails with the reason in a message; ticking the app's own again runs."""
    monkeypatch.setenv("PATH", f"{broken_python.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: shown.append(str(a[2])))
    panel = window.controls.pythons
    window.editor.set_plan(parse("2x sleep 10ms"))
    window.controls.set_models(["asyncio"])
    handles: list[RunHandle] = []
    window.controller.run_started.connect(handles.append)

    async def go() -> None:
        panel.menu.findChild(QAction, "python_refresh").trigger()
        end = perf_counter() + 60
        while panel.is_searching() and perf_counter() < end:
            await asyncio.sleep(0.05)
        _python_action(window, str(broken_python)).trigger()
        _python_action(window, "own").trigger()
        assert [c.python for c in panel.choices()] == [str(broken_python)]
        window.run_action.trigger()
        await window.controller.wait()
        _python_action(window, "own").trigger()
        _python_action(window, str(broken_python)).trigger()
        window.run_action.trigger()
        await window.controller.wait()

    qloop.run_until_complete(go())
    failed, ok = handles
    assert failed.state == RunState.FAILED
    assert "the lab could not start" in failed.error and BROKEN_WHY in failed.error, failed.error
    assert shown and BROKEN_WHY in shown[0], "the window says why"
    assert ok.state == RunState.FINISHED, ok.error
