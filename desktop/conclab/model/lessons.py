"""Guided comparisons ("lessons"): TOML files in resources/lessons, loaded and validated.

A lesson file `NN-<id>.toml` holds:

- `id`, `title`, `order`;
- `question` (markdown, shown before the run: what to think about, never the answer; `intro` is accepted
  as its older name) and `explanation` (markdown, shown after the run beside the verdicts);
- `plan` (plan text);
- the runs: either `runs = [{ model = "threads", label = "threads-window", workers = 4,
  runtime = "window", python = "3.13t" }, ...]` (every key but `model` optional; `label` defaults to the
  model's name and must differ between runs; `runtime` is "lab" or "window"; `python` a version such as
  "3.12" or "3.13t"), or the short form `models = [...]` with an optional `workers` (a number, or a table
  of model = number);
- optional `switch_interval_ms` (the thread switch interval the lesson suggests; the user may change it);
- optional `needs = "free-threaded"`: the lesson's runs need such an interpreter; without one, the app
  says so and shows the run document in `saved/<id>.json` when one is shipped;
- an optional `[prediction]` and one or more `[[claims]]`:

      [prediction]
      question = "Two threads each run 0.3 s of Python. How long together?"
      choices = [{ text = "About 0.3 s: side by side", when = 2 }, { text = "No less than 0.6 s", when = 0 }]
      measured = "two threads took {threads.wall_s:.2f} s"

  The right choice is the one whose claim (`when`, an index into the claims) held in the run just
  measured; `measured` names the measured numbers when the result is told. Claims are described in
  `conclab.model.claims`; a claim with `hidden = true` only decides a prediction and is not listed.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from conclab.model.claims import (
    ABOUT_RE,
    MAX_ABOUT_TOLERANCE,
    Claim,
    ClaimSpecError,
    Requires,
    normalize_op,
    validate,
    validate_template,
)
from conclab.model.errors import PlanError
from conclab.model.lesson_spec import NEEDS, Choice, Lesson, LessonError, Prediction
from conclab.model.plan_text import parse
from conclab.model.resources import resource
from conclab.model.session_spec import RunSpec, Runtime, SessionRequest, SpecError
from conclab.model.trace import MODELS

__all__ = ["Choice", "Lesson", "LessonError", "Prediction", "get_lesson", "load_lesson", "load_lessons",
           "parse_lesson"]

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_LABEL_RE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
_PYTHON_RE = re.compile(r"^3\.\d{1,2}t?$")
_TOP_KEYS = {"id", "title", "order", "question", "intro", "explanation", "plan", "models", "workers", "runs",
             "switch_interval_ms", "needs", "prediction", "claims"}
_CLAIM_KEYS = {"text", "left", "op", "right", "factor", "tolerance", "requires", "hidden"}
_RUN_KEYS = {"model", "label", "workers", "runtime", "python"}


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
    unknown = set(raw) - {"min_cpus", "max_cpus", "gil", "on"}
    if unknown:
        raise LessonError(path, f"{where}requires",
                          f"unknown key {sorted(unknown)[0]!r} (min_cpus, max_cpus, gil, on)")
    on = _get(raw, "on", list, path, f"{where}requires.", [])
    if not all(isinstance(label, str) for label in on):
        raise LessonError(path, f"{where}requires.on", "expected a list of run labels")
    return Requires(min_cpus=_get(raw, "min_cpus", int, path, f"{where}requires.", None),
                    max_cpus=_get(raw, "max_cpus", int, path, f"{where}requires.", None),
                    gil=_get(raw, "gil", bool, path, f"{where}requires.", None), on=tuple(on))


def _parse_claim(raw: Any, index: int, labels: tuple[str, ...], path: Path) -> Claim:
    where = f"claims[{index}]."
    if not isinstance(raw, dict):
        raise LessonError(path, f"claims[{index}]", "expected a table")
    unknown = set(raw) - _CLAIM_KEYS
    if unknown:
        raise LessonError(path, where + sorted(unknown)[0], "unknown key")
    try:
        op = normalize_op(_get(raw, "op", str, path, where))
    except ValueError as exc:
        raise LessonError(path, where + "op", str(exc)) from None
    right = _get(raw, "right", (int, float, str), path, where)
    claim = Claim(
        text=_get(raw, "text", str, path, where).strip(),
        left=_get(raw, "left", str, path, where),
        op=op,
        right=right if isinstance(right, str) else float(right),
        factor=float(_get(raw, "factor", (int, float), path, where, 1.0)),
        tolerance=float(_get(raw, "tolerance", (int, float), path, where, 0.2)),
        requires=_parse_requires(raw.get("requires"), path, where),
        hidden=_get(raw, "hidden", bool, path, where, False),
    )
    try:
        validate(claim, labels)
    except ClaimSpecError as exc:
        raise LessonError(path, where + exc.key, str(exc)) from None
    return claim


def _parse_choice(item: Any, key: str, claims: tuple[Claim, ...], path: Path) -> Choice:
    if isinstance(item, str):
        return Choice(item)
    if not isinstance(item, dict) or set(item) - {"text", "when"}:
        raise LessonError(path, key, "expected text or a table { text = ..., when = <claim index> }")
    text = _get(item, "text", str, path, key + ".")
    when = _get(item, "when", int, path, key + ".", None)
    if when is not None and not 0 <= when < len(claims):
        raise LessonError(path, key + ".when", f"no claim {when} (this lesson has {len(claims)})")
    word = ABOUT_RE.search(text)
    if word and when is not None and (claims[when].op != "≈" or claims[when].tolerance > MAX_ABOUT_TOLERANCE):
        raise LessonError(path, key + ".text", f"says {word.group(0)!r} but claim {when} is not a ≈ check "
                          f"with tolerance ≤ {MAX_ABOUT_TOLERANCE:g}: say what the claim checks")
    return Choice(text, when)


def _parse_prediction(raw: Any, claims: tuple[Claim, ...], labels: tuple[str, ...], path: Path) -> Prediction:
    if not isinstance(raw, dict):
        raise LessonError(path, "prediction", "expected a table")
    if "answer" in raw:
        raise LessonError(path, "prediction.answer", "a fixed answer is not allowed: give the right choice "
                          "a `when` claim, so the measurement decides it")
    unknown = set(raw) - {"question", "choices", "measured"}
    if unknown:
        raise LessonError(path, "prediction." + sorted(unknown)[0], "unknown key")
    question = _get(raw, "question", str, path, "prediction.")
    items = _get(raw, "choices", list, path, "prediction.")
    if len(items) < 2:
        raise LessonError(path, "prediction.choices", "give at least two choices")
    choices = tuple(_parse_choice(item, f"prediction.choices[{i}]", claims, path) for i, item in enumerate(items))
    if all(c.when is None for c in choices):
        raise LessonError(path, "prediction.choices", "give the choices `when` claims: the measurement "
                          "decides which one is right")
    measured = _get(raw, "measured", str, path, "prediction.", None)
    if measured is None:
        first = next(c.when for c in choices if c.when is not None)
        measured = "{" + claims[first].left + ":.3g}"
    try:
        validate_template(measured, labels, "prediction.measured")
    except ClaimSpecError as exc:
        raise LessonError(path, exc.key, str(exc)) from None
    if "{" not in measured:
        raise LessonError(path, "prediction.measured", "name at least one measured number ({label.metric})")
    return Prediction(question.strip(), choices, measured.strip())


def _run(raw: Any, i: int, path: Path) -> RunSpec:
    key = f"runs[{i}]"
    if not isinstance(raw, dict):
        raise LessonError(path, key, "expected a table { model = ..., label = ..., workers = ... }")
    unknown = set(raw) - _RUN_KEYS
    if unknown:
        raise LessonError(path, f"{key}.{sorted(unknown)[0]}", f"unknown key ({', '.join(sorted(_RUN_KEYS))})")
    model = _get(raw, "model", str, path, key + ".")
    if model not in MODELS:
        raise LessonError(path, f"{key}.model", f"unknown model {model!r} (use {', '.join(MODELS)})")
    label = _get(raw, "label", str, path, key + ".", "")
    if label and not _LABEL_RE.match(label):
        raise LessonError(path, f"{key}.label", "use lowercase letters, digits, '-' and '_' (no dots)")
    runtime = _get(raw, "runtime", str, path, key + ".", "lab")
    if runtime not in set(Runtime):
        raise LessonError(path, f"{key}.runtime", "use \"lab\" or \"window\"")
    python = _get(raw, "python", str, path, key + ".", None)
    if python is not None and not _PYTHON_RE.match(python):
        raise LessonError(path, f"{key}.python", "give a version such as \"3.12\" or \"3.13t\"")
    return RunSpec(model, _get(raw, "workers", int, path, key + ".", None), python, Runtime(runtime), label)


def _short_form_runs(data: dict[str, Any], path: Path) -> tuple[RunSpec, ...]:
    models = _get(data, "models", list, path)
    if not models:
        raise LessonError(path, "models", "give at least one model")
    for m in models:
        if m not in MODELS:
            raise LessonError(path, "models", f"unknown model {m!r} (use {', '.join(MODELS)})")
    raw = data.get("workers")
    if isinstance(raw, dict):
        for model, n in raw.items():
            if model not in models:
                raise LessonError(path, f"workers.{model}", "not one of this lesson's models")
            if not isinstance(n, int) or isinstance(n, bool) or n < 1:
                raise LessonError(path, f"workers.{model}", "expected a whole number of at least 1")
    elif raw is not None and (not isinstance(raw, int) or isinstance(raw, bool)):
        raise LessonError(path, "workers", "expected a whole number or a table of model = number")
    elif raw is not None and raw < 1:
        raise LessonError(path, "workers", "must be at least 1")
    return tuple(RunSpec(m, raw.get(m) if isinstance(raw, dict) else raw) for m in models)


def _parse_runs(data: dict[str, Any], path: Path) -> tuple[RunSpec, ...]:
    if "runs" in data:
        for other in ("models", "workers"):
            if other in data:
                raise LessonError(path, other, "give either `runs` or `models` (with `workers`), not both")
        items = _get(data, "runs", list, path)
        if not items:
            raise LessonError(path, "runs", "give at least one run")
        runs = tuple(_run(raw, i, path) for i, raw in enumerate(items))
    else:
        runs = _short_form_runs(data, path)
    try:
        SessionRequest(data.get("plan", ""), runs).check()
    except SpecError as exc:
        raise LessonError(path, "runs" if "runs" in data else "workers", str(exc)) from None
    return runs


def _question(data: dict[str, Any], path: Path) -> str:
    if "question" in data and "intro" in data:
        raise LessonError(path, "intro", "give `question` (`intro` is its older name), not both")
    key = "question" if "question" in data or "intro" not in data else "intro"
    return str(_get(data, key, str, path)).strip()


def parse_lesson(data: dict[str, Any], path: Path) -> Lesson:
    """Build and validate one lesson from its TOML table; raises LessonError naming the key."""
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise LessonError(path, sorted(unknown)[0], "unknown key")
    lesson_id = _get(data, "id", str, path)
    if not _ID_RE.match(lesson_id):
        raise LessonError(path, "id", "use lowercase letters, digits and dashes")
    plan = _get(data, "plan", str, path)
    try:
        parse(plan)
    except PlanError as exc:
        raise LessonError(path, "plan", str(exc)) from None
    runs = _parse_runs(data, path)
    labels = tuple(r.name for r in runs)
    raw_claims = _get(data, "claims", list, path)
    if not raw_claims:
        raise LessonError(path, "claims", "give at least one claim")
    claims = tuple(_parse_claim(c, i, labels, path) for i, c in enumerate(raw_claims))
    raw_pred = data.get("prediction")
    switch = _get(data, "switch_interval_ms", (int, float), path, default=None)
    if switch is not None and not 0.01 <= switch <= 1000:
        raise LessonError(path, "switch_interval_ms", "must be between 0.01 and 1000")
    needs = _get(data, "needs", str, path, default=None)
    if needs is not None and needs not in NEEDS:
        raise LessonError(path, "needs", f"unknown need {needs!r} (use {', '.join(NEEDS)})")
    return Lesson(
        id=lesson_id, title=_get(data, "title", str, path), order=_get(data, "order", int, path),
        question=_question(data, path), explanation=_get(data, "explanation", str, path, default="").strip(),
        plan_text=plan.strip(), runs=runs, claims=claims, path=path,
        prediction=None if raw_pred is None else _parse_prediction(raw_pred, claims, labels, path),
        switch_interval_ms=None if switch is None else float(switch), needs=needs,
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
