"""Spans as CSV: one row per span of every model run, for spreadsheets and notebooks."""

from __future__ import annotations

import csv
import io

from conclab.model.run import RunDocument

HEADER: tuple[str, ...] = ("model", "task", "task_name", "step", "worker", "state", "cause", "t0_s", "t1_s",
                           "duration_s")


def to_csv(doc: RunDocument) -> str:
    """Every span of every run, in run order; times in seconds from that run's start, to the microsecond.

    `cause` says what a ready wait waited for (loop, gil, core, gil_or_core) where it was measured.
    `step` is the step's index in its task as in the run file (0 is the first step, -1 a task-level
    span such as time spent queued), so rows join cleanly with the saved run.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for run in doc.runs:
        names = run.task_names()
        for s in run.spans:
            writer.writerow([run.model, s.task, names.get(s.task, f"task {s.task}"),
                             s.step, s.worker, str(s.state), str(s.cause),
                             f"{s.t0:.6f}", f"{s.t1:.6f}", f"{s.t1 - s.t0:.6f}"])
    return out.getvalue()
