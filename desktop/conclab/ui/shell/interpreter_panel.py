"""Which Pythons run the lab: one or several, found on the machine off the GUI thread.

The default is the app's own Python, which needs no search. Looking for the others (`discover`) asks
each interpreter once (answers are cached) on a worker thread; the menu fills in when it is done.
Interpreters that cannot run the lab are listed, disabled, with the reason in their tooltip.
"""

from __future__ import annotations

import contextlib
import os
import platform
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QHBoxLayout, QMenu, QSizePolicy, QToolButton, QWidget

from conclab.engines.interpreters import Interpreter, discover
from conclab.ui.shell.settings import OWN_PYTHON as OWN


@dataclass(frozen=True)
class PythonChoice:
    """A chosen interpreter: `python` as a RunSpec takes it (None: the app's own) and its version label."""

    python: str | None
    label: str


def _real(path: str) -> str:
    return os.path.realpath(path) if path else ""


def own_label() -> str:
    return platform.python_version()


class InterpreterPanel(QWidget):
    """A button with a menu of the machine's Pythons; several may be ticked. Emits `changed` on a new choice,
    `problem(str)` when a remembered interpreter is no longer usable."""

    changed = Signal()
    problem = Signal(str)
    _found = Signal(object, str)  # list[Interpreter], error — emitted from the search thread

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._interpreters: list[Interpreter] | None = None
        self._chosen: list[str] = [OWN]  # OWN or executables
        self._searching = False
        self._waiting: list[Callable[[], None]] = []
        self._own_real = _real(sys.executable)
        self.button = QToolButton(self)
        self.button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.button.setAccessibleName("Pythons that run the lab")
        self.menu = QMenu(self.button)
        self.menu.setObjectName("python_menu")
        self.menu.setToolTipsVisible(True)
        self.menu.aboutToShow.connect(self._on_menu_about_to_show)
        self.button.setMenu(self.menu)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.button)
        self._found.connect(self._on_found)
        self._rebuild()

    # -- the choice -------------------------------------------------------------------------------
    def choices(self) -> list[PythonChoice]:
        """The chosen interpreters, in the menu's order (the app's own when nothing else is known)."""
        out = []
        for key in self._chosen:
            if key == OWN:
                out.append(PythonChoice(None, own_label()))
                continue
            found = self._by_path(key)
            out.append(PythonChoice(key, found.label if found else os.path.basename(key)))
        return out or [PythonChoice(None, own_label())]

    def remembered(self) -> list[str]:
        """The choice as settings keep it: executables, and OWN for the app's own Python."""
        return list(self._chosen)

    def set_remembered(self, keys: list[str]) -> None:
        """Restore a choice; interpreters other than the app's own are checked once the search is done."""
        keys = [k for k in dict.fromkeys(keys) if k == OWN or os.path.isabs(k)]
        self._chosen = keys or [OWN]
        if any(k != OWN for k in self._chosen):
            self.discover()
        self._rebuild()

    def is_ready(self) -> bool:
        """Whether every chosen interpreter is known (the app's own always is)."""
        return all(k == OWN for k in self._chosen) or self._interpreters is not None

    def call_when_ready(self, fn: Callable[[], None]) -> None:
        """Call `fn` now if the choice is known, else as soon as the search has finished."""
        if self.is_ready():
            fn()
        else:
            self._waiting.append(fn)
            self.discover()

    def set_own_only(self, own_only: bool, why: str = "") -> None:
        """Runs inside this window can only use the app's own Python: the choice is set aside meanwhile."""
        self.button.setEnabled(not own_only)
        self._own_only = own_only
        self._own_only_why = why
        self._update_button()

    def own_only(self) -> bool:
        return getattr(self, "_own_only", False)

    def is_searching(self) -> bool:
        return self._searching

    def interpreters(self) -> list[Interpreter] | None:
        """What the last search found (None: not searched yet)."""
        return None if self._interpreters is None else list(self._interpreters)

    # -- searching ----------------------------------------------------------------------------------
    def discover(self, refresh: bool = False) -> None:
        """Look for the machine's Pythons on a worker thread (once; again with `refresh`)."""
        if self._searching or (self._interpreters is not None and not refresh):
            return
        self._searching = True
        self._rebuild()
        threading.Thread(target=self._search, args=(refresh,), name="python-search", daemon=True).start()

    def _search(self, refresh: bool) -> None:
        try:
            found, error = discover(refresh), ""
        except Exception as exc:  # a broken PATH entry must not take the window down
            found, error = [], f"{type(exc).__name__}: {exc}"
        with contextlib.suppress(RuntimeError):  # the window closed meanwhile
            self._found.emit(found, error)

    def _on_found(self, found: list[Interpreter], error: str) -> None:
        self._searching = False
        self._interpreters = found
        if error:
            self.problem.emit(f"could not look for Pythons: {error}")
        dropped = []
        for key in list(self._chosen):
            if key == OWN:
                continue
            interpreter = self._by_path(key)
            if interpreter is None or not interpreter.usable:
                self._chosen.remove(key)
                dropped.append(f"{key} ({interpreter.reason if interpreter else 'not found any more'})")
        if dropped:
            self._chosen = self._chosen or [OWN]
            self.problem.emit(f"Python {', '.join(dropped)} cannot run the lab; it was left out")
            self.changed.emit()
        self._rebuild()
        waiting, self._waiting = self._waiting, []
        for fn in waiting:
            fn()

    def _by_path(self, path: str) -> Interpreter | None:
        real = _real(path)
        return next((i for i in self._interpreters or [] if _real(i.executable) == real), None)

    # -- the menu -----------------------------------------------------------------------------------
    def _on_menu_about_to_show(self) -> None:
        self.discover()

    def _rebuild(self) -> None:
        self.menu.clear()
        self.menu.addSection("Run the lab on")
        own = self.menu.addAction(f"{own_label()} — this app's Python")
        own.setObjectName("python_own")
        own.setCheckable(True)
        own.setChecked(OWN in self._chosen)
        own.setToolTip(sys.executable)
        own.toggled.connect(lambda on: self._on_toggled(OWN, on))
        for interpreter in self._interpreters or []:
            if _real(interpreter.executable) == self._own_real:
                continue
            self.menu.addAction(self._entry(interpreter))
        if self._searching:
            looking = self.menu.addAction("Looking for other Pythons…")
            looking.setEnabled(False)
        self.menu.addSeparator()
        again = self.menu.addAction("Look for Pythons again")
        again.setObjectName("python_refresh")
        again.setEnabled(not self._searching)
        again.setToolTip("Ask every Python on PATH, in pyenv's and uv's folders and in the system folders again")
        again.triggered.connect(lambda _checked=False: self.discover(refresh=True))
        self._update_button()

    def _entry(self, interpreter: Interpreter) -> QAction:
        act = QAction(f"{interpreter.label} — {interpreter.executable}", self.menu)
        act.setObjectName(f"python_{interpreter.label}")
        act.setCheckable(True)
        act.setChecked(interpreter.executable in self._chosen or any(
            k != OWN and _real(k) == _real(interpreter.executable) for k in self._chosen))
        act.setEnabled(interpreter.usable)
        act.setToolTip(interpreter.executable if interpreter.usable else f"Cannot run the lab: {interpreter.reason}")
        act.setData(interpreter.executable)
        act.toggled.connect(lambda on, path=interpreter.executable: self._on_toggled(path, on))
        return act

    def _on_toggled(self, key: str, on: bool) -> None:
        chosen = [k for k in self._chosen if k != key and (key == OWN or _real(k) != _real(key))]
        if on:
            chosen.append(key)
        if not chosen:  # at least one Python must run the lab: untick another one to change it
            self._rebuild()
            return
        order = [OWN] + [i.executable for i in self._interpreters or []]
        self._chosen = sorted(chosen, key=lambda k: order.index(k) if k in order else len(order))
        self._rebuild()
        self.changed.emit()

    def _update_button(self) -> None:
        if self.own_only():
            self.button.setText(own_label())
            self.button.setToolTip(getattr(self, "_own_only_why", ""))
            return
        labels = [c.label for c in self.choices()]
        self.button.setText(" + ".join(labels) if len(labels) <= 2 else f"{len(labels)} Pythons")
        lines = [f"{c.label}: {c.python or sys.executable}" for c in self.choices()]
        self.button.setToolTip("The lab runs the plan on each Python ticked here, one after another:\n"
                               + "\n".join(lines))
