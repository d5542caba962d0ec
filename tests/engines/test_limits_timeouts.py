"""A group's `limit` and `timeout` (semantics in conclab.model.plan), measured in real runs of every model.

Limits: a limited group runs in rounds, never more of its tasks at once than its limit, in task order,
and its tasks' waits are `queued`; other groups are not held back. Timeouts: asyncio cancels a task at
its deadline; threads and processes give up on it at its deadline but its running work goes on to the end
(recorded); a task no worker has taken by then never starts; sequential skips tasks whose time is up.
A stop ends a limited or timed run within 200 ms, as any other.
"""

from __future__ import annotations

import asyncio
import threading
import time
from time import perf_counter

import pytest

from conclab.engines.headless import run_plan
from conclab.engines.recorder import Recorder
from conclab.engines.runtime import Runtime
from conclab.engines.stop import StopToken
from conclab.model.plan_text import parse
from conclab.model.run import ModelRun
from conclab.model.trace import Span, State
from tests.engines.helpers import conclab_threads, live_children, work_started

# Enough process workers that a group's limit, not the pool, is what holds tasks back.
PROCESS_WORKERS = 6
TIMED_OUT = "timed out after 200ms"


def run(text: str, model: str, workers: int | None = None) -> ModelRun:
    if workers is None and model == "processes":
        workers = PROCESS_WORKERS
    return run_plan(parse(text), [model], workers).runs[0]


def work_spans(r: ModelRun, task: int) -> list[Span]:
    """A task's spans while it held its slot: its steps, not its waits before them."""
    return [s for s in r.spans if s.task == task and s.step >= 0]


def held(r: ModelRun, tasks: range) -> dict[int, tuple[float, float]]:
    """When each task that ran did its work: first step's start to last step's end."""
    out: dict[int, tuple[float, float]] = {}
    for t in tasks:
        spans = work_spans(r, t)
        if spans:
            out[t] = (min(s.t0 for s in spans), max(s.t1 for s in spans))
    return out


def most_at_once(intervals: dict[int, tuple[float, float]]) -> int:
    edges = sorted([(t0, 1) for t0, _ in intervals.values()] + [(t1, -1) for _, t1 in intervals.values()])
    now = best = 0
    for _, step in edges:  # an end sorts before a start at the same instant
        now += step
        best = max(best, now)
    return best


def outcome(r: ModelRun, name: str) -> tuple[str, str | None]:
    task = next(t for t in r.tasks if t.name == name)
    return task.state, task.error


@pytest.mark.parametrize("model", ["asyncio", "threads", "processes"])
def test_a_limit_runs_its_group_in_rounds_in_task_order(model: str) -> None:
    r = run("20x a: limit 5 sleep 100ms", model)
    assert r.metrics["tasks_done"] == 20
    assert r.metrics["wall_s"] >= 0.35, "four rounds of 100 ms"
    intervals = held(r, range(20))
    assert len(intervals) == 20
    assert most_at_once(intervals) <= 5
    # Slots go in task order: each round of five starts after the round before it has started.
    starts = [intervals[t][0] for t in range(20)]
    for k in range(3):
        assert max(starts[5 * k:5 * k + 5]) < min(starts[5 * k + 5:5 * k + 10])
    queued = {s.task for s in r.spans if s.state == State.QUEUED and s.duration > 0.05}
    assert set(range(5, 20)) <= queued, "the tasks after the first round waited, queued"


@pytest.mark.parametrize("model", ["asyncio", "threads"])
def test_a_limit_holds_back_its_own_group_only(model: str) -> None:
    r = run("10x a: limit 2 sleep 50ms; 10x b: sleep 50ms", model)
    assert r.metrics["tasks_done"] == 20
    limited, free = held(r, range(10)), held(r, range(10, 20))
    assert most_at_once(limited) <= 2
    assert most_at_once(free) == 10
    assert max(t1 for _, t1 in free.values()) < 0.2, "the unlimited group all ran at once"
    assert r.metrics["wall_s"] >= 0.22, "five rounds of 50 ms for the limited group"


def test_a_limit_changes_nothing_under_sequential() -> None:
    r = run("3x a: limit 2 sleep 50ms; b: sleep 50ms", "sequential")
    starts = {t: t0 for t, (t0, _) in held(r, range(4)).items()}
    assert sorted(starts, key=starts.__getitem__) == [0, 1, 2, 3]
    assert r.metrics["tasks_done"] == 4


PLAN = "4x slow: timeout 200ms sleep 1s; 4x quick: sleep 50ms"


def test_asyncio_cancels_tasks_at_their_deadline() -> None:
    r = run(PLAN, "asyncio")
    assert 0.18 <= r.metrics["wall_s"] < 0.5
    assert r.metrics["tasks_failed"] == 4 and r.metrics["tasks_done"] == 4
    assert r.metrics["tasks_cancelled"] == 0
    for i in range(1, 5):
        assert outcome(r, f"slow {i}") == ("failed", TIMED_OUT)
        assert outcome(r, f"quick {i}")[0] == "done"
    slow_ends = [max(s.t1 for s in work_spans(r, t)) for t in range(4)]
    assert all(0.18 <= end < 0.5 for end in slow_ends), "each slow wait stops at the deadline"


@pytest.mark.parametrize("model", ["threads", "processes"])
def test_threads_and_processes_let_running_tasks_finish(model: str) -> None:
    r = run(PLAN, model)
    assert r.metrics["wall_s"] >= 0.9
    assert r.metrics["tasks_failed"] == 4 and r.metrics["tasks_done"] == 4
    assert r.metrics["tasks_cancelled"] == 0
    for i in range(1, 5):
        assert outcome(r, f"slow {i}") == ("failed", TIMED_OUT)
    slow_ends = [max(s.t1 for s in work_spans(r, t)) for t in range(4)]
    assert all(end >= 0.9 for end in slow_ends), "the abandoned work goes on, recorded to its end"


@pytest.mark.parametrize("model", ["threads", "processes"])
def test_a_task_no_worker_took_by_its_deadline_never_starts(model: str) -> None:
    r = run("4x slow: timeout 200ms sleep 600ms", model, workers=2)
    assert r.metrics["tasks_failed"] == 4
    started = {t for t in range(4) if work_spans(r, t)}
    assert started == {0, 1}
    waits = [s for s in r.spans if s.state == State.QUEUED and s.task in (2, 3)]
    assert waits and all(s.t1 < 0.3 for s in waits), "their wait ends at the deadline"
    assert 0.5 <= r.metrics["wall_s"] < 1.0


def test_sequential_skips_tasks_whose_deadline_passed() -> None:
    r = run(PLAN, "sequential")
    assert r.metrics["tasks_failed"] == 4 and r.metrics["tasks_done"] == 4
    assert work_spans(r, 0), "the first slow task runs, and times out while it does"
    assert not any(work_spans(r, t) for t in (1, 2, 3)), "the others' time was up before their turn"
    assert 1.1 <= r.metrics["wall_s"] < 1.6


def test_asyncio_cannot_cancel_a_step_that_holds_the_loop() -> None:
    r = run("t: timeout 100ms block 300ms, sleep 300ms", "asyncio")
    assert outcome(r, "t") == ("failed", "timed out after 100ms")
    blocking = [s for s in r.spans if s.state == State.BLOCKING]
    assert blocking and blocking[0].duration > 0.28, "the blocking step ran to its end"
    assert 0.28 <= r.metrics["wall_s"] < 0.5, "the cancellation landed at the sleep after it"


def test_asyncio_abandons_an_offloaded_step_that_goes_on() -> None:
    r = run("t: timeout 100ms block 300ms in thread", "asyncio")
    assert outcome(r, "t") == ("failed", "timed out after 100ms")
    on_lane = [s for s in r.spans if s.worker == "t" and s.step == 0]
    offloaded = [s for s in r.spans if s.worker.startswith("offload thread") and s.step == 0]
    assert on_lane and max(s.t1 for s in on_lane) < 0.2, "the coroutine stopped waiting at its deadline"
    assert offloaded and max(s.t1 for s in offloaded) > 0.28, "the thread went on"


async def _stop_after(runtime: Runtime, text: str, model: str, after: float) -> tuple[float, ModelRun]:
    """Stop from another thread `after` seconds into the work; returns how long the run took to end."""
    stop = StopToken()
    recorder = Recorder()
    stopped_at: list[float] = []

    def press_stop() -> None:
        work_started(recorder)
        time.sleep(after)
        stopped_at.append(perf_counter())
        stop.set()

    presser = threading.Thread(target=press_stop)
    presser.start()
    r = await runtime.run(parse(text), model, stop=stop, recorder=recorder)
    ended = perf_counter()
    presser.join()
    return ended - stopped_at[0], r


STOP_PLANS = {
    "limited": "6x a: limit 2 sleep 10s; 2x b: limit 1 cpu 10s",
    "timed": "3x a: timeout 5s sleep 10s; 2x b: timeout 100ms limit 1 sleep 10s; c: sleep 10s",
    # Under asyncio the offloads time out first and run on, abandoned, until the stop reaches them.
    "abandoned": "2x a: timeout 100ms cpu 10s in process; b: limit 1 sleep 10s",
}


@pytest.mark.parametrize("model", ["sequential", "asyncio", "threads", "processes"])
@pytest.mark.parametrize("plan", sorted(STOP_PLANS))
def test_a_stop_ends_limited_and_timed_runs_quickly(runtime: Runtime, model: str, plan: str) -> None:
    took, r = asyncio.run(_stop_after(runtime, STOP_PLANS[plan], model, 0.3))
    assert took < 0.2 + 0.15, f"{model}/{plan}: stop took {took * 1000:.0f} ms"
    assert r.metrics["tasks_cancelled"] >= 1
    assert r.metrics["tasks_done"] == 0
    assert conclab_threads() == []
    assert live_children(exclude={runtime.server.pid}) == []
