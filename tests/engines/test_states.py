"""States are measured, not assumed: real runs, checked by relations with generous margins.

A net task waits on the network only while the network has something to do; a task that could go on
but is not running is `ready_wait`, with the cause that was measured: the event loop under asyncio, a
core or the GIL under threads (told apart by the kernel's run-queue time), a core in a process.
The machine is shared (2 cores, neighbours): where a relation needs a quiet moment, the best of up to
three runs counts.
"""

from __future__ import annotations

import multiprocessing
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from conclab.engines import work
from conclab.engines.recorder import Recorder
from conclab.engines.runtime import Runtime
from conclab.model.examples import load_examples
from conclab.model.run import ModelRun
from conclab.model.trace import LaneKind, Span
from tests.engines.helpers import run_one

THREAD_CAUSES = {"gil", "core", "gil_or_core"}


def _spans(run: ModelRun, task: int, state: str) -> list[Span]:
    return [s for s in run.spans if s.task == task and s.state == state]


def _total(spans: list[Span]) -> float:
    return sum(s.duration for s in spans)


def ready_by_cause(run: ModelRun) -> dict[str, float]:
    """Ready-wait task-seconds inside steps (not waits for a first turn), by cause."""
    out: dict[str, float] = defaultdict(float)
    for s in run.spans:
        if s.state == "ready_wait" and s.step >= 0:
            out[s.cause] += s.duration
    return out


def share(causes: dict[str, float], cause: str) -> float:
    total = sum(causes.values())
    return causes.get(cause, 0.0) / total if total > 0 else 0.0


def best_of(tries: int, attempt: Callable[[], tuple[float, Any]], good: float) -> tuple[float, Any]:
    """The best score of up to `tries` attempts, stopping at the first that reaches `good`."""
    best: tuple[float, Any] = (float("-inf"), None)
    for _ in range(tries):
        score, detail = attempt()
        if score > best[0]:
            best = (score, detail)
        if score >= good:
            break
    return best


# ---- the network: io_wait only while the network has something to do ----------------------------------

def test_a_blocked_loop_keeps_a_connected_fetch_ready_not_waiting_on_the_network(runtime: Runtime) -> None:
    run = run_one(runtime, "fetch: net 300ms; logger: block 1s", "asyncio")
    io = _spans(run, 0, "io_wait")
    ready = [s for s in _spans(run, 0, "ready_wait") if s.step == 0]
    long_ready = max(ready, key=lambda s: s.duration)
    long_io = max(io, key=lambda s: s.duration)
    assert 0.8 < long_ready.duration < 1.5, ready  # connected at once, then the loop was blocked
    assert long_ready.cause == "loop"
    assert 0.25 < long_io.duration < 0.5, io  # the request went out after the block: then 0.3 s
    assert long_ready.t1 <= long_io.t0 + 1e-6  # ready first, then the round trip
    assert _total(io) < 0.4
    assert {s.cause for s in _spans(run, 0, "ready_wait")} == {"loop"}
    assert run.metrics["wall_s"] > 1.2  # the request could not even be sent while the loop was held


def test_the_blocked_loop_example_shows_no_network_wait_during_the_block(runtime: Runtime) -> None:
    example = next(e for e in load_examples() if e.id == "blocked-loop")
    run = run_one(runtime, example.text, "asyncio")
    fetches = [t.id for t in run.tasks if t.name.startswith("fetch")]
    assert len(fetches) == 5
    for task in fetches:
        assert _total(_spans(run, task, "io_wait")) < 0.45
        assert _total(_spans(run, task, "ready_wait")) > 0.8


def test_threads_wait_on_the_network_for_the_round_trip_only(runtime: Runtime) -> None:
    def attempt() -> tuple[float, Any]:
        run = run_one(runtime, "2x fetch: net 200ms; crunch: cpu 300ms", "threads")
        for task in (0, 1):
            assert {s.cause for s in _spans(run, task, "ready_wait")} <= THREAD_CAUSES
        io = [_total(_spans(run, task, "io_wait")) for task in (0, 1)]
        return -max(io), io

    worst, io = best_of(3, attempt, -0.3)
    assert min(io) > 0.15 and -worst < 0.35, io  # a busy server (or machine) can only make it longer


def test_asyncio_resumes_late_timers_and_offloads_as_waits_for_the_loop(runtime: Runtime) -> None:
    run = run_one(runtime, "2x nap: sleep 50ms; work: cpu 50ms in thread; stall: block 300ms", "asyncio")
    for task in (0, 1, 2):  # due or done long before the loop was free again
        ready = [s for s in _spans(run, task, "ready_wait") if s.worker == run.tasks[task].name]
        assert _total(ready) > 0.15
        assert {s.cause for s in ready} == {"loop"}
    offload = [s for s in run.spans if s.worker.startswith("offload thread")]
    assert {s.cause for s in offload if s.state == "ready_wait"} <= THREAD_CAUSES
    assert _total([s for s in offload if s.state == "running"]) > 0.03


# ---- waiting for the GIL or for a core ---------------------------------------------------------------

def test_hash_threads_on_too_few_cores_wait_for_a_core(runtime: Runtime) -> None:
    def attempt() -> tuple[float, Any]:
        causes = ready_by_cause(run_one(runtime, "4x hash 300ms", "threads"))
        return share(causes, "core"), dict(causes)

    score, causes = best_of(3, attempt, 0.7)
    assert score > 0.5, causes


def test_cpu_threads_wait_for_the_gil(runtime: Runtime) -> None:
    def attempt() -> tuple[float, Any]:
        run = run_one(runtime, "2x cpu 300ms", "threads")
        causes = ready_by_cause(run)
        return (share(causes, "gil") if sum(causes.values()) > 0.1 else 0.0), dict(causes)

    score, causes = best_of(3, attempt, 0.7)
    assert score > 0.5, causes


def _spin(started: Any, stop: Any) -> None:
    started.set()
    while not stop.is_set():
        for _ in range(10_000):
            pass


@contextmanager
def one_core_busy() -> Iterator[None]:
    """Another process keeps one core busy for as long as the block runs."""
    mp = multiprocessing.get_context("spawn")
    started, stop = mp.Event(), mp.Event()
    proc = mp.Process(target=_spin, args=(started, stop), daemon=True)
    proc.start()
    try:
        assert started.wait(30)
        yield
    finally:
        stop.set()
        proc.join(5)
        if proc.is_alive():
            proc.kill()
            proc.join(5)


def test_hash_threads_beside_a_busy_process_wait_for_a_core(runtime: Runtime) -> None:
    def attempt() -> tuple[float, Any]:
        causes = ready_by_cause(run_one(runtime, "2x hash 300ms", "threads"))
        return (share(causes, "core") if sum(causes.values()) > 0.05 else 0.0), dict(causes)

    with one_core_busy():
        score, causes = best_of(3, attempt, 0.7)
    assert score > 0.5, causes


def test_a_process_worker_only_waits_for_a_core(runtime: Runtime) -> None:
    with one_core_busy():
        run = run_one(runtime, "2x cpu 200ms", "processes", workers=2)
    assert {s.cause for s in run.spans if s.state == "ready_wait"} <= {"core"}


def test_without_run_queue_readings_a_thread_waits_for_the_gil_or_a_core(
        runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(work, "run_queue_s", lambda: None)  # as where /proc cannot be read
    run = run_one(runtime, "2x cpu 200ms", "threads")
    causes = ready_by_cause(run)
    # Never "the GIL" unmeasured; "a core" only where no other thread ran (the process CPU clock says so).
    assert "gil" not in causes
    assert share(causes, "gil_or_core") > 0.8, causes


# ---- lanes are named after the tasks -------------------------------------------------------------------

def test_asyncio_lanes_are_the_tasks_names_made_unique(runtime: Runtime) -> None:
    rec = Recorder()
    run_one(runtime, "2x fetch: sleep 10ms; 2x fetch: sleep 10ms; loop: sleep 10ms; x: sleep 5ms in thread",
            "asyncio", recorder=rec)
    kinds = rec.lane_kinds()
    tasks = [name for name, kind in kinds.items() if kind == LaneKind.TASK]
    assert tasks == ["fetch 1", "fetch 2", "fetch 1 (2)", "fetch 2 (2)", "loop (2)", "x"]
    assert kinds["offload thread 1"] == LaneKind.OFFLOAD and kinds["queue"] == LaneKind.QUEUE


def test_worker_lanes_keep_their_names_and_kind(runtime: Runtime) -> None:
    rec = Recorder()
    run_one(runtime, "2x a: sleep 10ms", "threads", recorder=rec)
    assert rec.lane_kinds() == {"thread 1": LaneKind.WORKER, "queue": LaneKind.QUEUE,
                                "thread 2": LaneKind.WORKER}
