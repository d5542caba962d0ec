"""See inside while a run is measured: the panel follows "now" from the spans in progress, counts every task
but draws at most a dozen per box, and says the same as the recorded run says at the same instant."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
import qasync

from conclab.model.inside import InsideIndex
from conclab.model.live import LiveFrame
from conclab.model.plan import Plan
from conclab.model.plan_text import parse
from conclab.model.run import ModelRun
from conclab.model.trace import LaneKind, Span
from conclab.ui.inside.live_run import LiveRun
from conclab.ui.inside.picture import CAP, Picture, picture_of
from conclab.ui.shell.main_window import MainWindow
from tests.model.test_inside import ALL_RUNS, MakeRun
from tests.ui.test_inside_panel import _no_modal_questions, open_inside

__all__ = ["_no_modal_questions"]



def boxes(picture: Picture) -> dict[str, tuple[list[str], int]]:
    return {b.key: ([c.name for c in b.chips], b.total) for b in picture.boxes}


def as_streamed(run: ModelRun, plan: Plan) -> Plan:
    """The plan with each one-task group starting when its task's first span does.

    A live snapshot shows a task submitted but not yet seen in any span as waiting for its first turn
    (or queued); a real recording has that wait as a span, these fabricated runs leave it out."""
    first = {task.id: min(s.t0 for s in run.spans if s.task == task.id) for task in run.tasks}
    ids = [spec.id for spec in plan.tasks()]
    groups, k = [], 0
    for g in plan.groups:
        start = first.get(ids[k], 0.0) if g.count == 1 else 0.0
        groups.append(replace(g, after_us=round(start * 1e6)))
        k += g.count
    return Plan(tuple(groups))


def live_at(run: ModelRun, plan: Plan, t: float) -> LiveRun | None:
    """A LiveRun fed as the stream would have fed it up to t: closed spans, and one span open per lane.
    None when t falls in an engine's gap between two spans of a task's track (its own, or its offloaded
    work): a recorded run holds the state across it, a live frame has nothing open there."""
    side = {lane for lane, kind in run.lanes.items() if kind in (LaneKind.OFFLOAD, LaneKind.QUEUE)}
    tracks: dict[tuple[int, bool], list[Span]] = {}
    for s in run.spans:
        tracks.setdefault((s.task, s.worker in side and run.model == "asyncio"), []).append(s)
    for spans in tracks.values():
        inside_life = min(s.t0 for s in spans) <= t < max(s.t1 for s in spans)
        if inside_life and not any(s.t0 <= t < s.t1 for s in spans):
            return None
    live = LiveRun(run.model, run.model, as_streamed(run, plan), 2)
    done = sum(max(s.t1 for s in run.spans if s.task == task.id) <= t for task in run.tasks)
    live.apply(LiveFrame(0, t, done, [s for s in run.spans if s.t1 <= t],
                         [((s.worker, s.task), s) for s in run.spans if s.t0 <= t < s.t1],
                         [x for x in run.lag if x[0] <= t], dict(run.lanes)))
    return live


@pytest.mark.parametrize("make", ALL_RUNS)
def test_a_live_snapshot_says_what_the_recorded_run_says(make: MakeRun) -> None:
    run, plan = make()
    index = InsideIndex(run, plan)
    end = max(s.t1 for s in run.spans)
    compared = 0
    for k in range(1, 80):
        t = end * k / 80
        live = live_at(run, plan, t)
        if live is None:
            continue
        inside, counts = live.snapshot(CAP)
        got = boxes(picture_of(inside, "", CAP, counts))
        want = boxes(picture_of(index.at(t, 2)))
        assert got == want, t
        compared += 1
    assert compared > 40


def test_a_live_snapshot_of_thousands_counts_all_and_shows_a_few() -> None:
    plan = parse("3000x fetch: sleep 200ms; crunch: cpu 100ms")
    live = LiveRun("asyncio", "asyncio", plan, 2)
    opened: list[tuple[object, Span | None]] = [(i, Span(i, 0, f"fetch {i + 1}", "io_wait", i * 1e-5, i * 1e-5))
                                                for i in range(3000)]
    opened.append((3000, Span(3000, 0, "crunch", "running", 0.0, 0.0)))
    live.apply(LiveFrame(0, 0.05, 0, [], opened, [(0.04, 0.03)], {}))
    inside, counts = live.snapshot(CAP)
    picture = picture_of(inside, "asyncio", CAP, counts)
    timers = picture.box("timers")
    assert timers is not None and timers.total == 3000 and len(timers.chips) == CAP and timers.more == 3000 - CAP
    assert [c.name for c in timers.chips] == [f"fetch {i}" for i in range(1, CAP + 1)]  # by due time
    assert picture.names("loop") == ["crunch"] and "running crunch" in picture.summary
    assert "late by 30 ms" in picture.footer and "not started 0" in picture.footer


def test_the_panel_follows_now_while_a_run_is_measured(window: MainWindow, qloop: qasync.QEventLoop) -> None:
    dock = open_inside(window)
    window.editor.set_plan(parse("40x fetch: sleep 1500ms; crunch: cpu 300ms"))  # long: a loaded machine streams late
    window.controls.set_models(["asyncio"])
    seen: list[tuple[bool, str, Picture | None]] = []

    async def go() -> None:
        window.run_action.trigger()
        while window.controller.running:
            await asyncio.sleep(0.05)
            view = dock.panel.views[0] if dock.panel.views else None
            seen.append((dock.session.following, dock.panel.time_label.text(), view.picture() if view else None))
        await asyncio.sleep(0.1)

    qloop.run_until_complete(go())
    live = [p for following, label, p in seen if following and p is not None and "(now)" in label]
    assert len(live) >= 3, [(f, label) for f, label, _ in seen]
    waiting = [p.box("timers") for p in live]
    assert any(b is not None and b.total == 40 and len(b.chips) == CAP and b.more == 40 - CAP for b in waiting)
    assert len({p.at for p in live}) >= 3  # it moves with the run
    s = dock.session
    assert not s.following and s.sources()[0].run is not None
    assert s.t == pytest.approx(s.sources()[0].end())  # it ends where the run ended
    assert "(now)" not in dock.panel.time_label.text()


def test_live_shows_what_the_stream_has_not_recorded_yet() -> None:
    """Ready waits and queued waits are recorded when they end: "now" infers them from what is open."""
    plan = parse("nap: sleep 100ms; 3x job: cpu 100ms")
    live = LiveRun("threads", "threads", plan, 2)
    live.apply(LiveFrame(0, 0.15, 0, [], [("a", Span(0, 0, "thread 1", "io_wait", 0.0, 0.15)),
                                          ("b", Span(1, 0, "thread 2", "running", 0.0, 0.15))], [], {}))
    inside, counts = live.snapshot(CAP)
    picture = picture_of(inside, "threads", CAP, counts)
    assert picture.names("ready_either") == ["nap"]  # its timer fell due at 0.1 s: it waits to run again
    assert picture.names("cores") == ["job 1"] and picture.names("queued") == ["job 2", "job 3"]
    aio = LiveRun("asyncio", "asyncio", parse("nap: sleep 100ms; 2x job: cpu 100ms"), 2)
    aio.apply(LiveFrame(0, 0.15, 0, [], [("a", Span(0, 0, "nap", "io_wait", 0.0, 0.15)),
                                         ("b", Span(1, 0, "job 1", "running", 0.0, 0.15))], [], {}))
    inside, counts = aio.snapshot(CAP)
    picture = picture_of(inside, "asyncio", CAP, counts)
    # job 2 waits for its first turn since 0 s, nap since its timer fell due: the queue's order
    assert picture.names("ready") == ["job 2", "nap"] and picture.names("timers") == []
    assert "timer fell due" in picture.box("ready").chips[1].detail  # type: ignore[union-attr]
