"""Generated scripts run with this Python, take about as long as the plan says and as the app measured for
the same plan and model, and honour `limit` and `timeout` the way each model can.

These run ~60 subprocess scripts (a few minutes on two shared cores), so they live here rather than with
the pure model tests. Margins are relations, wide enough for a busy machine: a script calibrates its
own work in a few milliseconds and starts its process pool inside its clock.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from conclab.model.codegen import generate
from conclab.model.examples import load_examples_with_errors
from conclab.model.plan import Plan
from conclab.model.plan_text import parse
from conclab.model.trace import MODELS

EXAMPLES, _ = load_examples_with_errors()

PLANS: dict[str, str] = {
    "waits": "task1: sleep 300ms; task2: sleep 600ms; blocker: block 150ms",
    "work": "2x crunch: cpu 200ms; 2x digest: hash 150ms",
    "mixed": "3x fetch-1.a: net 200ms, cpu 20ms, net 100ms; "
             "off: cpu 100ms in process, block 100ms in thread, net 100ms in thread, hash 50ms in process",
    "timed": "3x def: after 100ms every 100ms sleep 100ms; 2x main: sleep 50ms",
}


def sequential_time(plan: Plan) -> float:
    """What one-after-another takes, honouring start offsets."""
    t = 0.0
    for task in plan.tasks():
        t = max(t, task.start_s) + task.duration_s
    return t


def scaled(plan: Plan, max_count: int = 12, budget_s: float = 0.6) -> Plan:
    """The same shape, fewer tasks and shorter steps, so a run takes well under a second."""
    groups = tuple(replace(g, count=min(g.count, max_count)) for g in plan.groups)
    f = min(1.0, budget_s / max(Plan(groups).serial_s, 1e-6))

    def us(v: int) -> int:
        return max(1000, round(v * f)) if v else 0

    return Plan(tuple(
        replace(g, steps=tuple(replace(s, duration_us=us(s.duration_us)) for s in g.steps),
                after_us=us(g.after_us), every_us=us(g.every_us), timeout_us=us(g.timeout_us))
        for g in groups
    ))


def run_script(source: str, folder: Path) -> tuple[float, int | None]:
    """Run a script; its wall time and, when it prints one, how many tasks timed out."""
    path = folder / "script.py"
    path.write_text(source, encoding="utf-8")
    proc = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=60, cwd=folder)
    assert proc.returncode == 0, proc.stderr
    walls = re.findall(r"^wall: ([0-9.]+)$", proc.stdout, re.MULTILINE)
    assert walls, proc.stdout
    timed_out = re.findall(r"^timed out: ([0-9]+)$", proc.stdout, re.MULTILINE)
    return float(walls[-1]), int(timed_out[-1]) if timed_out else None


def check_wall(plan: Plan, model: str, wall: float) -> None:
    expected = sequential_time(plan)
    if model == "sequential":
        # On a busy machine the script's quick calibration underestimates the work rate, so the work can
        # then run faster than planned once the neighbour is gone.
        assert 0.6 * expected <= wall <= 1.6 * expected + 0.3, (wall, expected)
    else:
        assert wall >= 0.8 * plan.critical_s, (wall, plan.critical_s)
        assert wall <= 1.6 * expected + 1.5, (wall, expected)


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("name", list(PLANS))
def test_script_runs_about_as_long_as_planned(name: str, model: str, tmp_path: Path) -> None:
    plan = parse(PLANS[name])
    check_wall(plan, model, run_script(generate(plan, model), tmp_path)[0])


@pytest.fixture(scope="module")
def app_walls() -> dict[str, dict[str, float]]:
    """What the app itself measures for every (scaled-down) example under every model."""
    from conclab.engines.headless import run_plan

    walls: dict[str, dict[str, float]] = {}
    for example in EXAMPLES:
        doc = run_plan(scaled(example.plan()), list(MODELS))
        walls[example.id] = {r.model: r.metrics["wall_s"] for r in doc.runs}
    return walls


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("index", range(len(EXAMPLES)))
def test_example_scripts_take_about_as_long_as_the_app_measured(
    index: int, model: str, tmp_path: Path, app_walls: dict[str, dict[str, float]]
) -> None:
    example = EXAMPLES[index]
    plan = scaled(example.plan())
    wall, _ = run_script(generate(plan, model), tmp_path)
    if not plan.has_timeouts:
        check_wall(plan, model, wall)
    measured = app_walls[example.id][model]
    # A script's process pool starts inside its clock (idiomatic code does not warm a pool up), the
    # app's does not; the margins cover that, a shared machine and the script's rougher calibration.
    assert 0.5 * measured - 0.05 <= wall <= 1.6 * measured + 0.3, (example.id, model, wall, measured)


def test_workers_limit_concurrency(tmp_path: Path) -> None:
    plan = parse("4x nap: sleep 200ms")
    one_at_a_time, _ = run_script(generate(plan, "asyncio", workers=1), tmp_path)
    all_at_once, _ = run_script(generate(plan, "threads", workers=4), tmp_path)
    assert one_at_a_time >= 0.7
    assert all_at_once < one_at_a_time * 0.6


@pytest.mark.parametrize("model", MODELS)
def test_a_group_limit_makes_rounds(model: str, tmp_path: Path) -> None:
    # Six waits of 0.2 s, at most two at once: three rounds (0.6 s) at best; unlimited would be 0.2 s.
    wall, _ = run_script(generate(parse("6x w: limit 2 sleep 200ms"), model, workers=6), tmp_path)
    assert wall >= 0.58, wall
    if model in ("asyncio", "threads"):
        assert wall < 1.1, wall  # fewer than the six rounds one after the other would take


@pytest.mark.parametrize(("model", "timed_out", "runs_on"), [
    ("asyncio", 3, False),  # cancelled at the deadline
    ("threads", 3, True),  # the slow threads cannot be stopped
    ("processes", 4, True),  # two workers: the quick task is still queued at the deadline
    ("sequential", 4, True),  # the first slow task runs to its end; the rest never start
])
def test_a_timeout_cancels_only_under_asyncio(model: str, timed_out: int, runs_on: bool, tmp_path: Path) -> None:
    plan = parse("3x slow: timeout 200ms sleep 1s; quick: timeout 200ms sleep 50ms")
    wall, counted = run_script(generate(plan, model, workers=2 if model == "processes" else None), tmp_path)
    assert counted == timed_out
    if runs_on:
        assert wall >= 0.95, wall
    else:
        assert wall < 0.6, wall
