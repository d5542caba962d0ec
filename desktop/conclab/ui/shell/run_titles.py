"""How runs are named on screen: section titles and the sentence that states the window's own cost."""

from __future__ import annotations

from conclab.model.run import ModelRun
from conclab.model.session_spec import RunSpec, Runtime


def spec_title(spec: RunSpec) -> str:
    """A run's title while it runs: its label, where it runs when that is inside the window, its Python."""
    title = spec.name
    if spec.runtime == Runtime.WINDOW:
        title += " · inside this window"
    if spec.python:
        title += f" · Python {spec.python}"
    return title


def window_cost_text(run: ModelRun) -> str:
    """What running inside the window cost, as measured: "threads: the window's thread ran 41 % of the
    time; the run took 1.7x as long as in the lab" ("" when it was not measured)."""
    share = run.metrics.get("window_cpu_share")
    slowdown = run.metrics.get("window_slowdown")
    parts = []
    if share is not None:
        parts.append(f"the window's own thread ran {share:.0%} of the time")
    if slowdown is not None:
        parts.append(f"the run took {slowdown:.1f}x as long as in the lab")
    return f"{run.name}: " + "; ".join(parts) if parts else ""
