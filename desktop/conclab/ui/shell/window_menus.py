"""The main window's menu bar: menus by name, named places in them, and commands added by name.

Other parts add their commands without knowing the menus' order or titles: `menu("view")` is the View
menu, `insert("file", action, before="file_quit_section")` puts an action above the separator before Quit.
"""

from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QMenu

MENUS = {"file": "&File", "examples": "&Examples", "run": "&Run", "view": "&View", "help": "&Help"}


class WindowMenus:
    """Creates the window's menus (object names `file_menu`, `examples_menu`, …) and finds them by name."""

    def __init__(self, window: QMainWindow) -> None:
        self.window = window
        self._menus: dict[str, QMenu] = {}
        bar = window.menuBar()
        for name, title in MENUS.items():
            menu = bar.addMenu(title)
            menu.setObjectName(f"{name}_menu")
            menu.setToolTipsVisible(True)
            self._menus[name] = menu

    def menu(self, name: str) -> QMenu:
        """A menu by name: "view" (or its object name "view_menu"); also by its title "&View", as older
        callers asked. Menus added by other parts (e.g. "lessons") are found by their object names too."""
        key = name.removesuffix("_menu").replace("&", "").lower()
        if key in self._menus:
            return self._menus[key]
        found = self.window.menuBar().findChild(QMenu, f"{key}_menu") or self.window.findChild(QMenu, f"{key}_menu")
        if found is None:
            raise KeyError(f"no menu named {name!r}")
        return found

    def section(self, menu: str, name: str) -> QAction:
        """Add a named separator: a place other parts insert before."""
        sep = self.menu(menu).addSeparator()
        sep.setObjectName(name)
        return sep

    def add(self, menu: str, *actions: QAction) -> None:
        for act in actions:
            self.menu(menu).addAction(act)

    def insert(self, menu: str, action: QAction, before: str | None = None) -> None:
        """Put `action` into a menu before the action (or separator) named `before`, else at its end."""
        target = self.menu(menu)
        anchor = next((a for a in target.actions() if before and a.objectName() == before), None)
        if anchor is not None:
            target.insertAction(anchor, action)
        else:
            target.addAction(action)
