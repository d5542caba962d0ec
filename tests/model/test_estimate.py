"""Run estimates from the plan alone: each model's rule, workers and cores, never below the critical path."""

from __future__ import annotations

import pytest

from conclab.model.estimate import LONG_RUN_S, describe_seconds, estimate_run_s, estimate_runs, total_s
from conclab.model.examples import load_examples
from conclab.model.plan_text import parse


def test_ten_thousand_waiters_one_after_another_take_hours() -> None:
    plan = parse("10000x waiter: sleep 1s")
    assert estimate_run_s(plan, "sequential", 1, 2) == pytest.approx(10_000, rel=0.01)
    assert estimate_run_s(plan, "asyncio", 1, 2) < 2
    assert 9 < estimate_run_s(plan, "threads", 1000, 2) < 12  # ten rounds of a 1,000-thread pool
    assert estimate_run_s(plan, "threads", 2, 2) == pytest.approx(5000, rel=0.01)


def test_cpu_work_does_not_overlap_under_threads_but_does_under_processes() -> None:
    plan = parse("4x cpu 300ms")
    assert estimate_run_s(plan, "threads", 4, 2) >= 1.2
    assert 0.6 <= estimate_run_s(plan, "processes", 2, 2) < 1.2
    hashing = parse("4x hash 300ms")
    assert estimate_run_s(hashing, "threads", 4, 2) == pytest.approx(0.6, rel=0.05)


def test_asyncio_serialises_whatever_holds_the_loop() -> None:
    assert estimate_run_s(parse("5x fetch: net 300ms; logger: block 1s"), "asyncio", 1, 2) >= 1.0
    assert estimate_run_s(parse("3x block 1s"), "asyncio", 1, 2) >= 3.0
    assert estimate_run_s(parse("3x block 1s in thread"), "asyncio", 1, 2) < 1.5


def test_never_below_the_critical_path_and_honours_start_offsets() -> None:
    plan = parse("3x after 1s every 1s sleep 100ms")
    for model in ("sequential", "asyncio", "threads", "processes"):
        assert estimate_run_s(plan, model, 3, 2) >= plan.critical_s


def test_every_shipped_example_under_its_models_is_quick() -> None:
    for example in load_examples():
        plan = example.plan()
        runs = [(m, m, min(plan.task_count, 1000 if m == "threads" else 2)) for m in example.models]
        assert total_s(estimate_runs(plan, runs, 2)) < LONG_RUN_S, example.id


@pytest.mark.parametrize(("seconds", "said"), [(0.42, "0.4 s"), (12.4, "12 s"), (200, "3 min 20 s"),
                                               (3000, "50 min"), (10_000, "2 h 46 min"), (7200, "2 h")])
def test_durations_are_said_as_people_say_them(seconds: float, said: str) -> None:
    assert describe_seconds(seconds) == said
