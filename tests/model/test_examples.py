"""The shipped example plans: each loads, parses, has a title and description, and stays short to run."""

from __future__ import annotations

from pathlib import Path

import pytest

from conclab.model.examples import Example, load_examples, load_examples_with_errors, read_example
from conclab.model.plan_text import format_plan, parse
from conclab.model.resources import resource

SHIPPED = sorted(resource("examples").glob("*.plan"))
REQUIRED = {
    "seed-article", "web-requests", "cpu-crunch", "hashing", "blocked-loop", "blocked-loop-fixed",
    "ten-thousand-waiters", "request-handler", "staggered-arrivals", "mixed",
}


def test_every_shipped_example_loads_without_errors() -> None:
    examples, errors = load_examples_with_errors()
    assert errors == []
    assert len(examples) == len(SHIPPED) >= 10
    assert [e.id for e in examples] == [p.stem for p in SHIPPED]  # sorted by file name
    assert {e.id for e in examples} >= REQUIRED


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_example_has_a_header_and_a_plan(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# ") and " — " in first
    example = read_example(path)
    assert example.title and example.description
    assert example.title == first[2:].split(" — ")[0]
    plan = example.plan()
    assert plan == parse(path.read_text(encoding="utf-8"))
    assert parse(format_plan(plan)) == plan


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_example_runs_in_a_few_seconds(path: Path) -> None:
    plan = read_example(path).plan()
    cpu_us = [g.count * s.duration_us for g in plan.groups for s in g.steps if s.kind in ("cpu", "hash")]
    # Perfect overlap takes critical_s; CPU work cannot overlap at all under the GIL.
    assert plan.critical_s <= 3.0
    assert sum(cpu_us) / 1e6 <= 3.0
    if plan.task_count <= 100:
        assert plan.serial_s <= 3.0


def test_the_seed_article_and_the_fix_are_what_they_claim() -> None:
    by_id = {e.id: e.plan() for e in load_examples()}
    seed = by_id["seed-article"]
    assert [(g.name, g.steps[0].kind, g.steps[0].duration_us) for g in seed.groups] == [
        ("task1", "sleep", 1_000_000),
        ("task2", "sleep", 2_000_000),
    ]
    assert by_id["ten-thousand-waiters"].task_count == 10_000
    broken, fixed = by_id["blocked-loop"], by_id["blocked-loop-fixed"]
    assert "block" in broken.kinds() and not broken.offloads()
    assert fixed.offloads() == {"thread"}
    assert any(g.every_us for g in by_id["staggered-arrivals"].groups)


def test_a_broken_file_does_not_hide_the_others(tmp_path: Path) -> None:
    (tmp_path / "a-good.plan").write_text("# Good — a fine plan\nsleep 1s\n", encoding="utf-8")
    (tmp_path / "b-bad-plan.plan").write_text("# Bad — does not parse\n\nslep 1s\n", encoding="utf-8")
    (tmp_path / "c-no-header.plan").write_text("sleep 1s\n", encoding="utf-8")
    (tmp_path / "d-binary.plan").write_bytes(b"\xff\xfe\x00garbage")
    (tmp_path / "e-good.plan").write_text("# Also good — with CRLF\r\n2x w: cpu 1ms\r\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a plan", encoding="utf-8")
    examples, errors = load_examples_with_errors(tmp_path)
    assert [e.id for e in examples] == ["a-good", "e-good"]
    assert examples[0] == Example("a-good", "Good", "a fine plan", "sleep 1s")
    assert examples[1].plan().task_count == 2
    assert len(errors) == 3
    assert errors[0].startswith("b-bad-plan.plan: line 3, col 1: unknown step kind 'slep'")
    assert errors[1].startswith("c-no-header.plan: ")
    assert errors[2].startswith("d-binary.plan: cannot read it")
    assert load_examples(tmp_path) == examples


def test_a_missing_folder_is_reported_not_raised(tmp_path: Path) -> None:
    examples, errors = load_examples_with_errors(tmp_path / "nowhere")
    assert examples == [] and len(errors) == 1 and "unavailable" in errors[0]
