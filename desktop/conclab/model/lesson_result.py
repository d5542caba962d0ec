"""A lesson's result: its claims checked against a run document, its prediction judged by the measurement,
as sentences and as JSON, and what the user's progress becomes.

This is the only place verdicts are computed: the command line (`conclab lesson ID`, `--json`) and the
lesson page in the window both call `lesson_result`.

    result = lesson_result(lesson, doc, chosen=1)
    result.lines()          # ["✓ <sentence> — checked: <what was checked>", ...] (hidden claims left out)
    result.prediction       # PredictionResult: right choice, measured numbers, a sentence
    result.status           # "Done: 3 of 3 applicable claims held on this machine."
    result.failed           # True when a shown, applicable claim did not hold (the command's exit 1)
    result.to_json()        # the "lesson" value of `conclab lesson ID --json OUT`
    document_with_lesson(doc_json, result)   # a run document's JSON with that "lesson" key added

Progress is kept per lesson id as `{"done": bool, "prediction": "right"|"wrong"|"skipped"|"undecided"|"",
"right": n, "runs": n}`; `progress_after` folds one result into it and `read_progress` reads stored JSON
defensively (anything malformed counts as no progress).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from conclab.model.claims import Verdict, evaluate_all, fill_refs
from conclab.model.lesson_spec import Lesson
from conclab.model.run import RunDocument

OUTCOMES = ("right", "wrong", "skipped", "undecided")


@dataclass(frozen=True)
class PredictionResult:
    """The prediction judged by what was measured. `right` is the index of the choice the measurement picked
    (None: it decided nothing); `measured` is the prediction's measured sentence with its numbers."""

    question: str
    choices: tuple[str, ...]
    chosen: int | None
    right: int | None
    measured: str
    why_undecided: str = ""

    @property
    def outcome(self) -> str:
        """"right", "wrong", "skipped" (no choice made) or "undecided" (the run decided nothing)."""
        if self.right is None:
            return "undecided"
        if self.chosen is None:
            return "skipped"
        return "right" if self.chosen == self.right else "wrong"

    @property
    def measured_answer(self) -> str | None:
        """The text of the choice the measurement picked."""
        return None if self.right is None else self.choices[self.right]

    @property
    def sentence(self) -> str:
        """The result in one sentence that names the measured numbers, e.g. “✗ You said “About 0.6 s”;
        measured: two threads took 1.21 s — so: “No less than 1.2 s: they take turns”.”"""
        said = "" if self.chosen is None else f"You said “{self.choices[self.chosen]}”; measured: "
        measured = f"Measured: {self.measured}" if not said else self.measured
        if self.right is None:
            return f"{said}{measured}. This run does not decide the prediction: {self.why_undecided}."
        mark = {"right": "✓ ", "wrong": "✗ "}.get(self.outcome, "You skipped the prediction. ")
        return f"{mark}{said}{measured} — so: “{self.choices[self.right]}”."


@dataclass(frozen=True)
class LessonResult:
    """Every claim's verdict (hidden ones too, in the lesson's order), the judged prediction and whether
    every run of the lesson finished (a stopped or partial run judges no prediction)."""

    lesson: Lesson
    verdicts: tuple[Verdict, ...]
    prediction: PredictionResult | None
    complete: bool
    missing: tuple[str, ...] = ()

    @property
    def shown(self) -> tuple[Verdict, ...]:
        """The verdicts of the claims a user sees (hidden claims only decide the prediction)."""
        return tuple(v for v in self.verdicts if not v.claim.hidden)

    @property
    def held_count(self) -> int:
        return sum(1 for v in self.shown if v.held is True)

    @property
    def applicable_count(self) -> int:
        return sum(1 for v in self.shown if v.held is not None)

    @property
    def failed(self) -> bool:
        """True when a claim the user sees was checked and did not hold."""
        return any(v.held is False for v in self.shown)

    def lines(self) -> list[str]:
        """One line per shown claim: mark, sentence, and what was checked (or why it was not)."""
        return [v.line for v in self.shown]

    @property
    def status(self) -> str:
        """One sentence on the whole result."""
        if self.missing:
            needs = f" — this lesson needs {self.lesson.needs_text}" if self.lesson.needs_text else ""
            return f"Not measured here: {', '.join(self.missing)}{needs}."
        if not self.complete:
            return "Stopped: the claims below use what was measured before the stop."
        return f"Done: {self.held_count} of {self.applicable_count} applicable claims held on this machine."

    def to_json(self) -> dict[str, Any]:
        """The result as plain JSON values: the `lesson` key of `conclab lesson ID --json`.

        A claim's `right_value` is the measured (or given) right side before `factor`: the check was
        `left_value op right_value × factor`. `held` is null when the claim did not apply or was not
        measured (`reason` says which)."""
        p = self.prediction
        return {
            "id": self.lesson.id,
            "title": self.lesson.title,
            "complete": self.complete,
            "status": self.status,
            "prediction": None if p is None else {
                "question": p.question, "choices": list(p.choices), "chosen": p.chosen, "right": p.right,
                "measured_answer": p.measured_answer, "measured": p.measured, "outcome": p.outcome,
                "sentence": p.sentence,
            },
            "claims": [_claim_json(v) for v in self.verdicts],
        }


def _claim_json(v: Verdict) -> dict[str, Any]:
    c = v.claim
    return {"text": c.text, "op": c.op, "left": c.left, "right": c.right, "factor": c.factor,
            "tolerance": c.tolerance, "left_value": v.left, "right_value": v.right_raw, "held": v.held,
            "hidden": c.hidden, "sentence": v.sentence, "check": v.check, "reason": v.reason}


def _judge(lesson: Lesson, verdicts: list[Verdict], metrics: Mapping[str, Mapping[str, float]],
           chosen: int | None, complete: bool, missing: tuple[str, ...]) -> PredictionResult | None:
    p = lesson.prediction
    if p is None:
        return None
    if chosen is not None and not 0 <= chosen < len(p.choices):
        raise ValueError(f"no choice {chosen} (the prediction has {len(p.choices)})")
    right = p.judge(verdicts) if complete else None
    why = ""
    if missing:
        why = f"{', '.join(missing)} was not measured"
    elif not complete:
        why = "the run was stopped before every model finished"
    elif right is None:
        deciding = [verdicts[c.when] for c in p.choices if c.when is not None]
        unchecked = [v.reason for v in deciding if v.held is None]
        held = [v for v in deciding if v.held]
        why = (unchecked[0] if unchecked and not held else
               "the measurement fits more than one answer" if held else "no answer's claim held")
    return PredictionResult(p.question, tuple(c.text for c in p.choices), chosen, right,
                            fill_refs(p.measured, metrics), why)


def lesson_result(lesson: Lesson, doc: RunDocument, chosen: int | None = None, *,
                  complete: bool | None = None) -> LessonResult:
    """Check every claim of `lesson` against the runs of `doc` (by label) and judge the prediction the
    user answered with choice `chosen` (None: skipped). `complete` defaults to: every run of the lesson
    is in the document and none was stopped (no cancelled tasks)."""
    metrics = {r.name: r.metrics for r in doc.runs}
    pythons = {r.name: r.python for r in doc.runs}
    missing = tuple(label for label in lesson.labels if label not in metrics)
    if complete is None:
        complete = not missing and not any(r.metrics.get("tasks_cancelled", 0) for r in doc.runs)
    verdicts = evaluate_all(lesson.claims, metrics, doc.machine, pythons)
    prediction = _judge(lesson, verdicts, metrics, chosen, complete, missing)
    return LessonResult(lesson, tuple(verdicts), prediction, complete, missing)


def document_with_lesson(doc_json: Mapping[str, Any], result: LessonResult) -> dict[str, Any]:
    """A run document's JSON object with the lesson's result under the key `lesson`."""
    return {**doc_json, "lesson": result.to_json()}


@dataclass(frozen=True)
class Progress:
    """What the user has done with one lesson: run it to the end (`done`), the last prediction's outcome
    (one of OUTCOMES, "" before any), how many predictions were right, and how many complete runs."""

    done: bool = False
    prediction: str = ""
    right: int = 0
    runs: int = 0


def progress_after(previous: Progress | None, result: LessonResult) -> Progress:
    """The progress once `result` is in: a stopped run changes nothing; a lesson once done stays done."""
    before = previous or Progress()
    if not result.complete:
        return before
    outcome = result.prediction.outcome if result.prediction is not None else ""
    return Progress(True, outcome, before.right + (outcome == "right"), before.runs + 1)


def progress_json(progress: Mapping[str, Progress]) -> str:
    """Progress by lesson id as JSON text, for the settings store."""
    return json.dumps({k: asdict(v) for k, v in sorted(progress.items())}, sort_keys=True)


def read_progress(raw: object) -> dict[str, Progress]:
    """Progress by lesson id from stored JSON text (or its parsed value); malformed entries are dropped."""
    if isinstance(raw, str | bytes):
        try:
            raw = json.loads(raw)
        except ValueError:
            return {}
    if not isinstance(raw, dict):
        return {}
    out: dict[str, Progress] = {}
    for key, value in raw.items():
        if not isinstance(key, str) or not key or not isinstance(value, dict):
            continue
        done, pred = value.get("done", False), value.get("prediction", "")
        right, runs = value.get("right", 0), value.get("runs", 0)
        if (not isinstance(done, bool) or pred not in ("", *OUTCOMES)
                or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in (right, runs))):
            continue
        out[key] = Progress(done, pred, right, runs)
    return out
