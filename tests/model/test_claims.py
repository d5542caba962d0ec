"""Claims flip between held and not held exactly where their relation does, on fabricated metrics."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conclab.model.claims import (
    OPS,
    Claim,
    ClaimSpecError,
    Requires,
    evaluate,
    fill,
    normalize_op,
    validate,
)

MACHINE: dict[str, Any] = {"python": "3.11.7", "implementation": "CPython", "gil_enabled": True, "cpus": 2,
                           "platform": "Linux"}
NO_GIL = {**MACHINE, "gil_enabled": False}
ONE_CORE = {**MACHINE, "cpus": 1}


def metrics(**by_model: dict[str, float]) -> dict[str, dict[str, float]]:
    return dict(by_model)


@pytest.mark.parametrize(
    ("op", "left", "right", "held"),
    [
        ("<", 1.0, 2.0, True), ("<", 2.0, 2.0, False), ("<", 3.0, 2.0, False),
        ("<=", 1.0, 2.0, True), ("<=", 2.0, 2.0, True), ("<=", 2.1, 2.0, False),
        (">", 3.0, 2.0, True), (">", 2.0, 2.0, False), (">", 1.0, 2.0, False),
        (">=", 3.0, 2.0, True), (">=", 2.0, 2.0, True), (">=", 1.9, 2.0, False),
        ("≈", 2.0, 2.0, True), ("≈", 2.3, 2.0, True), ("≈", 1.7, 2.0, True),
        ("≈", 2.5, 2.0, False), ("≈", 1.5, 2.0, False),
    ],
)
def test_every_op_flips(op: str, left: float, right: float, held: bool) -> None:
    claim = Claim("{left} vs {right}", "threads.wall_s", op, right, tolerance=0.2)
    verdict = evaluate(claim, metrics(threads={"wall_s": left}), MACHINE)
    assert verdict.held is held
    assert verdict.left == left and verdict.right == right
    assert verdict.mark == ("✓" if held else "✗")


@given(st.floats(0, 1e6), st.floats(0, 1e6))
def test_strict_and_non_strict_ops_are_complements(left: float, right: float) -> None:
    m = metrics(asyncio={"wall_s": left})
    lt = evaluate(Claim("x", "asyncio.wall_s", "<", right), m, MACHINE).held
    ge = evaluate(Claim("x", "asyncio.wall_s", ">=", right), m, MACHINE).held
    gt = evaluate(Claim("x", "asyncio.wall_s", ">", right), m, MACHINE).held
    le = evaluate(Claim("x", "asyncio.wall_s", "<=", right), m, MACHINE).held
    assert lt is not ge
    assert gt is not le
    assert lt is (left < right)


def test_model_metric_right_side_with_factor() -> None:
    claim = Claim("asyncio {left:.1f} s vs sequential {right:.1f} s", "asyncio.wall_s", "<",
                  "sequential.wall_s", factor=0.8)
    fast = evaluate(claim, metrics(asyncio={"wall_s": 2.0}, sequential={"wall_s": 3.0}), MACHINE)
    assert fast.held is True
    assert fast.right == pytest.approx(2.4)
    assert fast.sentence == "asyncio 2.0 s vs sequential 2.4 s"
    slow = evaluate(claim, metrics(asyncio={"wall_s": 2.5}, sequential={"wall_s": 3.0}), MACHINE)
    assert slow.held is False


def test_sentence_fills_extra_placeholders() -> None:
    claim = Claim("threads {threads.wall_s:.2f} s, sequential {sequential.wall_s:.1f} s, ratio {left:.2f}x",
                  "threads.speedup", "<", 1.3)
    m = metrics(threads={"wall_s": 1.234, "speedup": 0.97}, sequential={"wall_s": 1.2})
    v = evaluate(claim, m, MACHINE)
    assert v.held is True
    assert v.sentence == "threads 1.23 s, sequential 1.2 s, ratio 0.97x"


def test_requires_cpus_not_applicable_with_reason() -> None:
    claim = Claim("processes {left:.2f}x", "processes.speedup", ">", 1.4, requires=Requires(min_cpus=2))
    m = metrics(processes={"speedup": 1.0})
    verdict = evaluate(claim, m, ONE_CORE)
    assert verdict.held is None and verdict.mark == "–"
    assert "1 CPU core" in verdict.sentence and "parallel" in verdict.sentence
    assert evaluate(claim, m, MACHINE).held is False


def test_gil_claims_swap_on_free_threaded_python() -> None:
    with_gil = Claim("GIL: {left:.2f}x", "threads.speedup", "<", 1.3, requires=Requires(gil=True))
    without = Claim("no GIL: {left:.2f}x", "threads.speedup", ">", 1.4, requires=Requires(gil=False))
    gil_run = metrics(threads={"speedup": 1.0})
    free_run = metrics(threads={"speedup": 1.9})
    assert evaluate(with_gil, gil_run, MACHINE).held is True
    assert evaluate(without, gil_run, MACHINE).held is None
    assert "free-threaded" in evaluate(without, gil_run, MACHINE).sentence
    assert evaluate(with_gil, free_run, NO_GIL).held is None
    assert "without the GIL" in evaluate(with_gil, free_run, NO_GIL).sentence
    assert evaluate(without, free_run, NO_GIL).held is True


def test_unmeasured_metric_is_not_checked() -> None:
    claim = Claim("{left} {right}", "threads.wall_s", "<", "sequential.wall_s")
    v = evaluate(claim, metrics(threads={"wall_s": 1.0}), MACHINE)
    assert v.held is None
    assert "sequential.wall_s" in v.sentence and "not measured" in v.sentence


def test_fill_marks_missing_numbers() -> None:
    assert fill("a {left:.1f} b {right}", {"left": 1.25, "right": None}) == "a 1.2 b ?"


@pytest.mark.parametrize(
    ("claim", "key", "words"),
    [
        (Claim("x", "threads.speed", "<", 1.0), "left", "not model.metric"),
        (Claim("x", "fibers.wall_s", "<", 1.0), "left", "not model.metric"),
        (Claim("x", "threads.wall_s", "<", "threads.wal_s"), "right", "not model.metric"),
        (Claim("x", "processes.wall_s", "<", 1.0), "left", "does not run"),
        (Claim("x", "threads.wall_s", "!=", 1.0), "op", "unknown operator"),
        (Claim("{left.__class__}", "threads.wall_s", "<", 1.0), "text", "placeholder"),
        (Claim("{left!r}", "threads.wall_s", "<", 1.0), "text", "conversions"),
        (Claim("{left:.2q}", "threads.wall_s", "<", 1.0), "text", "number format"),
        (Claim("{left", "threads.wall_s", "<", 1.0), "text", "bad template"),
        (Claim("{processes.wall_s}", "threads.wall_s", "<", 1.0), "text", "does not run"),
        (Claim("x", "threads.wall_s", "≈", 1.0, tolerance=-1), "tolerance", "negative"),
        (Claim("x", "threads.wall_s", "<", 1.0, requires=Requires(min_cpus=0)), "requires", "min_cpus"),
    ],
)
def test_validate_names_the_bad_key(claim: Claim, key: str, words: str) -> None:
    with pytest.raises(ClaimSpecError) as info:
        validate(claim, ["threads", "sequential"])
    assert info.value.key == key
    assert words in str(info.value)


def test_validate_accepts_good_claim() -> None:
    validate(Claim("{left:.2f} {sequential.wall_s:.1%}", "threads.wall_s", "≈", "sequential.wall_s"),
             ["threads", "sequential"])


def test_operator_spellings() -> None:
    assert normalize_op("~=") == "≈"
    assert normalize_op(" >= ") == ">="
    assert set(OPS) == {normalize_op(op) for op in OPS}
    with pytest.raises(ValueError, match="unknown operator"):
        normalize_op("==")
