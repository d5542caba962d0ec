"""CSV export: the header, one row per span, values that read back to the spans."""

from __future__ import annotations

import csv
import io

from conclab.model.csv_export import HEADER, to_csv
from conclab.model.run import ModelRun, RunDocument, TaskOutcome
from conclab.model.trace import Span
from tests.model.test_runfile import MACHINE, metrics, two_run_doc


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_header_and_one_row_per_span() -> None:
    doc = two_run_doc()
    text = to_csv(doc)
    assert text.splitlines()[0] == ",".join(HEADER)
    assert HEADER == ("model", "task", "task_name", "step", "worker", "state", "cause", "t0_s", "t1_s",
                      "duration_s")
    assert len(_rows(text)) == sum(len(r.spans) for r in doc.runs)


def test_rows_read_back_to_the_spans() -> None:
    doc = two_run_doc()
    rows = _rows(to_csv(doc))
    expected = [(r.model, s) for r in doc.runs for s in r.spans]
    for row, (model, span) in zip(rows, expected, strict=True):
        assert row["model"] == model
        assert (int(row["task"]), int(row["step"]), row["worker"], row["state"]) == span[:4]
        assert abs(float(row["t0_s"]) - span.t0) < 1e-6 and abs(float(row["t1_s"]) - span.t1) < 1e-6
        assert abs(float(row["duration_s"]) - span.duration) < 2e-6
    assert {row["task_name"] for row in rows} == {"fetch", "crunch"}


def test_awkward_names_are_quoted_and_unknown_tasks_named() -> None:
    run = ModelRun("threads", 1, metrics(0.1), [TaskOutcome(0, 'say "hi", then\nleave', "done")],
                   [Span(0, 0, "thread 1", "running", 0.0, 0.1), Span(7, 0, "thread 1", "running", 0.1, 0.2)])
    rows = _rows(to_csv(RunDocument("x", dict(MACHINE), {}, [run])))
    assert rows[0]["task_name"] == 'say "hi", then\nleave'
    assert rows[1]["task_name"] == "task 7"


def test_empty_document_is_just_the_header() -> None:
    assert to_csv(RunDocument("x", dict(MACHINE), {}, [])).splitlines() == [",".join(HEADER)]
