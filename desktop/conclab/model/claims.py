"""Claims a lesson makes about its runs, checked against the metrics measured on this machine.

A claim compares one measured metric (`left`, written `label.metric`, where the label is a run's name in
the lesson: its `label`, or its model's name) with a number or another metric (`right`, multiplied by
`factor`) using one of a few operators; `≈` means "within `tolerance` of the right side, relatively".

A claim has two sentences. Its `text` is the human one, written in the lesson; placeholders (`{left}`,
`{right}`, `{label.metric}`, with an optional float format spec) are filled with the measured numbers.
The *check* sentence is generated from the claim itself — both sides with their names and values, the
factor, the operator (negated when it did not hold), the tolerance and the difference — so what a user
reads as checked is exactly what was checked. A text that says "about" (or "≈", "roughly", "around",
"approximately") must be a `≈` check with a tolerance of at most MAX_ABOUT_TOLERANCE: `validate` refuses
anything else. Nothing in a claim is evaluated as Python.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from conclab.model.run import METRIC_KEYS

OPS: tuple[str, ...] = ("<", "<=", ">", ">=", "≈")
OP_ALIASES: dict[str, str] = {"~=": "≈", "~": "≈", "=<": "<=", "=>": ">="}
DEFAULT_TOLERANCE = 0.2
MAX_ABOUT_TOLERANCE = 0.2
LABEL_RE = re.compile(r"[a-z][a-z0-9_-]{0,31}\Z")
ABOUT_RE = re.compile(r"\b(?:about|roughly|around|approximately)\b|≈", re.IGNORECASE)

# How a check sentence names a metric and writes its value. Metrics newer than this table (or than the
# run files read) still work: they are named by their key, and absent values make a claim "not measured".
METRICS: dict[str, tuple[str, str]] = {
    "wall_s": ("wall time", "s"), "serial_s": ("sum of the work", "s"), "critical_s": ("longest task", "s"),
    "speedup": ("speed-up", "x"), "efficiency": ("share of perfect overlap", "%"),
    "cpu_s": ("CPU time", "s"), "cores_used": ("cores used", "cores"), "ready_wait_s": ("ready wait", "s"),
    "ready_wait_mean_s": ("mean ready wait", "s"), "ready_share": ("share of time ready but waiting", "%"),
    "ready_gil_s": ("wait for the GIL", "s"), "ready_core_s": ("wait for a core", "s"),
    "ready_loop_s": ("wait for the event loop", "s"), "speedup_basis": ("speed-up basis", "s"),
    "lag_p50_ms": ("loop lag p50", "ms"), "lag_p99_ms": ("loop lag p99", "ms"),
    "lag_max_ms": ("worst loop lag", "ms"), "frozen_s": ("time frozen", "s"),
    "window_lag_p99_ms": ("window lag p99", "ms"), "ctx_switches": ("context switches", ""),
    "peak_rss_mb": ("peak memory", "MB"), "tasks_done": ("tasks done", ""),
    "tasks_failed": ("tasks failed", ""), "tasks_cancelled": ("tasks cancelled", ""),
    "startup_s": ("start-up time", "s"),
}

__all__ = ["ABOUT_RE", "DEFAULT_TOLERANCE", "LABEL_RE", "MAX_ABOUT_TOLERANCE", "OPS", "Claim",
           "ClaimSpecError", "Requires", "Verdict", "evaluate", "evaluate_all", "fill", "normalize_op",
           "split_ref", "validate"]


class ClaimSpecError(ValueError):
    """A claim that names an unknown metric, run, operator or placeholder; `key` names the field."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        super().__init__(message)


@dataclass(frozen=True)
class Requires:
    """Conditions under which a claim applies; None means "any".

    `min_cpus` and `max_cpus` are about the machine (a claim about waiting for a core needs more tasks
    than cores). `gil` is about the Python each run ran on (a run document records it
    per run): it is checked on the runs named in `on`, or, when `on` is empty, on every run the claim reads.
    """

    min_cpus: int | None = None
    max_cpus: int | None = None
    gil: bool | None = None
    on: tuple[str, ...] = ()


@dataclass(frozen=True)
class Claim:
    """One checkable statement: `left op right * factor` (≈: within `tolerance` of the right side)."""

    text: str
    left: str
    op: str
    right: float | str
    factor: float = 1.0
    tolerance: float = DEFAULT_TOLERANCE
    requires: Requires = Requires()
    hidden: bool = False

    @property
    def labels(self) -> tuple[str, ...]:
        """The runs this claim reads, in order, without repeats."""
        refs = [self.left] + ([self.right] if isinstance(self.right, str) else [])
        return tuple(dict.fromkeys(split_ref(r)[0] for r in refs))


@dataclass(frozen=True)
class Verdict:
    """The outcome of one claim: held (True/False), or None when it does not apply or was not measured.

    `left` and `right_raw` are the measured sides; `right` is `right_raw * factor`, what `left` was
    compared with. `sentence` is the claim's text with its numbers; `check` says what was checked and by
    how much it held or failed; `reason` says why a claim was not checked.
    """

    claim: Claim
    held: bool | None
    left: float | None
    right: float | None
    sentence: str
    check: str = ""
    reason: str = ""
    right_raw: float | None = None

    @property
    def mark(self) -> str:
        """✓, ✗ or – (not applicable)."""
        if self.held is None:
            return "–"
        return "✓" if self.held else "✗"

    @property
    def line(self) -> str:
        """One line for a list: the mark, the sentence, then what was checked (or why it was not)."""
        if self.held is None:
            return f"– not applicable here: {self.reason} (the claim: {self.sentence})"
        return f"{self.mark} {self.sentence} — checked: {self.check}"


def known_metrics() -> tuple[str, ...]:
    """Every metric a claim may read: the run documents' and the ones this module knows words for."""
    return tuple(dict.fromkeys((*METRIC_KEYS, *METRICS)))


def describe(label: str, metric: str) -> str:
    """A side's name in a check sentence: the run's label, then the metric in words."""
    return f"{label} {METRICS.get(metric, (metric, ''))[0]}"


def format_value(value: float, metric: str) -> str:
    """A measured value in its metric's unit, with as many digits as tell values apart."""
    unit = METRICS.get(metric, ("", ""))[1]
    if unit == "s":
        return f"{value:.2f} s" if abs(value) >= 0.1 or value == 0 else f"{value * 1e3:.1f} ms"
    if unit == "ms":
        return f"{value:.0f} ms" if abs(value) >= 10 else f"{value:.1f} ms"
    if unit == "%":
        return f"{value * 100:.0f} %"
    if unit == "x":
        return f"{value:.2f}×"
    if unit == "cores":
        return f"{value:.2f} cores"
    if unit == "MB":
        return f"{value:.0f} MB"
    return f"{value:.0f}" if float(value).is_integer() or abs(value) >= 100 else f"{value:.3g}"


def relation(left: float, right: float) -> str:
    """How far the left side is from the right, relative to the right: "75 % more", "2.4× as much"."""
    if right == 0:
        return "equal" if left == 0 else ("more" if left > 0 else "less")
    diff = (left - right) / abs(right)
    if abs(diff) < 0.0005:
        return "equal"
    if diff >= 1:
        return f"{left / right:.1f}× as much"
    pct = abs(diff) * 100
    amount = f"{pct:.1f}" if pct < 10 else f"{pct:.0f}"
    return f"{amount} % {'more' if diff > 0 else 'less'}"


def split_ref(ref: str) -> tuple[str, str]:
    """`"threads.speedup"` -> `("threads", "speedup")`; raises ValueError for anything else."""
    label, dot, metric = ref.rpartition(".")
    if not dot or not LABEL_RE.match(label) or metric not in known_metrics():
        raise ValueError(f"{ref!r} is not label.metric (a run's label or model, then one of the metrics: "
                         f"{', '.join(known_metrics())})")
    return label, metric


def normalize_op(op: str) -> str:
    """The canonical spelling of an operator; raises ValueError for an unknown one."""
    op = OP_ALIASES.get(op.strip(), op.strip())
    if op not in OPS:
        raise ValueError(f"unknown operator {op!r} (use one of {' '.join(OPS)})")
    return op


def validate(claim: Claim, labels: Iterable[str]) -> None:
    """Check names, operator, numbers, requirements and template of a claim against the lesson's run
    labels; raises ClaimSpecError naming the key."""
    allowed = set(labels)
    sides: list[tuple[str, str]] = [("left", claim.left)]
    if isinstance(claim.right, str):
        sides.append(("right", claim.right))
    for key, ref in sides:
        _check_ref(key, ref, allowed)
    if claim.op not in OPS:
        raise ClaimSpecError("op", f"unknown operator {claim.op!r} (use one of {' '.join(OPS)})")
    if claim.tolerance < 0:
        raise ClaimSpecError("tolerance", "tolerance must not be negative")
    if claim.factor <= 0:
        raise ClaimSpecError("factor", "factor must be greater than 0")
    for bound in (claim.requires.min_cpus, claim.requires.max_cpus):
        if bound is not None and bound < 1:
            raise ClaimSpecError("requires", "min_cpus and max_cpus must be at least 1")
    for label in claim.requires.on:
        if label not in allowed:
            raise ClaimSpecError("requires", f"on: {label!r} is not a run of this lesson")
    _validate_template(claim.text, allowed)
    check_about(claim)


def check_about(claim: Claim) -> None:
    """A text that says "about" must be checked by ≈ with a tolerance of at most MAX_ABOUT_TOLERANCE."""
    word = ABOUT_RE.search(claim.text)
    if word is None:
        return
    if claim.op != "≈" or claim.tolerance > MAX_ABOUT_TOLERANCE:
        raise ClaimSpecError(
            "text", f"says {word.group(0)!r} but checks {claim.op} (tolerance {claim.tolerance:g}): a claim "
            f"that says 'about' must be a ≈ check with tolerance ≤ {MAX_ABOUT_TOLERANCE:g}")


def _check_ref(key: str, ref: str, allowed: set[str]) -> None:
    try:
        label, _ = split_ref(ref)
    except ValueError as exc:
        raise ClaimSpecError(key, str(exc)) from None
    if label not in allowed:
        raise ClaimSpecError(key, f"{ref!r} reads the run {label!r}, which this lesson does not run")


def _fields(text: str) -> list[str]:
    try:
        return [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
    except ValueError as exc:
        raise ClaimSpecError("text", f"bad template: {exc}") from None


def _validate_template(text: str, labels: set[str]) -> None:
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise ClaimSpecError("text", f"bad template: {exc}") from None
    for _, field, spec, conv in parts:
        if field is None:
            continue
        if conv:
            raise ClaimSpecError("text", f"placeholder {{{field}!{conv}}}: conversions are not allowed")
        if field not in ("left", "right"):
            try:
                label, _ = split_ref(field)
            except ValueError:
                raise ClaimSpecError(
                    "text", f"placeholder {{{field}}}: use {{left}}, {{right}} or {{label.metric}}"
                ) from None
            if label not in labels:
                raise ClaimSpecError("text", f"placeholder {{{field}}} reads a run this lesson does not run")
        try:
            format(1.0, spec or "")
        except ValueError:
            raise ClaimSpecError("text", f"placeholder {{{field}:{spec}}}: bad number format") from None


def validate_template(text: str, labels: Iterable[str], key: str = "text") -> None:
    """Check a template of `{label.metric}` placeholders (as in a prediction's `measured` sentence)."""
    try:
        _validate_template(text, set(labels))
    except ClaimSpecError as exc:
        raise ClaimSpecError(key, str(exc)) from None


def template_fields(text: str) -> list[str]:
    """The placeholders of a template, in order."""
    return _fields(text)


def lookup(ref: str, metrics: Mapping[str, Mapping[str, float]]) -> float | None:
    """The measured value of `label.metric`, or None when that run or metric was not measured."""
    label, metric = split_ref(ref)
    value = metrics.get(label, {}).get(metric)
    return None if value is None else float(value)


def fill(text: str, values: Mapping[str, float | None]) -> str:
    """The template with every placeholder replaced by its number (or "?" when it was not measured)."""
    out: list[str] = []
    for literal, field, spec, _ in string.Formatter().parse(text):
        out.append(literal)
        if field is None:
            continue
        value = values.get(field)
        out.append("?" if value is None else format(value, spec or ".3g"))
    return "".join(out)


def fill_refs(text: str, metrics: Mapping[str, Mapping[str, float]]) -> str:
    """A template of `{label.metric}` placeholders filled from measured metrics."""
    return fill(text, {f: lookup(f, metrics) for f in _fields(text) if f not in ("left", "right")})


def _not_applicable(claim: Claim, machine: Mapping[str, Any], pythons: Mapping[str, Mapping[str, Any]]) -> str:
    req = claim.requires
    cpus = int(machine.get("cpus") or 1)
    if req.min_cpus is not None and cpus < req.min_cpus:
        cores = "core" if cpus == 1 else "cores"
        return (f"this machine has {cpus} CPU {cores}: work cannot run in parallel on {req.min_cpus} cores "
                "here, so this claim does not apply")
    if req.max_cpus is not None and cpus > req.max_cpus:
        return (f"this machine has {cpus} CPU cores, enough for the tasks not to wait for one, so this claim "
                "does not apply")
    if req.gil is None:
        return ""
    for label in req.on or claim.labels:
        python = pythons.get(label) or {}
        gil = bool(python.get("gil_enabled", machine.get("gil_enabled", True)))
        version = python.get("version") or machine.get("python") or ""
        on = f"Python {version}" if version else "a Python"
        if req.gil and not gil:
            return f"{label} ran on {on} without the GIL (free-threaded), so this claim about the GIL does not apply"
        if not req.gil and gil:
            return f"{label} ran on {on} with the GIL; this claim only applies to a free-threaded Python"
    return ""


def _compare(op: str, left: float, right: float, tolerance: float) -> bool:
    if op == "<":
        return left < right
    if op == "<=":
        return left <= right
    if op == ">":
        return left > right
    if op == ">=":
        return left >= right
    return abs(left - right) <= tolerance * abs(right)


def check_sentence(claim: Claim, held: bool, left: float, right_raw: float) -> str:
    """What was checked, generated from the claim: `<left> <op> <factor ×> <right> [(±tol)]: <difference>`."""
    label, metric = split_ref(claim.left)
    lhs = f"{describe(label, metric)} {format_value(left, metric)}"
    right = right_raw * claim.factor
    if isinstance(claim.right, str):
        r_label, r_metric = split_ref(claim.right)
        times = f"{claim.factor:g} × " if claim.factor != 1 else ""
        rhs = f"{times}{describe(r_label, r_metric)} {format_value(right_raw, r_metric)}"
        if claim.factor != 1:
            rhs += f" = {format_value(right, r_metric)}"
    else:
        rhs = format_value(right, metric)
    tol = f" (±{claim.tolerance * 100:g} %)" if claim.op == "≈" else ""
    op = claim.op if held else f"not {claim.op}"
    return f"{lhs} {op} {rhs}{tol}: {relation(left, right)}"


def evaluate(
    claim: Claim,
    metrics: Mapping[str, Mapping[str, float]],
    machine: Mapping[str, Any],
    pythons: Mapping[str, Mapping[str, Any]] | None = None,
) -> Verdict:
    """Check one claim against measured metrics (by run label) and the Python of each run (by label;
    a run without one is taken to have run on the machine's Python)."""
    values: dict[str, float | None] = {f: lookup(f, metrics) for f in _fields(claim.text)
                                       if f not in ("left", "right")}
    left = lookup(claim.left, metrics)
    right_raw = lookup(claim.right, metrics) if isinstance(claim.right, str) else claim.right
    right = None if right_raw is None else right_raw * claim.factor
    values["left"], values["right"] = left, right
    sentence = fill(claim.text, values)
    absent = [label for label in claim.labels if label not in metrics]
    if absent:
        reason = f"the run {absent[0]!r} is not in this run document"
    elif left is None or right_raw is None:
        reason = f"{claim.left if left is None else claim.right} was not measured in this run"
    else:
        reason = _not_applicable(claim, machine, pythons or {})
    if reason or left is None or right_raw is None or right is None:
        return Verdict(claim, None, left, right, sentence, "", reason, right_raw)
    held = _compare(claim.op, left, right, claim.tolerance)
    return Verdict(claim, held, left, right, sentence, check_sentence(claim, held, left, right_raw), "",
                   right_raw)


def evaluate_all(
    claims: Iterable[Claim],
    metrics: Mapping[str, Mapping[str, float]],
    machine: Mapping[str, Any],
    pythons: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[Verdict]:
    """Verdicts for several claims, in order."""
    return [evaluate(c, metrics, machine, pythons) for c in claims]
