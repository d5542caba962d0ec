"""Live view: the timeline's redraw while a 10,000-task asyncio run streams in, offscreen.

A run of 10,000 tasks is replayed into a recorder and a TimelineView the way the lab's stream feeds
it: every frame is a `LiveFrame` of the spans closed since the last frame, the spans in progress that
changed (one per task still waiting at first), a lag sample and "now", applied to the view's model.
Each frame's cost is that reading plus the model's update, the view's redraw and painting what a live
frame repaints on screen — the timeline's drawing area, not its scroll bar or frame — into an image; the
median over the frames is compared with the target (≤ 10 ms). Painting the whole widget, scroll bar
included, and a heavier feed that sends every span in progress again each frame, are measured alongside
for comparison (no targets).
"""

from __future__ import annotations

import os
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QImage, QRegion
from PySide6.QtWidgets import QApplication

from benchmarks.common import Row, noise, report, row
from conclab.engines.recorder import Lane, Recorder
from conclab.model.live import LiveFrame
from conclab.model.trace import Span
from conclab.ui.timeline.timeline_view import TimelineView

TASKS = 10_000
FRAMES = 60
FRAME_S = 1 / 30
TARGET_MS = 10.0


def _recorder() -> tuple[Recorder, list[Lane]]:
    """A recorder whose 10,000 task lanes each have a wait in progress, as right after a run starts."""
    rec = Recorder()
    rec.start()
    lanes = [rec.lane(f"task {t}") for t in range(TASKS)]
    for t, lane in enumerate(lanes):
        lane.open = (t, 0, "io_wait", rec.origin + (t % 100) * 1e-4)
    return rec, lanes


def _every_open(rec: Recorder, lanes: list[Lane], now: float) -> list[tuple[int, Span | None]]:
    """Every lane's span in progress (or None), whether it changed or not."""
    out: list[tuple[int, Span | None]] = []
    for i, lane in enumerate(lanes):
        op = lane.open
        out.append((i, None if op is None else Span(op[0], op[1], lane.name, op[2], op[3] - rec.origin, now)))
    return out


def _drawing_area(view: TimelineView) -> QRegion:
    """Where the timeline draws, in the view's coordinates: the scroll area's viewport."""
    area = view.graphics.parentWidget()
    assert area is not None
    return QRegion(QRect(area.mapTo(view, QPoint()), area.size()))


def _frames(app: QApplication, incremental: bool, whole: bool = False) -> list[float]:
    """Per-frame cost in ms of feeding, redrawing and painting one live view (its drawing area, or the
    `whole` widget)."""
    view = TimelineView()
    view.resize(1280, 720)
    view.show()
    app.processEvents()
    image = QImage(view.size(), QImage.Format.Format_ARGB32_Premultiplied)
    rec, lanes = _recorder()
    view.begin_live("asyncio", rec.lane_kinds())
    times: list[float] = []
    for f in range(1, FRAMES + 1):
        now = f * FRAME_S
        for t in range((f - 1) * TASKS // FRAMES, f * TASKS // FRAMES):
            lane = lanes[t]
            assert lane.open is not None
            lane.add(t, 0, "io_wait", lane.open[3], rec.origin + now - FRAME_S / 2)
            lane.open = None
        region = QRegion() if whole else _drawing_area(view)
        start = time.perf_counter()
        opened: list[tuple[int, Span | None]] = []
        opened += rec.open_changes(now) if incremental else _every_open(rec, lanes, now)  # (key, span) pairs
        view.apply_frame(LiveFrame(0, now, 0, rec.drain(), opened, [(now, 0.001)]))
        view.refresh()
        view.render(image, QPoint(), region)
        times.append((time.perf_counter() - start) * 1000)
    view.close()
    view.deleteLater()
    app.processEvents()
    return times


def run() -> list[Row]:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    times = _frames(app, incremental=True)
    whole = _frames(app, incremental=True, whole=True)
    full = _frames(app, incremental=False)
    return [row(f"live redraw, {TASKS:,}-task asyncio run (per frame)", statistics.median(times), TARGET_MS,
                "ms", noise(times), note=f"max {max(times):.1f} ms over {FRAMES} frames"),
            row("  same, painting the whole widget, scroll bar too", statistics.median(whole), None, "ms",
                noise(whole), note=f"max {max(whole):.1f} ms"),
            row("  same, every span in progress sent again each frame", statistics.median(full), None, "ms",
                noise(full), note=f"max {max(full):.1f} ms")]


if __name__ == "__main__":
    sys.exit(report(run(), "live timeline redraw"))
