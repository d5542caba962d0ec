"""Guided comparisons ("lessons"): TOML files in resources/lessons, loaded and validated.

A lesson file `NN-<id>.toml` holds: `id`, `title`, `order`, `intro` (short markdown), `plan` (plan text),
`models` (list), optional `workers` (a number, or a table of model = number), optional
`switch_interval_ms` (the thread switch interval the lesson suggests, which the user may change),
an optional `[prediction]` and one or more `[[claims]]`:

    [prediction]
    question = "How long will asyncio take?"
    choices = ["About 3 s", { text = "About 2 s", when = 1 }]
    answer = 1            # optional fixed answer, used when no choice has `when`

A choice with `when = N` is judged right when claim N held in the run just measured, so the right
answer comes from the measurement, not from the file. Claims are described in `conclab.model.claims`;
a claim with `hidden = true` only decides a prediction and is not listed.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conclab.model.claims import Claim, ClaimSpecError, Requires, Verdict, normalize_op, validate
from conclab.model.errors import FormatError, PlanError
from conclab.model.plan import Plan
from conclab.model.plan_text import parse
from conclab.model.resources import resource
from conclab.model.trace import MODELS

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_TOP_KEYS = {"id", "title", "order", "intro", "plan", "models", "workers", "switch_interval_ms",
             "prediction", "claims"}
_CLAIM_KEYS = {"text", "left", "op", "right", "factor", "tolerance", "requires", "hidden"}


class LessonError(FormatError):
    """A lesson file that cannot be used; names the file and the offending key."""

    def __init__(self, path: Path, key: str, message: str) -> None:
        self.path = path
        self.key = key
        self.reason = message
        where = f"{path.name}: {key}: " if key else f"{path.name}: "
        super().__init__(where + message)


@dataclass(frozen=True)
class Choice:
    """One answer to a prediction question; `when` is the index of the claim that makes it right."""

    text: str
    when: int | None = None


@dataclass(frozen=True)
class Prediction:
    """A question asked before the run; the right answer is fixed or decided by the measurement."""

    question: str
    choices: tuple[Choice, ...]
    answer: int | None = None

    def judge(self, verdicts: Sequence[Verdict]) -> int | None:
        """The index of the right choice for these verdicts, or None when the run decided nothing."""
        measured = [i for i, c in enumerate(self.choices) if c.when is not None]
        if not measured:
            return self.answer
        for i in measured:
            when = self.choices[i].when
            if when is not None and when < len(verdicts) and verdicts[when].held is True:
                return i
        return None


@dataclass(frozen=True)
class Lesson:
    """One guided comparison: a plan, the models to run it under, a prediction and checked claims."""

    id: str
    title: str
    order: int
    intro: str
    plan_text: str
    models: tuple[str, ...]
    claims: tuple[Claim, ...]
    path: Path
    workers: int | dict[str, int] | None = None
    prediction: Prediction | None = None
    switch_interval_ms: float | None = None

    def workers_for(self, model: str) -> int | None:
        """The worker count the lesson asks for under one model (None: the model's default)."""
        if isinstance(self.workers, dict):
            return self.workers.get(model)
        return self.workers

    def batches(self) -> list[tuple[list[str], int | None]]:
        """Consecutive models that share a worker count run together, as one multi-model run."""
        out: list[tuple[list[str], int | None]] = []
        for model in self.models:
            workers = self.workers_for(model)
            if out and out[-1][1] == workers:
                out[-1][0].append(model)
            else:
                out.append(([model], workers))
        return out

    def plan(self) -> Plan:
        """The lesson's plan, parsed from its text."""
        return parse(self.plan_text)

    @property
    def shown_claims(self) -> tuple[Claim, ...]:
        """The claims to list to the user (hidden ones only decide the prediction)."""
        return tuple(c for c in self.claims if not c.hidden)


def _get(
    data: dict[str, Any], key: str, kind: type | tuple[type, ...], path: Path, where: str = "",
    default: Any = ...,
) -> Any:
    """`data[key]` checked against `kind`; `default` when absent (absent and no default: missing)."""
    name = f"{where}{key}"
    if key not in data:
        if default is ...:
            raise LessonError(path, name, "missing")
        return default
    value = data[key]
    if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise LessonError(path, name, f"expected {_kind_name(kind)}, got true/false")
    if not isinstance(value, kind):
        raise LessonError(path, name, f"expected {_kind_name(kind)}, got {type(value).__name__}")
    return value


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "text", int: "a whole number", float: "a number", list: "a list", dict: "a table",
             bool: "true or false"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _parse_requires(raw: Any, path: Path, where: str) -> Requires:
    if raw is None:
        return Requires()
    if not isinstance(raw, dict):
        raise LessonError(path, f"{where}requires", "expected a table like { min_cpus = 2, gil = true }")
    unknown = set(raw) - {"min_cpus", "gil"}
    if unknown:
        raise LessonError(path, f"{where}requires", f"unknown key {sorted(unknown)[0]!r} (min_cpus, gil)")
    min_cpus = _get(raw, "min_cpus", int, path, f"{where}requires.", None)
    gil = _get(raw, "gil", bool, path, f"{where}requires.", None)
    return Requires(min_cpus=min_cpus, gil=gil)


def _parse_claim(raw: Any, index: int, models: tuple[str, ...], path: Path) -> Claim:
    where = f"claims[{index}]."
    if not isinstance(raw, dict):
        raise LessonError(path, f"claims[{index}]", "expected a table")
    unknown = set(raw) - _CLAIM_KEYS
    if unknown:
        raise LessonError(path, where + sorted(unknown)[0], "unknown key")
    op_text = _get(raw, "op", str, path, where)
    try:
        op = normalize_op(op_text)
    except ValueError as exc:
        raise LessonError(path, where + "op", str(exc)) from None
    claim = Claim(
        text=_get(raw, "text", str, path, where),
        left=_get(raw, "left", str, path, where),
        op=op,
        right=_get(raw, "right", (int, float, str), path, where),
        factor=float(_get(raw, "factor", (int, float), path, where, 1.0)),
        tolerance=float(_get(raw, "tolerance", (int, float), path, where, 0.2)),
        requires=_parse_requires(raw.get("requires"), path, where),
        hidden=_get(raw, "hidden", bool, path, where, False),
    )
    if isinstance(claim.right, int):
        claim = Claim(claim.text, claim.left, claim.op, float(claim.right), claim.factor, claim.tolerance,
                      claim.requires, claim.hidden)
    try:
        validate(claim, models)
    except ClaimSpecError as exc:
        raise LessonError(path, where + exc.key, str(exc)) from None
    return claim


def _parse_prediction(raw: Any, n_claims: int, path: Path) -> Prediction:
    if not isinstance(raw, dict):
        raise LessonError(path, "prediction", "expected a table")
    unknown = set(raw) - {"question", "choices", "answer"}
    if unknown:
        raise LessonError(path, "prediction." + sorted(unknown)[0], "unknown key")
    question = _get(raw, "question", str, path, "prediction.")
    items = _get(raw, "choices", list, path, "prediction.")
    if len(items) < 2:
        raise LessonError(path, "prediction.choices", "give at least two choices")
    choices: list[Choice] = []
    for i, item in enumerate(items):
        key = f"prediction.choices[{i}]"
        if isinstance(item, str):
            choices.append(Choice(item))
            continue
        if not isinstance(item, dict) or set(item) - {"text", "when"}:
            raise LessonError(path, key, "expected text or a table { text = ..., when = <claim index> }")
        when = _get(item, "when", int, path, key + ".", None)
        if when is not None and not 0 <= when < n_claims:
            raise LessonError(path, key + ".when", f"no claim {when} (this lesson has {n_claims})")
        choices.append(Choice(_get(item, "text", str, path, key + "."), when))
    answer = _get(raw, "answer", int, path, "prediction.", None)
    if answer is not None and not 0 <= answer < len(choices):
        raise LessonError(path, "prediction.answer", f"no choice {answer} (there are {len(choices)})")
    if answer is None and all(c.when is None for c in choices):
        raise LessonError(path, "prediction.answer", "missing (or give a choice a `when` claim)")
    return Prediction(question, tuple(choices), answer)


def _parse_workers(raw: Any, models: tuple[str, ...], path: Path) -> int | dict[str, int] | None:
    if raw is None:
        return None
    if isinstance(raw, int) and not isinstance(raw, bool):
        if raw < 1:
            raise LessonError(path, "workers", "must be at least 1")
        return raw
    if not isinstance(raw, dict):
        raise LessonError(path, "workers", "expected a whole number or a table of model = number")
    out: dict[str, int] = {}
    for model, n in raw.items():
        if model not in models:
            raise LessonError(path, f"workers.{model}", "not one of this lesson's models")
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise LessonError(path, f"workers.{model}", "expected a whole number of at least 1")
        out[model] = n
    return out


def _check_plan(text: str, path: Path) -> None:
    try:
        parse(text)
    except PlanError as exc:
        raise LessonError(path, "plan", str(exc)) from None


def parse_lesson(data: dict[str, Any], path: Path) -> Lesson:
    """Build and validate one lesson from its TOML table; raises LessonError naming the key."""
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise LessonError(path, sorted(unknown)[0], "unknown key")
    lesson_id = _get(data, "id", str, path)
    if not _ID_RE.match(lesson_id):
        raise LessonError(path, "id", "use lowercase letters, digits and dashes")
    models_raw = _get(data, "models", list, path)
    if not models_raw:
        raise LessonError(path, "models", "give at least one model")
    for m in models_raw:
        if m not in MODELS:
            raise LessonError(path, "models", f"unknown model {m!r} (use {', '.join(MODELS)})")
    models = tuple(models_raw)
    plan = _get(data, "plan", str, path)
    _check_plan(plan, path)
    raw_claims = _get(data, "claims", list, path)
    if not raw_claims:
        raise LessonError(path, "claims", "give at least one claim")
    claims = tuple(_parse_claim(c, i, models, path) for i, c in enumerate(raw_claims))
    raw_pred = data.get("prediction")
    switch = _get(data, "switch_interval_ms", (int, float), path, default=None)
    if switch is not None and not 0.01 <= switch <= 1000:
        raise LessonError(path, "switch_interval_ms", "must be between 0.01 and 1000")
    return Lesson(
        id=lesson_id,
        title=_get(data, "title", str, path),
        order=_get(data, "order", int, path),
        intro=_get(data, "intro", str, path).strip(),
        plan_text=plan.strip(),
        models=models,
        claims=claims,
        path=path,
        workers=_parse_workers(data.get("workers"), models, path),
        prediction=None if raw_pred is None else _parse_prediction(raw_pred, len(claims), path),
        switch_interval_ms=None if switch is None else float(switch),
    )


def load_lesson(path: Path) -> Lesson:
    """Read and validate one lesson file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise LessonError(path, "", f"not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LessonError(path, "", f"cannot be read: {exc}") from None
    return parse_lesson(data, path)


def load_lessons(folder: Path | None = None) -> tuple[list[Lesson], list[LessonError]]:
    """Every lesson in a folder, sorted by order, and one error per broken file (never hiding the others)."""
    folder = resource("lessons") if folder is None else folder
    lessons: list[Lesson] = []
    errors: list[LessonError] = []
    seen: dict[str, Path] = {}
    for path in sorted(folder.glob("*.toml")):
        try:
            lesson = load_lesson(path)
        except LessonError as exc:
            errors.append(exc)
            continue
        if lesson.id in seen:
            errors.append(LessonError(path, "id", f"{lesson.id!r} is already used by {seen[lesson.id].name}"))
            continue
        seen[lesson.id] = path
        lessons.append(lesson)
    lessons.sort(key=lambda les: (les.order, les.id))
    return lessons, errors


def get_lesson(lesson_id: str, folder: Path | None = None) -> Lesson:
    """The lesson with this id; raises LessonError when there is none (or its file is broken)."""
    lessons, errors = load_lessons(folder)
    for lesson in lessons:
        if lesson.id == lesson_id:
            return lesson
    for err in errors:
        if err.path.stem.split("-", 1)[-1] == lesson_id:
            raise err
    known = ", ".join(les.id for les in lessons) or "none"
    folder = resource("lessons") if folder is None else folder
    raise LessonError(folder / f"{lesson_id}.toml", "id", f"no lesson {lesson_id!r} (known: {known})")
