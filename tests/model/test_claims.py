"""Claims flip between held and not held exactly where their relation does, on fabricated metrics, and
say exactly what they checked."""

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
    split_ref,
    validate,
)

MACHINE: dict[str, Any] = {"python": "3.11.7", "implementation": "CPython", "gil_enabled": True, "cpus": 2,
                           "platform": "Linux"}
NO_GIL = {**MACHINE, "gil_enabled": False}
ONE_CORE = {**MACHINE, "cpus": 1}


def metrics(**by_label: dict[str, float]) -> dict[str, dict[str, float]]:
    return dict(by_label)


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
    assert (f" not {op} " in verdict.check) is (not held)


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


def test_the_check_sentence_says_both_numbers_the_margin_and_the_tolerance() -> None:
    claim = Claim("Together they took about the sum of their work.", "threads.wall_s", "≈", "threads.serial_s")
    m = metrics(threads={"wall_s": 1.05, "serial_s": 0.6})
    v = evaluate(claim, m, MACHINE)
    assert v.held is False
    assert v.check == "threads wall time 1.05 s not ≈ threads sum of the work 0.60 s (±20 %): 75 % more"
    assert v.line == f"✗ Together they took about the sum of their work. — checked: {v.check}"


def test_the_check_sentence_shows_the_factor_and_the_product() -> None:
    claim = Claim("asyncio {left:.1f} s vs sequential {right:.1f} s", "asyncio.wall_s", "<",
                  "sequential.wall_s", factor=0.8)
    fast = evaluate(claim, metrics(asyncio={"wall_s": 2.0}, sequential={"wall_s": 3.0}), MACHINE)
    assert fast.held is True
    assert fast.right == pytest.approx(2.4) and fast.right_raw == 3.0
    assert fast.sentence == "asyncio 2.0 s vs sequential 2.4 s"
    assert fast.check == "asyncio wall time 2.00 s < 0.8 × sequential wall time 3.00 s = 2.40 s: 17 % less"
    slow = evaluate(claim, metrics(asyncio={"wall_s": 2.5}, sequential={"wall_s": 3.0}), MACHINE)
    assert slow.held is False and " not < " in slow.check


@pytest.mark.parametrize(
    ("metric", "value", "shown"),
    [("wall_s", 0.0042, "4.2 ms"), ("lag_max_ms", 612.3, "612 ms"), ("lag_p99_ms", 3.25, "3.2 ms"),
     ("efficiency", 0.913, "91 %"), ("speedup", 1.5, "1.50×"), ("peak_rss_mb", 35.6, "36 MB"),
     ("tasks_failed", 4.0, "4"), ("cores_used", 1.96, "1.96 cores")],
)
def test_values_are_written_in_their_unit(metric: str, value: float, shown: str) -> None:
    v = evaluate(Claim("x", f"threads.{metric}", ">", 0.0), metrics(threads={metric: value}), MACHINE)
    assert v.check.startswith("threads ") and f" {shown} > " in v.check


def test_sentence_fills_extra_placeholders() -> None:
    claim = Claim("threads {threads.wall_s:.2f} s, sequential {sequential.wall_s:.1f} s, ratio {left:.2f}x",
                  "threads.speedup", "<", 1.3)
    m = metrics(threads={"wall_s": 1.234, "speedup": 0.97}, sequential={"wall_s": 1.2})
    v = evaluate(claim, m, MACHINE)
    assert v.held is True
    assert v.sentence == "threads 1.23 s, sequential 1.2 s, ratio 0.97x"


def test_labels_read_runs_by_name_even_with_dashes() -> None:
    claim = Claim("{threads-ft.wall_s:.2f}", "threads-ft.wall_s", "<", "threads.wall_s", factor=0.75)
    assert claim.labels == ("threads-ft", "threads")
    assert split_ref("pool-256.peak_rss_mb") == ("pool-256", "peak_rss_mb")
    v = evaluate(claim, metrics(**{"threads-ft": {"wall_s": 0.5}, "threads": {"wall_s": 1.0}}), MACHINE)
    assert v.held is True and v.sentence == "0.50"


def test_requires_cpus_not_applicable_with_reason() -> None:
    claim = Claim("processes {left:.2f}x", "processes.speedup", ">", 1.4, requires=Requires(min_cpus=2))
    m = metrics(processes={"speedup": 1.0})
    verdict = evaluate(claim, m, ONE_CORE)
    assert verdict.held is None and verdict.mark == "–"
    assert "1 CPU core" in verdict.reason and "parallel" in verdict.reason
    assert verdict.line.startswith("– not applicable here: this machine has 1 CPU core")
    assert evaluate(claim, m, MACHINE).held is False


def test_requires_max_cpus() -> None:
    claim = Claim("x", "threads.ready_core_s", ">", 0.3, requires=Requires(max_cpus=3))
    m = metrics(threads={"ready_core_s": 1.0})
    assert evaluate(claim, m, MACHINE).held is True
    many = evaluate(claim, m, {**MACHINE, "cpus": 8})
    assert many.held is None and "8 CPU cores" in many.reason


def test_gil_claims_swap_on_free_threaded_python() -> None:
    with_gil = Claim("GIL: {left:.2f}x", "threads.speedup", "<", 1.3, requires=Requires(gil=True))
    without = Claim("no GIL: {left:.2f}x", "threads.speedup", ">", 1.4, requires=Requires(gil=False))
    gil_run = metrics(threads={"speedup": 1.0})
    free_run = metrics(threads={"speedup": 1.9})
    assert evaluate(with_gil, gil_run, MACHINE).held is True
    assert evaluate(without, gil_run, MACHINE).held is None
    assert "free-threaded" in evaluate(without, gil_run, MACHINE).reason
    assert evaluate(with_gil, free_run, NO_GIL).held is None
    assert "without the GIL" in evaluate(with_gil, free_run, NO_GIL).reason
    assert evaluate(without, free_run, NO_GIL).held is True


def test_gil_is_judged_per_run_from_each_runs_python() -> None:
    m = metrics(threads={"wall_s": 1.0}, **{"threads-ft": {"wall_s": 0.5}})
    pythons = {"threads": {"version": "3.11.7", "gil_enabled": True},
               "threads-ft": {"version": "3.13.1", "gil_enabled": False, "free_threaded": True}}
    faster = Claim("x", "threads-ft.wall_s", "<", "threads.wall_s", factor=0.75,
                   requires=Requires(gil=False, on=("threads-ft",)))
    assert evaluate(faster, m, MACHINE, pythons).held is True  # the app's own Python has the GIL
    reads_both = Claim("x", "threads-ft.wall_s", "<", "threads.wall_s", requires=Requires(gil=False))
    v = evaluate(reads_both, m, MACHINE, pythons)
    assert v.held is None and v.reason.startswith("threads ran on Python 3.11.7 with the GIL")
    gil_claim = Claim("x", "threads.wall_s", ">", 0.1, requires=Requires(gil=True))
    assert evaluate(gil_claim, m, NO_GIL, pythons).held is True  # the run's Python decides, not the machine's


def test_unmeasured_metric_and_missing_run_are_not_checked() -> None:
    claim = Claim("{left} {right}", "threads.wall_s", "<", "sequential.wall_s")
    v = evaluate(claim, metrics(threads={"wall_s": 1.0}), MACHINE)
    assert v.held is None and v.reason == "the run 'sequential' is not in this run document"
    v = evaluate(claim, metrics(threads={"wall_s": 1.0}, sequential={}), MACHINE)
    assert v.held is None and v.reason == "sequential.wall_s was not measured in this run"
    missing_first = Claim("x", "threads-ft.wall_s", "<", 1.0, requires=Requires(gil=False))
    v = evaluate(missing_first, metrics(threads={"wall_s": 1.0}), MACHINE, {"threads": {"gil_enabled": True}})
    assert v.reason == "the run 'threads-ft' is not in this run document"


def test_fill_marks_missing_numbers() -> None:
    assert fill("a {left:.1f} b {right}", {"left": 1.25, "right": None}) == "a 1.2 b ?"


@pytest.mark.parametrize(
    ("claim", "key", "words"),
    [
        (Claim("x", "threads.speed", "<", 1.0), "left", "not label.metric"),
        (Claim("x", "Threads.wall_s", "<", 1.0), "left", "not label.metric"),
        (Claim("x", "fibers.wall_s", "<", 1.0), "left", "does not run"),
        (Claim("x", "threads.wall_s", "<", "threads.wal_s"), "right", "not label.metric"),
        (Claim("x", "processes.wall_s", "<", 1.0), "left", "does not run"),
        (Claim("x", "threads.wall_s", "!=", 1.0), "op", "unknown operator"),
        (Claim("{left.__class__}", "threads.wall_s", "<", 1.0), "text", "placeholder"),
        (Claim("{left!r}", "threads.wall_s", "<", 1.0), "text", "conversions"),
        (Claim("{left:.2q}", "threads.wall_s", "<", 1.0), "text", "number format"),
        (Claim("{left", "threads.wall_s", "<", 1.0), "text", "bad template"),
        (Claim("{processes.wall_s}", "threads.wall_s", "<", 1.0), "text", "does not run"),
        (Claim("x", "threads.wall_s", "≈", 1.0, tolerance=-1), "tolerance", "negative"),
        (Claim("x", "threads.wall_s", "<", 1.0, factor=0), "factor", "greater than 0"),
        (Claim("x", "threads.wall_s", "<", 1.0, requires=Requires(min_cpus=0)), "requires", "min_cpus"),
        (Claim("x", "threads.wall_s", "<", 1.0, requires=Requires(gil=True, on=("pool",))), "requires", "pool"),
        (Claim("About the sum", "threads.wall_s", ">", "threads.serial_s"), "text", "must be a ≈ check"),
        (Claim("roughly 1 s", "threads.wall_s", "≈", 1.0, tolerance=0.3), "text", "tolerance ≤ 0.2"),
        (Claim("≈ 1 s", "threads.wall_s", "<", 1.0), "text", "says '≈'"),
    ],
)
def test_validate_names_the_bad_key(claim: Claim, key: str, words: str) -> None:
    with pytest.raises(ClaimSpecError) as info:
        validate(claim, ["threads", "sequential"])
    assert info.value.key == key
    assert words in str(info.value)


def test_validate_accepts_good_claims() -> None:
    validate(Claim("{left:.2f} {sequential.wall_s:.1%}", "threads.wall_s", "≈", "sequential.wall_s"),
             ["threads", "sequential"])
    validate(Claim("took about as long", "pool-4.wall_s", "≈", "pool-16.wall_s", tolerance=0.2),
             ["pool-4", "pool-16"])
    validate(Claim("the window lag", "threads.window_lag_p99_ms", "<", 50), ["threads"])  # newer metric


def test_operator_spellings() -> None:
    assert normalize_op("~=") == "≈"
    assert normalize_op(" >= ") == ">="
    assert set(OPS) == {normalize_op(op) for op in OPS}
    with pytest.raises(ValueError, match="unknown operator"):
        normalize_op("==")
