"""See inside: the Inside panel while a 10,000-task asyncio run streams, and stepping a finished one, offscreen.

Frames are made the way the lab streams them: at first every task has a sleep in progress; each
frame, a share of the tasks wakes (its sleep closes, a short cpu step opens), and the rest go on
sleeping. Each frame the session takes the frame, the panel draws the instant (a snapshot of the spans
in progress, the boxes laid out, chips moved), and the view is painted into an image. The paint is
what the target is about (≤ 4 ms): a box shows at most a dozen chips, so it does not grow with the run.
The snapshot and layout are reported beside it, the same when the user has picked an earlier instant
while the run streams, and the cost of one step (→) through the finished run.
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
from conclab.model.live import LiveFrame
from conclab.model.run import ModelRun, RunDocument, TaskOutcome
from conclab.model.session_spec import RunSpec
from conclab.model.trace import LaneKind, Span
from conclab.ui.inside.inside_panel import InsidePanel
from conclab.ui.inside.inside_session import InsideSession

TASKS = 10_000
FRAMES = 60
FRAME_S = 1 / 30
SLEEP_S = 1.0
CPU_S = 0.0005
PAINT_TARGET_MS = 4.0
PLAN = f"{TASKS}x fetch: sleep 1s, cpu 500us"


def _frames() -> list[LiveFrame]:
    """The stream of a run whose tasks wake a few hundred per frame, then run a short cpu step."""
    lanes = {f"fetch {t + 1}": LaneKind.TASK for t in range(TASKS)}
    first = [(t, Span(t, 0, f"fetch {t + 1}", "io_wait", t * 1e-6, t * 1e-6)) for t in range(TASKS)]
    frames = [LiveFrame(0, FRAME_S, 0, [], list(first), [], lanes)]
    per = TASKS // FRAMES
    for f in range(1, FRAMES):
        now = (f + 1) * FRAME_S
        woken = range((f - 1) * per, f * per)
        closed = [Span(t, 0, f"fetch {t + 1}", "io_wait", t * 1e-6, now - FRAME_S) for t in woken]
        closed += [Span(t, 1, f"fetch {t + 1}", "running", now - FRAME_S, now - FRAME_S + CPU_S) for t in woken]
        opened = [(t, None) for t in woken]
        running = f * per
        opened.append((running, Span(running, 1, f"fetch {running + 1}", "running", now - 0.001, now)))
        frames.append(LiveFrame(0, now, len(woken) * f, closed, opened, [(now, 0.002)]))
    return frames


def _stream(app: QApplication, pick_at: int | None = None) -> tuple[list[float], list[float], float]:
    """Per frame: the panel's update (snapshot, layout, chips) and the paint of the view, in ms. With
    `pick_at`, the user picks an earlier instant at that frame (a click on the timeline) and the frames
    after it are measured: the run's index is built again as it grows, at most a tenth of the time."""
    session = InsideSession()
    panel = InsidePanel(session)
    panel.resize(480, 760)
    panel.show()
    session.begin_session(PLAN)
    session.add_live(0, RunSpec("asyncio"))
    app.processEvents()
    image: QImage | None = None
    picked_ms = 0.0
    updates: list[float] = []
    paints: list[float] = []
    for f, frame in enumerate(_frames()):
        if f == pick_at:
            t0 = time.perf_counter()
            session.seek(frame.now / 2)
            panel.refresh()
            picked_ms = (time.perf_counter() - t0) * 1e3
            updates.clear()
            paints.clear()
        t0 = time.perf_counter()
        session.apply_frame(frame)
        panel.refresh()
        t1 = time.perf_counter()
        view = panel.views[0]
        if image is None:
            image = QImage(view.viewport().size(), QImage.Format.Format_ARGB32_Premultiplied)
        view.viewport().render(image)
        t2 = time.perf_counter()
        updates.append((t1 - t0) * 1e3)
        paints.append((t2 - t1) * 1e3)
        app.processEvents()
    panel.close()
    panel.deleteLater()
    session.deleteLater()
    app.processEvents()
    return updates[1:], paints[1:], picked_ms  # the first frame builds every chip item once


def _finished_run() -> ModelRun:
    spans: list[Span] = []
    for t in range(TASKS):
        lane, wake = f"fetch {t + 1}", SLEEP_S + t * 2e-5
        spans += [Span(t, 0, lane, "io_wait", t * 1e-6, SLEEP_S), Span(t, 0, lane, "ready_wait", SLEEP_S, wake, "loop"),
                  Span(t, 1, lane, "running", wake, wake + 2e-5)]
    spans.sort(key=lambda s: s.t0)
    tasks = [TaskOutcome(t, f"fetch {t + 1}", "done") for t in range(TASKS)]
    return ModelRun("asyncio", 0, {"wall_s": 1.2}, tasks, spans, [], {f"fetch {t + 1}": LaneKind.TASK
                                                                       for t in range(TASKS)})


def _steps(app: QApplication) -> tuple[float, list[float]]:
    """The index build (once) and the cost of each → through a finished 10,000-task run, in ms."""
    session = InsideSession()
    panel = InsidePanel(session, animate=False)
    panel.resize(480, 760)
    panel.show()
    doc = RunDocument(PLAN, {"cpus": 2}, {}, [_finished_run()])
    session.set_document(doc)
    t0 = time.perf_counter()
    session.seek(SLEEP_S + 0.05)
    panel.refresh()
    build = (time.perf_counter() - t0) * 1e3
    costs = []
    for _ in range(60):
        s0 = time.perf_counter()
        session.step(+1)
        panel.refresh()
        costs.append((time.perf_counter() - s0) * 1e3)
    panel.close()
    panel.deleteLater()
    session.deleteLater()
    app.processEvents()
    return build, costs


def run() -> list[Row]:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    updates, paints, _ = _stream(app)
    picked, _, pick_ms = _stream(app, pick_at=FRAMES // 2)
    build, steps = _steps(app)
    return [
        row(f"inside panel paint, {TASKS:,}-task asyncio run streaming (per frame)", statistics.median(paints),
            PAINT_TARGET_MS, "ms", noise(paints), note=f"max {max(paints):.1f} ms over {len(paints)} frames"),
        row("  its update: snapshot of the spans in progress, layout, chips", statistics.median(updates), None,
            "ms", noise(updates), note=f"max {max(updates):.1f} ms"),
        row("  its update with an earlier instant picked while it streams", statistics.median(picked), None, "ms",
            noise(picked), note=f"the pick itself {pick_ms:.0f} ms: it indexes the run so far, and again as it "
            "grows, at most a tenth of the time"),
        row("  a step (→) through the finished run, drawn", statistics.median(steps), None, "ms", noise(steps),
            note=f"first instant {build:.0f} ms (builds the run's index)"),
    ]


if __name__ == "__main__":
    sys.exit(report(run(), "see inside"))
