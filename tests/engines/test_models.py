"""The models behave as CPython really does: measured relations, with margins for 2 noisy cores."""

from __future__ import annotations

import os

import pytest

from conclab.engines.runtime import Runtime
from conclab.model.trace import LaneKind
from tests.engines.helpers import best_speedup, conclab_threads, live_children, run_one

MULTICORE = (os.cpu_count() or 1) >= 2


@pytest.mark.parametrize("model", ["asyncio", "threads"])
def test_sleeps_overlap_under_concurrent_models(runtime: Runtime, model: str) -> None:
    run = run_one(runtime, "3x sleep 200ms", model)
    assert run.metrics["efficiency"] > 0.85
    assert run.metrics["tasks_done"] == 3
    assert {s.state for s in run.spans} >= {"io_wait"}


def test_sequential_takes_the_serial_time(runtime: Runtime) -> None:
    run = run_one(runtime, "3x sleep 200ms", "sequential")
    m = run.metrics
    assert m["serial_s"] == pytest.approx(0.6)
    assert 0.95 * m["serial_s"] <= m["wall_s"] < 1.3 * m["serial_s"]
    starts = sorted(s.t0 for s in run.spans if s.state == "io_wait")
    assert starts[1] - starts[0] > 0.19 and starts[2] - starts[1] > 0.19


def test_threads_do_not_run_python_in_parallel(runtime: Runtime) -> None:
    run = run_one(runtime, "2x cpu 300ms", "threads")
    assert run.metrics["speedup"] < 1.3
    assert any(s.state == "ready_wait" for s in run.spans), "threads must show waiting for the GIL"
    assert run.metrics["ready_wait_s"] > 0.1


@pytest.mark.skipif(not MULTICORE, reason="processes can only run in parallel on 2+ cores")
def test_processes_run_python_in_parallel(runtime: Runtime) -> None:
    assert best_speedup(runtime, "2x cpu 300ms", "processes", 2, want=1.5) > 1.5
    run = run_one(runtime, "2x cpu 100ms", "processes", workers=2)
    assert run.metrics["startup_s"] > 0
    assert {s.worker for s in run.spans if s.state == "running"} == {"process 1", "process 2"}


def test_asyncio_cpu_step_runs_without_gaps(runtime: Runtime) -> None:
    run = run_one(runtime, "2x cpu 300ms", "asyncio")
    running = sum(s.duration for s in run.spans if s.state == "running")
    waiting = sum(s.duration for s in run.spans if s.state == "ready_wait" and s.step >= 0 and s.cause != "core")
    # One cpu step holds the loop from start to end: nothing else can take it meanwhile (a busy machine
    # can still take its core, and that is measured as a wait for a core).
    assert waiting < 0.10 * running
    assert run.metrics["speedup"] < 1.3


@pytest.mark.skipif(not MULTICORE, reason="C code can only overlap on 2+ cores")
def test_hash_releases_the_gil(runtime: Runtime) -> None:
    assert best_speedup(runtime, "2x hash 300ms", "threads", 2, want=1.4) > 1.4


def test_blocking_the_loop_freezes_it(runtime: Runtime) -> None:
    run = run_one(runtime, "3x block 200ms", "asyncio")
    assert run.metrics["speedup"] < 1.15
    assert run.metrics["lag_max_ms"] > 150
    assert run.metrics["frozen_s"] > 0.1
    assert any(s.state == "blocking" for s in run.spans)


def test_offloading_the_block_restores_overlap(runtime: Runtime) -> None:
    run = run_one(runtime, "3x block 200ms in thread", "asyncio")
    assert run.metrics["efficiency"] > 0.8
    assert run.metrics["lag_max_ms"] < 100
    assert any(s.worker.startswith("offload thread") for s in run.spans)


@pytest.mark.parametrize("model", ["asyncio", "threads", "processes"])
def test_net_round_trips_overlap(runtime: Runtime, model: str) -> None:
    run = run_one(runtime, "3x net 200ms", model, workers=3 if model != "asyncio" else None)
    assert run.metrics["tasks_done"] == 3
    assert run.metrics["efficiency"] > 0.7
    assert any(s.state == "io_wait" and s.duration > 0.15 for s in run.spans)


def test_in_process_offload_under_asyncio(runtime: Runtime) -> None:
    run = run_one(runtime, "2x cpu 200ms in process", "asyncio")
    assert run.metrics["tasks_done"] == 2
    assert any(s.worker.startswith("offload process") for s in run.spans)
    assert live_children(exclude={runtime.server.pid}) == []


def test_a_process_offload_resumed_late_waits_for_the_loop(runtime: Runtime) -> None:
    run = run_one(runtime, "p: cpu 100ms in process, sleep 10ms; hog: block 800ms", "asyncio")
    # The result is back long before the hog lets go of the loop: from then on, the task is ready.
    waits = [s for s in run.spans if s.worker == "p" and s.step == 0 and s.state == "ready_wait"]
    assert waits and waits[0].cause == "loop"
    assert waits[0].t1 > 0.75 and waits[0].duration > 0.1
    assert run.lanes["offload process 1"] == LaneKind.OFFLOAD


def test_process_workers_lanes_are_workers(runtime: Runtime) -> None:
    run = run_one(runtime, "2x sleep 10ms", "processes", workers=2)
    kinds = {name: kind for name, kind in run.lanes.items() if name.startswith("process")}
    assert kinds and set(kinds.values()) == {LaneKind.WORKER}


def test_queued_spans_when_workers_are_few(runtime: Runtime) -> None:
    run = run_one(runtime, "4x sleep 100ms", "threads", workers=2)
    queued = [s for s in run.spans if s.state == "queued"]
    assert len(queued) >= 2
    assert max(s.duration for s in queued) > 0.08
    assert run.metrics["wall_s"] > 0.19


def test_after_and_every_delay_starts(runtime: Runtime) -> None:
    run = run_one(runtime, "3x ticker: after 100ms every 100ms sleep 50ms", "asyncio")
    firsts = sorted(min(s.t0 for s in run.spans if s.task == t) for t in range(3))
    assert firsts[0] >= 0.095 and firsts[1] >= 0.195 and firsts[2] >= 0.295


def test_no_threads_left_after_runs(runtime: Runtime) -> None:
    for model in ("sequential", "threads", "asyncio"):
        run_one(runtime, "2x sleep 10ms, block 10ms in thread", model)
    assert conclab_threads() == []


def test_heartbeat_ticks_every_10ms(runtime: Runtime) -> None:
    run = run_one(runtime, "sleep 300ms", "asyncio")
    assert 15 <= len(run.lag) <= 32
    assert run.metrics["lag_p50_ms"] < 20


def test_asyncio_tasks_wait_for_their_first_turn_on_a_busy_loop(runtime: Runtime) -> None:
    run = run_one(runtime, "first: cpu 200ms; second: sleep 10ms", "asyncio")
    waits = [s for s in run.spans if s.task == 1 and s.state == "ready_wait" and s.step == -1]
    assert waits and waits[0].t0 < 0.01 and waits[0].duration > 0.15
