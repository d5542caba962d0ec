"""What the window's Run asks for: every chosen Python × every ticked model, and a question first when the
runs would take long.

With only the app's own Python the runs are named after their models; with other or several Pythons each
run is labelled "threads · 3.13.0", so timeline sections and metric columns tell them apart.
"""

from __future__ import annotations

import os

from PySide6.QtWidgets import QMessageBox, QWidget

from conclab import APP_NAME
from conclab.engines.runtime import default_workers
from conclab.model.estimate import LONG_RUN_S, RunEstimate, describe_seconds, estimate_runs, total_s
from conclab.model.plan import Plan
from conclab.model.session_spec import RunSpec, Runtime, SessionRequest
from conclab.ui.shell.interpreter_panel import PythonChoice


def build_request(plan_text: str, models: list[str], workers: int | None, pythons: list[PythonChoice],
                  runtime: Runtime, switch_ms: float) -> SessionRequest:
    """The session: runs grouped by Python (one lab each), in the order the models are listed."""
    labelled = len(pythons) > 1 or any(p.python is not None for p in pythons)
    runs: list[RunSpec] = []
    seen: set[str] = set()
    for choice in pythons:
        for model in models:
            label = f"{model} · {choice.label}" if labelled else ""
            n = 2
            while label and label in seen:  # two installs of one version: number them
                label = f"{model} · {choice.label} ({n})"
                n += 1
            seen.add(label)
            runs.append(RunSpec(model, workers, choice.python, runtime, label))
    return SessionRequest(plan_text, tuple(runs), switch_ms)


def estimates_for(plan: Plan, request: SessionRequest) -> list[RunEstimate]:
    cores = os.cpu_count() or 1
    runs = [(spec.name, spec.model, spec.workers or default_workers(spec.model, plan.task_count))
            for spec in request.runs]
    return estimate_runs(plan, runs, cores)


def confirm_long_run(parent: QWidget, plan: Plan, request: SessionRequest) -> bool:
    """True to go ahead: at once when the runs should take at most LONG_RUN_S, else when the user says so."""
    estimates = estimates_for(plan, request)
    total = total_s(estimates)
    if total <= LONG_RUN_S:
        return True
    box = QMessageBox(QMessageBox.Icon.Question, APP_NAME, f"This run would take about {describe_seconds(total)}.",
                      QMessageBox.StandardButton.NoButton, parent)
    box.setObjectName("long_run_question")
    slow = sorted(estimates, key=lambda e: -e.seconds)
    lines = [f"{e.name}: about {describe_seconds(e.seconds)}" for e in slow]
    box.setInformativeText("Estimated from the plan and the worker counts:\n" + "\n".join(lines)
                           + "\n\nUntick the slow models, or use fewer or shorter tasks, for a quick run.")
    go = box.addButton("Run anyway", QMessageBox.ButtonRole.AcceptRole)
    go.setObjectName("run_anyway")
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    box.exec()
    return box.clickedButton() is go
