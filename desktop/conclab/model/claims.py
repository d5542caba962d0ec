"""Claims a lesson makes about a run, checked against the metrics measured on this machine.

A claim compares one measured metric (`left`, written `model.metric`) with a number or another metric
(`right`, optionally multiplied by `factor`) using one of a few operators. Its text is a template whose
placeholders (`{left}`, `{right}`, `{model.metric}`, with an optional float format spec) are filled with
the measured numbers. Nothing in a claim is evaluated as Python.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from conclab.model.run import METRIC_KEYS
from conclab.model.trace import MODELS

OPS: tuple[str, ...] = ("<", "<=", ">", ">=", "≈")
OP_ALIASES: dict[str, str] = {"~=": "≈", "~": "≈", "=<": "<=", "=>": ">="}
DEFAULT_TOLERANCE = 0.2


class ClaimSpecError(ValueError):
    """A claim that names an unknown metric, model, operator or placeholder; `key` names the field."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        super().__init__(message)


@dataclass(frozen=True)
class Requires:
    """Machine conditions under which a claim applies; None means "any"."""

    min_cpus: int | None = None
    gil: bool | None = None


@dataclass(frozen=True)
class Claim:
    """One checkable statement: `left op right * factor` (≈ means within `tolerance`, relative)."""

    text: str
    left: str
    op: str
    right: float | str
    factor: float = 1.0
    tolerance: float = DEFAULT_TOLERANCE
    requires: Requires = Requires()
    hidden: bool = False


@dataclass(frozen=True)
class Verdict:
    """The outcome of one claim: held (True/False), or None when it does not apply or was not measured."""

    claim: Claim
    held: bool | None
    left: float | None
    right: float | None
    sentence: str

    @property
    def mark(self) -> str:
        """✓, ✗ or – (not applicable)."""
        if self.held is None:
            return "–"
        return "✓" if self.held else "✗"


def split_ref(ref: str) -> tuple[str, str]:
    """`"threads.speedup"` -> `("threads", "speedup")`; raises ValueError for anything else."""
    model, dot, metric = ref.partition(".")
    if not dot or model not in MODELS or metric not in METRIC_KEYS:
        raise ValueError(
            f"{ref!r} is not model.metric (models: {', '.join(MODELS)}; metrics: {', '.join(METRIC_KEYS)})"
        )
    return model, metric


def normalize_op(op: str) -> str:
    """The canonical spelling of an operator; raises ValueError for an unknown one."""
    op = OP_ALIASES.get(op.strip(), op.strip())
    if op not in OPS:
        raise ValueError(f"unknown operator {op!r} (use one of {' '.join(OPS)})")
    return op


def validate(claim: Claim, models: Iterable[str] | None = None) -> None:
    """Check names, operator, numbers and template of a claim; raises ClaimSpecError naming the key."""
    allowed = set(models) if models is not None else set(MODELS)
    sides: list[tuple[str, str]] = [("left", claim.left)]
    if isinstance(claim.right, str):
        sides.append(("right", claim.right))
    for key, ref in sides:
        try:
            model, _ = split_ref(ref)
        except ValueError as exc:
            raise ClaimSpecError(key, str(exc)) from None
        if model not in allowed:
            raise ClaimSpecError(key, f"{ref!r} reads model {model!r}, which this lesson does not run")
    if claim.op not in OPS:
        raise ClaimSpecError("op", f"unknown operator {claim.op!r} (use one of {' '.join(OPS)})")
    if claim.tolerance < 0:
        raise ClaimSpecError("tolerance", "tolerance must not be negative")
    if claim.requires.min_cpus is not None and claim.requires.min_cpus < 1:
        raise ClaimSpecError("requires", "min_cpus must be at least 1")
    _validate_template(claim.text, allowed)


def _fields(text: str) -> list[str]:
    try:
        return [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
    except ValueError as exc:
        raise ClaimSpecError("text", f"bad template: {exc}") from None


def _validate_template(text: str, models: set[str]) -> None:
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
                model, _ = split_ref(field)
            except ValueError:
                raise ClaimSpecError(
                    "text", f"placeholder {{{field}}}: use {{left}}, {{right}} or {{model.metric}}"
                ) from None
            if model not in models:
                raise ClaimSpecError(
                    "text", f"placeholder {{{field}}} reads a model this lesson does not run"
                )
        try:
            format(1.0, spec or "")
        except ValueError:
            raise ClaimSpecError("text", f"placeholder {{{field}:{spec}}}: bad number format") from None


def _lookup(ref: str, metrics: Mapping[str, Mapping[str, float]]) -> float | None:
    model, metric = split_ref(ref)
    value = metrics.get(model, {}).get(metric)
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


def _not_applicable(req: Requires, machine: Mapping[str, Any]) -> str | None:
    cpus = int(machine.get("cpus") or 1)
    if req.min_cpus is not None and cpus < req.min_cpus:
        cores = "core" if cpus == 1 else "cores"
        return (
            f"this machine has {cpus} CPU {cores}: work cannot run in parallel on "
            f"{req.min_cpus} cores here, so this claim does not apply"
        )
    gil = bool(machine.get("gil_enabled", True))
    if req.gil is True and not gil:
        return "this Python runs without the GIL (free-threaded), so this claim about the GIL does not apply"
    if req.gil is False and gil:
        return "this Python has the GIL; this claim only applies to a free-threaded Python"
    return None


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


def evaluate(
    claim: Claim, metrics_by_model: Mapping[str, Mapping[str, float]], machine: Mapping[str, Any]
) -> Verdict:
    """Check one claim against measured metrics on this machine."""
    reason = _not_applicable(claim.requires, machine)
    values: dict[str, float | None] = {}
    for field in _fields(claim.text):
        if field not in ("left", "right"):
            values[field] = _lookup(field, metrics_by_model)
    left = _lookup(claim.left, metrics_by_model)
    raw_right = _lookup(claim.right, metrics_by_model) if isinstance(claim.right, str) else claim.right
    right = None if raw_right is None else raw_right * claim.factor
    values["left"], values["right"] = left, right
    if reason is not None:
        return Verdict(claim, None, left, right, f"Not checked: {reason}.")
    if left is None or right is None:
        missing = claim.left if left is None else str(claim.right)
        return Verdict(claim, None, left, right, f"Not checked: {missing} was not measured in this run.")
    held = _compare(claim.op, left, right, claim.tolerance)
    return Verdict(claim, held, left, right, fill(claim.text, values))


def evaluate_all(
    claims: Iterable[Claim], metrics_by_model: Mapping[str, Mapping[str, float]], machine: Mapping[str, Any]
) -> list[Verdict]:
    """Verdicts for several claims, in order."""
    return [evaluate(c, metrics_by_model, machine) for c in claims]
