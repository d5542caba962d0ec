"""Named actions: how the window's commands are made, found, listed with their shortcuts and checked for clashes.

Every command is a QAction with an object name (`make_action`), so menus, tests and other parts find it by
name, never by its position or its text. The slot is called without arguments, whatever the signal
carries (`triggered(bool)` must never land in a parameter). `shortcut_rows` lists every shortcut of a
window for the Help guide, read from the actions themselves so it cannot go stale; `shortcut_clashes`
finds two actions that one key press could both mean.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

Keys = QKeySequence | QKeySequence.StandardKey | str | None
_NATIVE = QKeySequence.SequenceFormat.NativeText
# Where a platform defines no binding for a standard key (offscreen or bare X11 know no Quit or Full screen),
# the common one elsewhere is used, so the command always has a key.
_FALLBACK = {QKeySequence.StandardKey.Quit: "Ctrl+Q", QKeySequence.StandardKey.FullScreen: "Ctrl+Shift+F"}
# Keys from Qt::Key_Help up are dedicated keys (Help, New, Open, Save, Exit on some keyboards): they still
# work, but are not worth listing beside the keys everyone has.
_DEDICATED_KEYS = Qt.Key.Key_Help.value
_WIDGET_CONTEXTS = (Qt.ShortcutContext.WidgetShortcut, Qt.ShortcutContext.WidgetWithChildrenShortcut)


def plain_text(text: str) -> str:
    """An action's text without its mnemonic marks and trailing ellipsis: "Save plan &as…" → "Save plan as"."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").rstrip(".")


def _first_key(keys: QKeySequence) -> int:
    return int(keys[0].key().value)  # type: ignore[index]  # QKeySequence supports [] in PySide6


def keys_text(action: QAction) -> str:
    """The action's shortcuts as shown to people ("Ctrl+Shift+S"; several joined by " or "), without the
    dedicated keys only some keyboards have."""
    shown = [k.toString(_NATIVE) for k in action.shortcuts()
             if not k.isEmpty() and _first_key(k) < _DEDICATED_KEYS]
    return " or ".join(shown)


def make_action(parent: QObject, name: str, text: str, slot: Callable[[], object] | None = None,
                keys: Keys = None, tip: str = "") -> QAction:
    """A named action; `keys` is a standard key (preferred where one exists) or a sequence like "Ctrl+R"."""
    act = QAction(text, parent)
    act.setObjectName(name)
    if isinstance(keys, QKeySequence.StandardKey):
        act.setShortcuts(keys)
        if act.shortcut().isEmpty() and keys in _FALLBACK:
            act.setShortcut(QKeySequence(_FALLBACK[keys]))
    elif keys:
        act.setShortcut(QKeySequence(keys))
    shown = keys_text(act)
    act.setStatusTip(tip)
    act.setToolTip(f"{tip or plain_text(text)} ({shown})" if shown else tip or plain_text(text))
    if slot is not None:
        act.triggered.connect(lambda _checked=False: slot())
    return act


def all_actions(root: QWidget) -> list[QAction]:
    """Every action of a window: its children, those added to any of its widgets and menus (each once)."""
    found: dict[int, QAction] = {}
    for act in root.findChildren(QAction):
        found.setdefault(id(act), act)
    for widget in [root, *root.findChildren(QWidget)]:
        for act in widget.actions():
            found.setdefault(id(act), act)
    return list(found.values())


def _owners(action: QAction) -> list[QWidget]:
    return [o for o in action.associatedObjects() if isinstance(o, QWidget) and not isinstance(o, QMenu)]


def _window_wide(action: QAction) -> bool:
    return action.shortcutContext() not in _WIDGET_CONTEXTS


def _contains(outer: QWidget, inner: QWidget) -> bool:
    return outer is inner or outer.isAncestorOf(inner)


def _can_meet(a: QAction, b: QAction) -> bool:
    """Whether one key press could be meant for both: either is window-wide, or their widgets nest."""
    if _window_wide(a) or _window_wide(b):
        return True
    return any(_contains(x, y) or _contains(y, x) for x in _owners(a) for y in _owners(b))


def shortcut_clashes(root: QWidget) -> list[str]:
    """One line per pair of actions that share a key sequence and could both be active at once."""
    keyed = [(a, {k.toString() for k in a.shortcuts() if not k.isEmpty()}) for a in all_actions(root)]
    keyed = [(a, keys) for a, keys in keyed if keys]
    out = []
    for i, (a, keys_a) in enumerate(keyed):
        for b, keys_b in keyed[i + 1:]:
            shared = keys_a & keys_b
            if shared and _can_meet(a, b):
                out.append(f"{', '.join(sorted(shared))}: {plain_text(a.text())} ({a.objectName() or '?'}) and "
                           f"{plain_text(b.text())} ({b.objectName() or '?'})")
    return out


@dataclass(frozen=True)
class ShortcutRow:
    """One line of the shortcut list: the keys, what they do, and where (a menu, or the widget they act in)."""

    keys: str
    what: str
    where: str


def _where(action: QAction) -> str:
    menus = [o for o in action.associatedObjects() if isinstance(o, QMenu) and o.title()]
    if menus:
        return plain_text(menus[0].title())
    owners = _owners(action)
    if owners and not _window_wide(action):
        return owners[0].accessibleName() or type(owners[0]).__name__
    return "Window"


def shortcut_rows(root: QWidget) -> list[ShortcutRow]:
    """Every shortcut of a window, grouped by where it lives (menus first, in menu-bar order)."""
    order = {}
    bar = getattr(root, "menuBar", None)
    if callable(bar):
        order = {plain_text(a.text()): i for i, a in enumerate(bar().actions())}
    rows = {ShortcutRow(keys_text(a), plain_text(a.text()), _where(a))
            for a in all_actions(root) if keys_text(a) and a.text()}
    return sorted(rows, key=lambda r: (order.get(r.where, len(order)), r.where, r.what))
