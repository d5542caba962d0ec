"""The form's editing copy of a plan: groups edited one operation at a time, never left invalid.

Every operation builds the would-be plan, checks it with the model's own rules (`validate_plan`) plus
the form's two extra ones (a plan keeps a task, a task keeps a step), and only then commits it. A refused
operation raises PlanError with a message for the user and leaves the draft unchanged, so the form
always holds a valid Plan. Also here: reading and writing the form's duration fields ("200ms").
"""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from conclab.model.errors import PlanError
from conclab.model.plan import MAX_STEP_US, Group, Plan, Step
from conclab.model.plan_text import MAX_OFFSET_US, UNITS, format_duration, validate_plan

NEW_STEP = Step("sleep", 100_000)
STEP_LIMIT_US = MAX_STEP_US
OFFSET_LIMIT_US = MAX_OFFSET_US

_DURATION_RE = re.compile(r"\s*((?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))\s*(us|ms|s)\s*\Z")
_BARE_NUMBER_RE = re.compile(r"\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*\Z")
_MAX_DIGITS = 12


def parse_duration(text: str, *, allow_zero: bool, limit_us: int) -> int:
    """Read "200ms", "1.5 s", "250us" into whole µs (rounded like the text form); PlanError if bad.

    With `allow_zero`, an empty field or "0" means zero (no start offset, no spacing).
    """
    stripped = text.strip()
    if allow_zero and stripped in ("", "0"):
        return 0
    m = _DURATION_RE.match(stripped)
    bare = _BARE_NUMBER_RE.match(stripped)
    if m is None and bare is not None:
        n = bare[1]
        raise PlanError(f"'{stripped}' has no unit — a duration needs one: {n}ms, {n}s or {n}us")
    if m is None:
        raise PlanError(f"'{stripped}' is not a duration — write a number and a unit: 200ms, 1.5s, 250us")
    number, unit = m.groups()
    if len(number.split(".")[0].lstrip("0")) > _MAX_DIGITS:
        raise PlanError(f"'{stripped}' is too long — at most {format_duration(limit_us)}")
    try:
        us = int((Decimal(number) * UNITS[unit]).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    except InvalidOperation as err:
        raise PlanError(f"'{stripped}' is not a duration") from err
    if us > limit_us:
        raise PlanError(f"'{stripped}' is too long — at most {format_duration(limit_us)}")
    if us <= 0 and not (allow_zero and us == 0):
        raise PlanError(f"'{stripped}' must be more than 0 (durations are whole microseconds)")
    return us


class PlanDraft:
    """A mutable sequence of groups behind the form; each edit is checked before it is applied."""

    def __init__(self, plan: Plan) -> None:
        self._groups: list[Group] = list(plan.groups)

    def load(self, plan: Plan) -> None:
        self._groups = list(plan.groups)

    def plan(self) -> Plan:
        return Plan(tuple(self._groups))

    def group_count(self) -> int:
        return len(self._groups)

    def group(self, gi: int) -> Group:
        return self._groups[gi]

    def _commit(self, groups: list[Group]) -> None:
        if not groups:
            raise PlanError("a plan keeps at least one task")
        if any(not g.steps for g in groups):
            raise PlanError("a task keeps at least one step")
        validate_plan(Plan(tuple(groups)))
        self._groups = groups

    def _with_group(self, gi: int, group: Group) -> None:
        groups = list(self._groups)
        groups[gi] = group
        self._commit(groups)

    def replace_group(self, gi: int, group: Group) -> None:
        """Swap in an edited group (count, name, after, every or steps changed)."""
        self._with_group(gi, group)

    def replace_step(self, gi: int, si: int, step: Step) -> None:
        steps = list(self._groups[gi].steps)
        steps[si] = step
        self._with_group(gi, replace(self._groups[gi], steps=tuple(steps)))

    def add_group(self, at: int) -> int:
        """Insert a new one-step task at row `at` (clamped); returns its row."""
        at = max(0, min(at, len(self._groups)))
        groups = list(self._groups)
        groups.insert(at, Group((NEW_STEP,)))
        self._commit(groups)
        return at

    def add_step(self, gi: int, at: int) -> int:
        """Insert a step into task `gi` at position `at` (clamped), a copy of its neighbour's kind."""
        steps = list(self._groups[gi].steps)
        at = max(0, min(at, len(steps)))
        steps.insert(at, replace(steps[at - 1], offload=None) if at > 0 else NEW_STEP)
        self._with_group(gi, replace(self._groups[gi], steps=tuple(steps)))
        return at

    def remove_group(self, gi: int) -> None:
        self._commit(self._groups[:gi] + self._groups[gi + 1 :])

    def remove_step(self, gi: int, si: int) -> None:
        steps = self._groups[gi].steps
        self._with_group(gi, replace(self._groups[gi], steps=steps[:si] + steps[si + 1 :]))

    def duplicate_group(self, gi: int) -> int:
        groups = list(self._groups)
        groups.insert(gi + 1, groups[gi])
        self._commit(groups)
        return gi + 1

    def duplicate_step(self, gi: int, si: int) -> int:
        steps = list(self._groups[gi].steps)
        steps.insert(si + 1, steps[si])
        self._with_group(gi, replace(self._groups[gi], steps=tuple(steps)))
        return si + 1

    def move_group(self, gi: int, delta: int) -> int:
        """Move task `gi` by `delta` rows, stopping at either end; returns its new row."""
        to = max(0, min(gi + delta, len(self._groups) - 1))
        if to != gi:
            groups = list(self._groups)
            groups.insert(to, groups.pop(gi))
            self._commit(groups)
        return to

    def move_step(self, gi: int, si: int, delta: int) -> int:
        steps = list(self._groups[gi].steps)
        to = max(0, min(si + delta, len(steps) - 1))
        if to != si:
            steps.insert(to, steps.pop(si))
            self._with_group(gi, replace(self._groups[gi], steps=tuple(steps)))
        return to
