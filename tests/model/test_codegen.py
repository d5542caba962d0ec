"""Generated scripts compile and use each model's idiom, limits and timeouts included. Nothing is run here:
running the scripts and timing them is tests/integration/test_codegen_runs.py."""

from __future__ import annotations

import ast

import pytest

from conclab.model.codegen import generate
from conclab.model.examples import load_examples_with_errors
from conclab.model.plan import Group, Plan, Step
from conclab.model.plan_text import parse
from conclab.model.trace import MODELS

EXAMPLES, EXAMPLE_ERRORS = load_examples_with_errors()

# Small plans that together use every step kind, offload and group option, with names that need sanitizing.
PLANS: dict[str, str] = {
    "waits": "task1: sleep 300ms; task2: sleep 600ms; blocker: block 150ms",
    "work": "2x crunch: cpu 200ms; 2x digest: hash 150ms",
    "mixed": "3x fetch-1.a: net 200ms, cpu 20ms, net 100ms; "
             "off: cpu 100ms in process, block 100ms in thread, net 100ms in thread, hash 50ms in process",
    "timed": "3x def: after 100ms every 100ms sleep 100ms; 2x main: sleep 50ms",
    "limited": "6x w: limit 2 sleep 200ms; 2x c: limit 1 cpu 100ms",
    "timeouts": "3x slow: timeout 200ms sleep 1s; quick: timeout 200ms sleep 50ms",
    "both": "4x req: every 50ms limit 2 timeout 300ms net 100ms, cpu 5ms in thread; log: block 10ms",
}


def test_examples_are_there() -> None:
    assert not EXAMPLE_ERRORS
    assert EXAMPLES


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("text", [*PLANS.values(), *(e.text for e in EXAMPLES)])
def test_every_script_compiles(text: str, model: str) -> None:
    plan = parse(text)
    for workers in (None, 3):
        source = generate(plan, model, workers)
        compile(source, f"{model}.py", "exec")
        assert source.startswith('"""')
        assert 'print(f"wall: ' in source
        assert ('print(f"timed out: ' in source) is plan.has_timeouts
        if model == "processes":
            assert 'if __name__ == "__main__":' in source


def test_idioms_per_model() -> None:
    plan = parse("2x w: sleep 100ms, block 50ms, net 50ms, cpu 10ms in thread, hash 10ms in process")
    aio = generate(plan, "asyncio")
    assert "asyncio.gather" in aio and "await asyncio.sleep(0.1)" in aio
    assert "time.sleep(0.05)  # blocks the event loop" in aio
    assert "await net_async(0.05)" in aio and "asyncio.open_connection" in aio
    assert "await asyncio.to_thread(spin, 0.01)" in aio
    assert "run_in_executor(PROCESS_POOL, hash_work, 0.01)" in aio
    seq = generate(plan, "sequential")
    assert "for task in tasks:" in seq and "asyncio" not in seq and "net(0.05)" in seq
    assert "threading.Thread(target=task)" in generate(plan, "threads")
    assert "ThreadPoolExecutor(max_workers=2)" in generate(plan, "threads", workers=2)
    assert "ProcessPoolExecutor(max_workers=2" in generate(plan, "processes", workers=2)


def _functions(source: str) -> dict[str, str]:
    tree = ast.parse(source)
    return {n.name: ast.get_source_segment(source, n) or "" for n in tree.body
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}


def test_a_limit_is_a_semaphore_around_the_tasks_steps() -> None:
    plan = parse(PLANS["limited"])
    aio = generate(plan, "asyncio")
    assert "W_LIMIT = asyncio.Semaphore(2)" in aio and "C_LIMIT = asyncio.Semaphore(1)" in aio
    assert "async with W_LIMIT:" in _functions(aio)["w"]
    threads = generate(plan, "threads")
    assert "W_LIMIT = threading.BoundedSemaphore(2)" in threads and "with W_LIMIT:" in _functions(threads)["w"]
    procs = generate(plan, "processes")
    assert 'CONFIG["w_limit"] = manager.BoundedSemaphore(2)' in procs
    assert 'with CONFIG["w_limit"]:' in _functions(procs)["w"] and "initializer=configure" in procs
    seq = generate(plan, "sequential")
    assert "Semaphore" not in seq and "# limit 2: one task runs at a time here anyway" in seq


def test_a_timeout_cancels_under_asyncio_and_only_stops_the_waiting_elsewhere() -> None:
    plan = parse(PLANS["timeouts"])
    slow = _functions(generate(plan, "asyncio"))["slow"]
    assert "async with asyncio.timeout(0.2):" in slow and 'TIMED_OUT.append("slow")' in slow
    for model in ("threads", "processes"):
        source = generate(plan, model)
        assert "future.result(timeout=time_left(deadline))" in source and "future.cancel()" in source
        assert "[(slow, t0, t0 + 0.2)] * 3 + [(quick, t0, t0 + 0.2)]" in source
    assert "ThreadPoolExecutor(max_workers=4)" in generate(plan, "threads")  # futures, not bare threads
    seq = generate(plan, "sequential")
    assert "time.perf_counter() >= deadline" in seq and "continue" in seq


def test_deadlines_follow_after_and_every() -> None:
    source = generate(parse("3x s: after 1s every 100ms timeout 300ms sleep 1s"), "threads")
    assert "[(s, t0 + 1.0 + i * 0.1, t0 + 1.0 + i * 0.1 + 0.3) for i in range(3)]" in source


def test_names_become_identifiers() -> None:
    plan = Plan((Group((Step("sleep", 1000),), name="class"), Group((Step("sleep", 1000),), name="class"),
                 Group((Step("sleep", 1000),), name="main"), Group((Step("sleep", 1000),)),
                 Group((Step("sleep", 1000),), name="time_left")))
    tree = ast.parse(generate(plan, "sequential"))
    names = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    assert len(names) == len(set(names))
    assert {"task_class", "task_class_2", "task_main", "task4", "task_time_left"} <= set(names)


def test_bad_model_and_workers_rejected() -> None:
    plan = parse("sleep 1ms")
    with pytest.raises(ValueError, match="unknown model"):
        generate(plan, "fibers")
    with pytest.raises(ValueError, match="workers"):
        generate(plan, "threads", 0)
