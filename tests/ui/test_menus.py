"""Menus and shortcuts as a user reaches them: every action named and found by name, every shortcut unique and
reaching its own action when pressed, menus in a stable order with unique mnemonics."""

from __future__ import annotations

from pathlib import Path

import pytest
import qasync
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QFileDialog, QGraphicsScene, QMenu, QMessageBox

from conclab.model.plan_text import parse
from conclab.model.runfile import load_run_file
from conclab.ui.shell.actions import all_actions, make_action, shortcut_clashes
from conclab.ui.shell.main_window import MainWindow

FILE_ORDER = ["new_plan", "open_plan", "save_plan", "save_plan_as", "file_runs_section", "open_run", "save_run",
              "export", "file_quit_section", "quit"]


@pytest.fixture(autouse=True)
def _discard_on_close(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Discard)


def _press(window: MainWindow, keys: QKeySequence | QKeySequence.StandardKey | str) -> None:
    """Press a key sequence in the window the way the keyboard does (the window active, focus inside)."""
    window.activateWindow()
    QApplication.processEvents()
    QTest.keySequence(window, keys if isinstance(keys, QKeySequence) else QKeySequence(keys))
    QApplication.processEvents()


def test_no_two_actions_share_a_shortcut(window: MainWindow) -> None:
    window.lessons.show()  # the lessons dock and its page's actions count too
    assert shortcut_clashes(window) == []
    keyed = [a for a in all_actions(window) if not a.shortcut().isEmpty()]
    assert len(keyed) >= 20, [a.objectName() for a in keyed]


def test_the_clash_check_catches_a_clash(window: MainWindow) -> None:
    extra = make_action(window, "clash", "Clash", None, QKeySequence.StandardKey.SaveAs)
    window.addAction(extra)
    try:
        clashes = shortcut_clashes(window)
        assert len(clashes) == 1 and "save_plan_as" in clashes[0] and "clash" in clashes[0]
    finally:
        window.removeAction(extra)
        extra.deleteLater()


def test_every_action_has_a_name_and_standard_keys_where_they_exist(window: MainWindow) -> None:
    ours = [a for a in all_actions(window) if not isinstance(a.parent(), QGraphicsScene)]  # not pyqtgraph's menu
    unnamed = [a.text() for a in ours if a.text() and not a.isSeparator() and not a.menu()
               and not a.objectName() and not a.text().startswith("⚠")]
    assert unnamed == []
    standard = {"new_plan": QKeySequence.StandardKey.New, "open_plan": QKeySequence.StandardKey.Open,
                "save_plan": QKeySequence.StandardKey.Save, "save_plan_as": QKeySequence.StandardKey.SaveAs,
                "quit": QKeySequence.StandardKey.Quit, "help_guide": QKeySequence.StandardKey.HelpContents}
    for name, key in standard.items():
        platform_keys = QKeySequence.keyBindings(key)
        assert window.action(name).shortcuts() == platform_keys or not platform_keys, name
        assert not window.action(name).shortcut().isEmpty(), f"{name} has no key on this platform"
    assert window.action("save_run").shortcut() != window.action("save_plan_as").shortcut()


def test_menus_and_actions_are_found_by_name(window: MainWindow) -> None:
    names = [m.objectName() for m in window.menuBar().findChildren(QMenu) if m.parent() is window.menuBar()]
    titles = [a.menu().objectName() for a in window.menuBar().actions() if a.menu()]
    assert titles == ["file_menu", "examples_menu", "run_menu", "view_menu", "lessons_menu", "help_menu"], names
    assert [a.objectName() for a in window.menu("file").actions()] == FILE_ORDER
    assert window.menu("view") is window.menu("view_menu") is window.menu("&View")
    assert window.menu("lessons").objectName() == "lessons_menu"
    assert window.action("replay_run") in window.menu("view").actions()
    assert window.action("show_code") in window.menu("lessons").actions()
    with pytest.raises(KeyError):
        window.action("no_such_action")


def test_a_part_can_add_to_the_view_menu_by_name(window: MainWindow) -> None:
    panel = make_action(window, "another_panel", "&Another panel", None, "Ctrl+Shift+Y")
    window.menus.insert("view", panel, before="view_panels_section")
    assert window.action("another_panel") in window.menu("view").actions()
    assert shortcut_clashes(window) == []


def test_mnemonics_are_unique_in_each_menu(window: MainWindow) -> None:
    def mnemonic(text: str) -> str | None:
        i = text.replace("&&", "").find("&")
        return text.replace("&&", "")[i + 1].lower() if i >= 0 else None

    bar = [mnemonic(a.text()) for a in window.menuBar().actions()]
    assert len([m for m in bar if m]) == len({m for m in bar if m})
    for menu in window.menuBar().findChildren(QMenu):
        letters = [mnemonic(a.text()) for a in menu.actions() if not a.isSeparator()]
        letters = [m for m in letters if m]
        assert len(letters) == len(set(letters)), (menu.objectName(), letters)


def test_save_plan_as_and_save_run_shortcuts_each_reach_their_own_action(
        window: MainWindow, qloop: qasync.QEventLoop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []

    def save_dialog(_parent: object, caption: str, *_a: object) -> tuple[str, str]:
        asked.append(caption)
        return str(tmp_path / ("run.json" if "run" in caption.lower() else "mine")), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_dialog)
    window.editor.set_plan(parse("2x sleep 20ms"))
    _press(window, QKeySequence(QKeySequence.StandardKey.SaveAs))
    assert asked == ["Save plan"]
    assert parse((tmp_path / "mine.plan").read_text()) == parse("2x sleep 20ms")
    runs_before = len(asked)
    _press(window, "Ctrl+Alt+S")  # nothing has run yet: the action is disabled, no dialog
    assert len(asked) == runs_before
    window.controls.set_models(["asyncio"])

    async def run() -> None:
        _press(window, "Ctrl+R")
        assert window.controller.running
        await window.controller.wait()

    qloop.run_until_complete(run())
    _press(window, "Ctrl+Alt+S")
    assert asked[-1] == "Save run"
    doc = load_run_file(tmp_path / "run.json")
    assert [r.model for r in doc.runs] == ["asyncio"]


def test_new_plan_and_help_from_the_keyboard(window: MainWindow) -> None:
    window.editor.set_plan(parse("3x a: sleep 20ms"))
    _press(window, QKeySequence(QKeySequence.StandardKey.New))
    assert window.editor.plan().task_count == 1 and "untitled plan" in window.windowTitle()
    _press(window, QKeySequence(QKeySequence.StandardKey.HelpContents))
    assert window._help is not None and window._help.isVisible()
    window._help.close()


def test_action_slots_take_no_arguments_from_triggered(window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    """`triggered(bool)` must never land in a parameter: Save run… with nothing saved asks nothing and says why."""
    called: list[tuple[object, ...]] = []
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a: called.append(a) or ("", ""))
    window.action("open_run").trigger()
    assert len(called) == 1, "Open run… must ask for a file"
    act = window.findChild(QAction, "save_run")
    assert act is not None and not act.isEnabled()
