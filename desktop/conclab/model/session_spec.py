"""What a session runs: a plan under a list of model runs, each with its workers, interpreter and runtime.

A session request is what the window's Run button, a lesson and `conclab run` all hand to the session
layer (`conclab.engines.session`). Each `RunSpec` becomes one `ModelRun` of the run document, labelled
so that a lesson's claims (`label.metric`) and the timeline's section titles can tell apart two runs
of the same model — e.g. threads on two Pythons, or in the lab and inside the window.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from conclab.model.errors import ConclabError
from conclab.model.trace import MODELS

# Threads default to one per task, up to this many; processes to one per core; asyncio is unbounded.
DEFAULT_THREAD_CAP = 1000


def default_workers(model: str, tasks: int, cpus: int) -> int:
    """The pool size a model gets when none is asked for (0 means unbounded: asyncio)."""
    if model == "threads":
        return max(1, min(tasks, DEFAULT_THREAD_CAP))
    if model == "processes":
        return max(1, min(tasks, cpus))
    return 0 if model == "asyncio" else 1


class Runtime(StrEnum):
    """Where a run is measured."""

    LAB = "lab"  # a child Python process that the window only observes (the default)
    WINDOW = "window"  # asyncio on the window's own qasync loop and QThread workers


class SpecError(ConclabError):
    """A session request that cannot run: unknown model, bad worker count, clashing labels."""


@dataclass(frozen=True)
class RunSpec:
    """One model run of a session."""

    model: str
    workers: int | None = None
    python: str | None = None  # an interpreter: a version ("3.13", "3.13t") or a path; None: the app's own
    runtime: Runtime = Runtime.LAB
    label: str = ""  # how claims and titles name it; empty: the model's name

    @property
    def name(self) -> str:
        return self.label or self.model


@dataclass(frozen=True)
class SessionRequest:
    """A plan (as text) and the runs to make of it, one after another, on one time axis."""

    plan_text: str
    runs: tuple[RunSpec, ...]
    switch_interval_ms: float | None = None
    detail: bool = True  # False: record only each task's start and end (the no-trace mode)

    @classmethod
    def for_models(cls, plan_text: str, models: list[str] | tuple[str, ...], workers: int | None = None,
                   *, python: str | None = None, runtime: Runtime = Runtime.LAB,
                   switch_interval_ms: float | None = None, detail: bool = True) -> SessionRequest:
        """The plain case: every model once, with one worker count, on one interpreter."""
        return cls(plan_text, tuple(RunSpec(m, workers, python, runtime) for m in models),
                   switch_interval_ms, detail)

    def check(self) -> None:
        """Raise SpecError naming the first problem (the runs are otherwise trusted by the engines)."""
        if not self.runs:
            raise SpecError("choose at least one model to run")
        seen: set[str] = set()
        for spec in self.runs:
            if spec.model not in MODELS:
                raise SpecError(f"unknown model {spec.model!r} (choose from {', '.join(MODELS)})")
            if spec.workers is not None and spec.workers < 1:
                raise SpecError(f"workers must be at least 1 (got {spec.workers})")
            if spec.name in seen:
                raise SpecError(f"two runs are both called {spec.name!r}: give them labels")
            seen.add(spec.name)
        if self.switch_interval_ms is not None and not 0.01 <= self.switch_interval_ms <= 1000:
            raise SpecError("the GIL switch interval must be between 0.01 and 1000 ms")

    def with_runtime(self, runtime: Runtime) -> SessionRequest:
        """The same request with every run measured in `runtime`."""
        return replace(self, runs=tuple(replace(r, runtime=runtime) for r in self.runs))

    @property
    def models(self) -> list[str]:
        return [r.model for r in self.runs]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form (what the window sends to the lab)."""
        return {"plan": self.plan_text, "switch_interval_ms": self.switch_interval_ms, "detail": self.detail,
                "runs": [{"model": r.model, "workers": r.workers, "python": r.python, "runtime": str(r.runtime),
                          "label": r.label} for r in self.runs]}

    @classmethod
    def from_dict(cls, data: Any) -> SessionRequest:
        """Read `to_dict`'s form back; anything malformed is a SpecError."""
        try:
            runs = tuple(RunSpec(str(r["model"]), _opt_int(r.get("workers")), _opt_str(r.get("python")),
                                 Runtime(r.get("runtime", "lab")), str(r.get("label", "")))
                         for r in data["runs"])
            switch = data.get("switch_interval_ms")
            request = cls(str(data["plan"]), runs, None if switch is None else float(switch),
                          bool(data.get("detail", True)))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise SpecError(f"not a session request: {exc}") from None
        request.check()
        return request


def _opt_int(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected a whole number, got {value!r}")
    return value


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)
