"""What a lesson is, once its file has been read: runs to make of a plan, a prediction the measurement
decides, and claims to check. `conclab.model.lessons` reads the files; `conclab.model.lesson_result`
turns a lesson and a run document into verdicts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from conclab.model.claims import Claim, Verdict
from conclab.model.errors import FormatError
from conclab.model.plan import Plan
from conclab.model.plan_text import parse
from conclab.model.session_spec import RunSpec, Runtime, SessionRequest

FREE_THREADED = "free-threaded"
NEEDS: dict[str, str] = {
    FREE_THREADED: "a free-threaded Python (a build without the GIL, such as python3.13t)",
}
SAVED_FOLDER = "saved"


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
    """One answer to a prediction; `when` is the index of the claim whose holding makes it the right one
    (None: an answer the measurement never picks)."""

    text: str
    when: int | None = None


@dataclass(frozen=True)
class Prediction:
    """A question asked before the run. The right answer is the one whose claim held in the run just
    measured — never one fixed in the file — and `measured` is the sentence, with `{label.metric}`
    placeholders, that names the measured numbers when the result is told."""

    question: str
    choices: tuple[Choice, ...]
    measured: str

    def judge(self, verdicts: Sequence[Verdict]) -> int | None:
        """The index of the right choice: the one choice whose claim held (None: none did, or several)."""
        right = [i for i, c in enumerate(self.choices)
                 if c.when is not None and c.when < len(verdicts) and verdicts[c.when].held is True]
        return right[0] if len(right) == 1 else None


@dataclass(frozen=True)
class Lesson:
    """One guided comparison: a plan, the runs to make of it, a prediction and checked claims.

    `question` is shown before the run and must not give the answer away; `explanation` is shown after
    it, beside the verdicts. `needs` names what the machine must have for the lesson's runs (see NEEDS).
    """

    id: str
    title: str
    order: int
    question: str
    explanation: str
    plan_text: str
    runs: tuple[RunSpec, ...]
    claims: tuple[Claim, ...]
    path: Path
    prediction: Prediction | None = None
    switch_interval_ms: float | None = None
    needs: str | None = None

    @property
    def intro(self) -> str:
        """What is shown before the run (the older name of `question`)."""
        return self.question

    @property
    def models(self) -> tuple[str, ...]:
        """The models the lesson runs, in order, without repeats."""
        return tuple(dict.fromkeys(r.model for r in self.runs))

    @property
    def labels(self) -> tuple[str, ...]:
        """The runs' names, as claims read them."""
        return tuple(r.name for r in self.runs)

    def run_for(self, label: str) -> RunSpec | None:
        return next((r for r in self.runs if r.name == label), None)

    def workers_for(self, model: str) -> int | None:
        """The worker count of the lesson's first run of `model` (None: the model's default)."""
        return next((r.workers for r in self.runs if r.model == model), None)

    @property
    def workers(self) -> dict[str, int] | None:
        """Worker counts by model, where the lesson sets one (None: every model's default)."""
        out: dict[str, int] = {}
        for r in self.runs:
            if r.workers is not None:
                out.setdefault(r.model, r.workers)
        return out or None

    @property
    def in_window(self) -> bool:
        """True when a run must be measured inside the window (the command line cannot make it)."""
        return any(r.runtime is Runtime.WINDOW for r in self.runs)

    def request(self, switch_interval_ms: float | None = None) -> SessionRequest:
        """What to hand to the session layer: the plan and every run, at the lesson's switch interval
        (or `switch_interval_ms`, when the user changed it)."""
        switch = self.switch_interval_ms if switch_interval_ms is None else switch_interval_ms
        return SessionRequest(self.plan_text, self.runs, switch)

    def batches(self) -> list[tuple[list[str], int | None]]:
        """Consecutive runs that share a worker count, as (models, workers) — for callers that cannot yet
        make a SessionRequest; labels, interpreters and runtimes are not carried (use `request`)."""
        out: list[tuple[list[str], int | None]] = []
        for run in self.runs:
            if out and out[-1][1] == run.workers and run.model not in out[-1][0]:
                out[-1][0].append(run.model)
            else:
                out.append(([run.model], run.workers))
        return out

    def plan(self) -> Plan:
        """The lesson's plan, parsed from its text."""
        return parse(self.plan_text)

    @property
    def shown_claims(self) -> tuple[Claim, ...]:
        """The claims to list to the user (hidden ones only decide the prediction)."""
        return tuple(c for c in self.claims if not c.hidden)

    @property
    def needs_text(self) -> str:
        """What the machine needs for this lesson, in words ("" when nothing special)."""
        return NEEDS.get(self.needs or "", "")

    @property
    def saved_run(self) -> Path | None:
        """A run document measured elsewhere, shipped for machines that cannot make the lesson's runs."""
        path = self.path.parent / SAVED_FOLDER / f"{self.id}.json"
        return path if path.is_file() else None
