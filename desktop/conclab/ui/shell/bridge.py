"""The one place where engine events cross into Qt.

Engines call `post` from any thread. Events are queued and a single queued signal per burst carries
them to the GUI thread, so a run of 100,000 tasks cannot flood the event queue. Spans and progress
counts are not pushed at all: the run controller reads them from the recorder at 30 Hz.
"""

from __future__ import annotations

import threading
from collections import deque

from PySide6.QtCore import QObject, Qt, Signal, Slot

from conclab.engines.context import RunEvent


class EngineBridge(QObject):
    """Lives on the GUI thread; `events_arrived` delivers batches of RunEvents there."""

    events_arrived = Signal(list)
    _poke = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pending: deque[RunEvent] = deque()
        self._lock = threading.Lock()
        self._scheduled = False
        self._poke.connect(self._on_poke, Qt.ConnectionType.QueuedConnection)

    def post(self, event: RunEvent) -> None:
        """Thread-safe: called by engines from worker threads or the loop."""
        with self._lock:
            self._pending.append(event)
            if self._scheduled:
                return
            self._scheduled = True
        self._poke.emit()

    @Slot()
    def _on_poke(self) -> None:
        with self._lock:
            batch = list(self._pending)
            self._pending.clear()
            self._scheduled = False
        if batch:
            self.events_arrived.emit(batch)
