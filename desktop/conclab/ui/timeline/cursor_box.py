"""The plots' view box: a left click or drag places the time cursor; Shift+drag, middle-drag or the time axis pan.

pyqtgraph's own view box pans on every left drag. The timeline gives the plain left button to the
cursor that "see inside" reads, so panning moves to the gestures that do not pick an instant.
"""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal


class CursorBoxItem(pg.ViewBox):  # type: ignore[misc]
    """A view box that reports the time under a plain left click or drag instead of panning."""

    cursor_dragged = Signal(float)  # seconds from the run's start

    def _is_cursor_gesture(self, ev: Any, axis: int | None) -> bool:
        return bool(axis is None and ev.button() == Qt.MouseButton.LeftButton
                    and not ev.modifiers() & Qt.KeyboardModifier.ShiftModifier)

    def _report(self, ev: Any) -> None:
        ev.accept()
        self.cursor_dragged.emit(float(self.mapSceneToView(ev.scenePos()).x()))

    def mouseClickEvent(self, ev: Any) -> None:
        if self._is_cursor_gesture(ev, None):
            self._report(ev)
            return
        super().mouseClickEvent(ev)

    def mouseDragEvent(self, ev: Any, axis: int | None = None) -> None:
        if self._is_cursor_gesture(ev, axis):
            self._report(ev)
            return
        super().mouseDragEvent(ev, axis)  # Shift+left and middle drags pan, right drags zoom
