"""Replay of recorded runs: a scrubber, play/pause and slow speeds driving a TimelineView.

The replay feeds the timeline's model exactly as a run in progress does, with frames: `ReplayFeed`
turns the saved runs into frames (spans begun, spans ended, lag samples reached, "now") and plays the
runs one after another, as they were measured. Seeking backwards rebuilds the timeline up to the new
time. The view scrolls the run being replayed into view, as it does a live run.
"""

from __future__ import annotations

import math
from time import perf_counter

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QHideEvent
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QSlider, QWidget

from conclab.model.errors import ConclabError
from conclab.model.run import ModelRun
from conclab.ui.timeline.replay_feed import ReplayFeed
from conclab.ui.timeline.timeline_view import TimelineView

SPEEDS: tuple[float, ...] = (0.1, 0.25, 0.5, 1.0)
FRAME_MS = 33
SLIDER_STEPS = 10_000


class ReplayPanel(QWidget):
    """Plays recorded model runs back on a TimelineView at 0.1x to 1x, with a scrubber to seek."""

    position_changed = Signal(float)
    replay_finished = Signal()

    def __init__(self, timeline: TimelineView, runs: list[ModelRun], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.timeline = timeline
        self._feed = ReplayFeed(timeline.model, [])
        self._speed = 1.0
        self._playing = False
        self._anchor_pos = 0.0
        self._anchor_wall = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(FRAME_MS)
        self.play_button = QPushButton("Play", self)
        self.play_button.setToolTip("Play or pause the replay (Space)")
        self.play_button.setShortcut(Qt.Key.Key_Space)
        self.speed_box = QComboBox(self)
        self.speed_box.addItems([f"{s:g}x" for s in SPEEDS])
        self.speed_box.setCurrentIndex(SPEEDS.index(1.0))
        self.speed_box.setToolTip("Replay speed: slower speeds show short events more clearly")
        self.scrubber = QSlider(Qt.Orientation.Horizontal, self)
        self.scrubber.setRange(0, SLIDER_STEPS)
        self.scrubber.setToolTip("Drag to move through the run")
        self.scrubber.setAccessibleName("Replay position")
        self.time_label = QLabel(self)
        self._build_layout()
        self._connect()
        self.set_runs(runs)

    def _build_layout(self) -> None:
        row = QHBoxLayout(self)
        row.setContentsMargins(4, 2, 4, 2)
        row.addWidget(self.play_button)
        row.addWidget(self.scrubber, 1)
        row.addWidget(self.time_label)
        row.addWidget(self.speed_box)
        self.setAccessibleName("Replay controls")

    def _connect(self) -> None:
        self._timer.timeout.connect(self._on_frame_due)
        self.play_button.clicked.connect(self._on_play_clicked)
        self.speed_box.currentIndexChanged.connect(self._on_speed_chosen)
        self.scrubber.valueChanged.connect(self._on_scrubbed)

    # -- public -------------------------------------------------------------------------------------
    def set_runs(self, runs: list[ModelRun]) -> None:
        """Replay these runs from the start (paused)."""
        self.pause()
        self._feed = ReplayFeed(self.timeline.model, runs)
        self.seek(0.0)

    def duration(self) -> float:
        """The length of the replay: the runs one after another, in seconds of run time."""
        return self._feed.duration

    def position(self) -> float:
        """Where the replay is, in seconds of run time (runs counted one after another)."""
        if not self._playing:
            return self._anchor_pos
        return min(self._anchor_pos + (perf_counter() - self._anchor_wall) * self._speed, self.duration())

    def speed(self) -> float:
        return self._speed

    def is_playing(self) -> bool:
        return self._playing

    def play(self) -> None:
        if not self._feed.runs:
            return
        if self.position() >= self.duration():
            self.seek(0.0)
        self._anchor_wall = perf_counter()
        self._playing = True
        self._timer.start()
        self.play_button.setText("Pause")

    def pause(self) -> None:
        self._anchor_pos = self.position()
        self._playing = False
        self._timer.stop()
        self.play_button.setText("Play")

    def set_speed(self, speed: float) -> None:
        """Play at `speed` times real time (0.25 shows a 1 s run in 4 s)."""
        if isinstance(speed, bool) or not isinstance(speed, int | float) or not math.isfinite(speed) \
                or not 0 < speed <= 100:
            raise ConclabError(f"the replay speed must be a number above 0 and at most 100, not {speed!r}")
        self._anchor_pos = self.position()
        self._anchor_wall = perf_counter()
        self._speed = float(speed)
        if float(speed) in SPEEDS:
            self.speed_box.blockSignals(True)
            self.speed_box.setCurrentIndex(SPEEDS.index(float(speed)))
            self.speed_box.blockSignals(False)

    def seek(self, t: float) -> None:
        """Jump to run time `t` (clamped to the replay); playing continues from there."""
        if isinstance(t, bool) or not isinstance(t, int | float) or math.isnan(t):
            raise ConclabError(f"the replay position must be a number of seconds, not {t!r}")
        self._anchor_pos = min(max(float(t), 0.0), self.duration())
        self._anchor_wall = perf_counter()
        self._show(self._anchor_pos)

    def finish(self) -> None:
        """Stop and leave the timeline showing every run complete."""
        self.pause()
        self.seek(self.duration())

    # -- drawing ------------------------------------------------------------------------------------
    def _show(self, pos: float) -> None:
        self._feed.show(pos)
        self._update_controls(pos)
        if self._feed.runs:
            self.position_changed.emit(pos)

    def _update_controls(self, pos: float) -> None:
        total = self.duration()
        self.scrubber.blockSignals(True)
        self.scrubber.setValue(round(SLIDER_STEPS * pos / total) if total > 0 else 0)
        self.scrubber.blockSignals(False)
        runs = self._feed.runs
        name = runs[self._feed.run_at(pos)].name if runs else ""
        self.time_label.setText(f"{name} {pos:.3f} s / {total:.3f} s".strip())

    # -- events -------------------------------------------------------------------------------------
    def _on_frame_due(self) -> None:
        pos = self.position()
        if pos >= self.duration():
            self.pause()
            self._anchor_pos = self.duration()
            self._show(self._anchor_pos)
            self.replay_finished.emit()
            return
        self._show(pos)

    def _on_play_clicked(self) -> None:
        if self._playing:
            self.pause()
        else:
            self.play()

    def _on_speed_chosen(self, index: int) -> None:
        if 0 <= index < len(SPEEDS):
            self.set_speed(SPEEDS[index])

    def _on_scrubbed(self, value: int) -> None:
        self.seek(self.duration() * value / SLIDER_STEPS)

    def hideEvent(self, event: QHideEvent) -> None:
        self.pause()
        super().hideEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.pause()
        super().closeEvent(event)
