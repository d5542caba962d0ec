"""The stepping keys of the Inside view: ←/→ to the previous/next change, Shift+←/→ by 10 ms, Space plays.

One set of actions per window, in that window's shortcut context: in the main window they act where
the Inside dock or the timeline has the keyboard (arrows elsewhere stay the editors' own); in the
presenter window everywhere in it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

from conclab.ui.inside.inside_session import SHIFT_S, SPEEDS, InsideSession


class InsideKeys(QObject):
    """Actions that move a session's instant; `attach` adds them to the widgets where they apply."""

    def __init__(self, session: InsideSession, parent: QObject,
                 context: Qt.ShortcutContext = Qt.ShortcutContext.WidgetWithChildrenShortcut) -> None:
        super().__init__(parent)
        self.session = session
        s = session
        specs: list[tuple[str, str, str, str, Callable[[], object]]] = [
            ("next", "Next change", "Right", "To the next change of state (of the task followed, if any)",
             lambda: s.step(+1)),
            ("previous", "Previous change", "Left", "To the previous change of state", lambda: s.step(-1)),
            ("forward", "Forward 10 ms", "Shift+Right", "Move the instant 10 ms later", lambda: s.shift(SHIFT_S)),
            ("back", "Back 10 ms", "Shift+Left", "Move the instant 10 ms earlier", lambda: s.shift(-SHIFT_S)),
            ("play", "Play / pause", "Space", "Play the run from this instant at the chosen speed", s.toggle_play),
            ("first", "First change", "Home", "To the first change of state", s.home),
            ("last", "Last change", "End", "To the last change of state", s.end),
            ("slower", "Slower", "[", "Play more slowly", lambda: self._speed(-1)),
            ("faster", "Faster", "]", "Play faster (up to real time)", lambda: self._speed(+1)),
        ]
        self.actions: dict[str, QAction] = {}
        for name, text, keys, tip, handler in specs:
            action = QAction(text, parent)
            action.setObjectName(f"inside_{name}")
            action.setShortcut(QKeySequence(keys))
            action.setShortcutContext(context)
            action.setToolTip(f"{tip} ({keys})")
            action.setStatusTip(tip)
            action.triggered.connect(lambda _=False, h=handler: h())
            self.actions[name] = action

    def attach(self, *widgets: QWidget) -> None:
        for widget in widgets:
            widget.addActions(list(self.actions.values()))

    def _speed(self, direction: int) -> None:
        s = self.session
        i = min(range(len(SPEEDS)), key=lambda k: abs(SPEEDS[k] - s.speed))
        s.set_speed(SPEEDS[min(max(i + direction, 0), len(SPEEDS) - 1)])
        s.changed.emit()
