"""Live view: the timeline's redraw while a 10,000-task asyncio run streams in, offscreen.

A run of 10,000 tasks is replayed into a recorder and a TimelineView the way the run controller
feeds it: every frame drains the spans closed since the last frame, reads which spans in progress
changed (one per task still waiting at first), hands both to the view and moves the "now" line. Each
frame's cost is that reading plus the view's own redraw plus painting the widget into an image; the
median over the frames is compared with the target (≤ 10 ms). The older feed, which reads and
replaces every span in progress each frame, is measured alongside for comparison (no target).
"""

from __future__ import annotations

import os
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from benchmarks.common import Row, noise, report, row
from conclab.engines.recorder import Lane, Recorder
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


def _frames(app: QApplication, incremental: bool) -> list[float]:
    """Per-frame cost in ms of feeding, redrawing and painting one live view."""
    view = TimelineView()
    view.resize(1280, 720)
    view.show()
    app.processEvents()
    view.begin_live("asyncio")
    image = QImage(view.size(), QImage.Format.Format_ARGB32_Premultiplied)
    rec, lanes = _recorder()
    times: list[float] = []
    for f in range(1, FRAMES + 1):
        now = f * FRAME_S
        for t in range((f - 1) * TASKS // FRAMES, f * TASKS // FRAMES):
            lane = lanes[t]
            assert lane.open is not None
            lane.add(t, 0, "io_wait", lane.open[3], rec.origin + now - FRAME_S / 2)
            lane.open = None
        start = time.perf_counter()
        view.append_spans(rec.drain())
        if incremental:
            view.update_open_spans(rec.open_changes(now))
        else:
            view.set_open_spans(rec.open_spans(now))
        view.append_lag([(now, 0.001)])
        view.set_now(now)
        view._redraw()
        view.render(image)
        times.append((time.perf_counter() - start) * 1000)
    view.close()
    view.deleteLater()
    app.processEvents()
    return times


def run() -> list[Row]:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    times = _frames(app, incremental=True)
    full = _frames(app, incremental=False)
    return [row(f"live redraw, {TASKS:,}-task asyncio run (per frame)", statistics.median(times), TARGET_MS,
                "ms", noise(times), note=f"max {max(times):.1f} ms over {FRAMES} frames"),
            row("  same, re-reading every open span each frame", statistics.median(full), None, "ms",
                noise(full), note=f"max {max(full):.1f} ms")]


if __name__ == "__main__":
    sys.exit(report(run(), "live timeline redraw"))
