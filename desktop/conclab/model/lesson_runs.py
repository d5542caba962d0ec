"""Which of a lesson's runs can be made where: a run inside the window needs the window, and a run on a
named interpreter needs that interpreter on this machine. The command line and the lesson page both ask
here, so they skip the same runs for the same reasons.

    request, unmade = runnable(lesson.request(), resolve, window=False)
    for u in unmade:
        print(f"not measured here: {u}")     # "threads-ft: no Python 3.13t was found; available: …"

`resolve` is the interpreter lookup (`conclab.engines.interpreters.resolve`), passed in because this
floor does not import the engines: it returns an interpreter or raises a ConclabError saying why not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from conclab.model.errors import ConclabError
from conclab.model.session_spec import RunSpec, Runtime, SessionRequest

WINDOW_ONLY = "measured inside the window — open the lesson in the app to make it"


@dataclass(frozen=True)
class Unmade:
    """A run that is not attempted here: its label, and why (in words a user can act on)."""

    label: str
    why: str

    def __str__(self) -> str:
        return f"{self.label}: {self.why}"


def python_problem(spec: RunSpec, resolve: Callable[[str], object]) -> str:
    """Why the run's interpreter cannot be used here ("" when it can, or when the run names none)."""
    if not spec.python:
        return ""
    try:
        resolve(spec.python)
    except ConclabError as exc:
        return str(exc)
    return ""


def runnable(request: SessionRequest, resolve: Callable[[str], object], *,
             window: bool) -> tuple[SessionRequest, list[Unmade]]:
    """The runs of `request` that can be made here (in order), and the others with the reason for each.
    `window` says whether runs inside the window can be made (the app: yes; the command line: no)."""
    keep: list[RunSpec] = []
    unmade: list[Unmade] = []
    for spec in request.runs:
        if spec.runtime == Runtime.WINDOW and not window:
            unmade.append(Unmade(spec.name, WINDOW_ONLY))
            continue
        problem = python_problem(spec, resolve)
        if problem:
            unmade.append(Unmade(spec.name, problem))
            continue
        keep.append(spec)
    return replace(request, runs=tuple(keep)), unmade
