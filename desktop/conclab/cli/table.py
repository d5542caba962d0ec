"""The metrics of a run document as a plain-text table, one column per run."""

from __future__ import annotations

from collections.abc import Sequence

from conclab.model.metrics import SPEEDUP_MEASURED, is_stopped
from conclab.model.run import ModelRun, RunDocument

ROWS: tuple[tuple[str, str, str], ...] = (
    ("wall time", "wall_s", "{:.3f} s"),
    ("speed-up", "speedup", "{:.2f}x"),
    ("efficiency", "efficiency", "{:.0%}"),
    ("cores used", "cores_used", "{:.2f}"),
    ("ready but waiting (task-s)", "ready_wait_s", "{:.3f} s"),
    ("  mean per task", "ready_wait_mean_s", "{:.3f} s"),
    ("loop lag p99", "lag_p99_ms", "{:.1f} ms"),
    ("loop lag max", "lag_max_ms", "{:.1f} ms"),
    ("window lag p99", "window_lag_p99_ms", "{:.1f} ms"),
    ("frozen", "frozen_s", "{:.3f} s"),
    ("context switches", "ctx_switches", "{:.0f}"),
    ("peak memory", "peak_rss_mb", "{:.0f} MB"),
    ("tasks done", "tasks_done", "{:.0f}"),
    ("tasks failed", "tasks_failed", "{:.0f}"),
    ("tasks cancelled", "tasks_cancelled", "{:.0f}"),
    ("start-up (not in wall)", "startup_s", "{:.3f} s"),
)


MISSING = "—"
_NOT_WHEN_STOPPED = frozenset({"speedup", "efficiency"})


def _cell(run: ModelRun, key: str, fmt: str) -> str:
    value = run.metrics.get(key)
    if value is None or (key in _NOT_WHEN_STOPPED and is_stopped(run)):
        return MISSING
    return fmt.format(value)


def speedup_note(runs: Sequence[ModelRun]) -> str:
    """What the speed-ups are measured against."""
    measured = any(r.metrics.get("speedup_basis") == SPEEDUP_MEASURED for r in runs)
    return ("speed-up: against the sequential run measured here" if measured
            else "speed-up: against the plan's serial time (the sum of its steps)")


def _head(run: ModelRun) -> str:
    return run.name if run.model == "sequential" else f"{run.name} ({run.workers or '∞'})"


def format_table(runs: Sequence[ModelRun]) -> str:
    """Aligned rows of metrics, a column per run."""
    head = ["", *[_head(r) for r in runs]]
    rows = [head]
    for label, key, fmt in ROWS:
        if all(key not in r.metrics for r in runs):
            continue
        rows.append([label, *[_cell(r, key, fmt) for r in runs]])
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = []
    for n, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("-" * len(lines[0]))
    return "\n".join(lines)


def failures(doc: RunDocument) -> list[str]:
    """One line per failed task of every run."""
    return [f"{r.name}: task {t.name} failed: {t.error}" for r in doc.runs for t in r.tasks if t.state == "failed"]
