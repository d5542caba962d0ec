"""A lesson's result from a fabricated run document: verdict lines, the prediction judged by (and quoting)
the measurement, the status, the JSON the command line writes, and progress records."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conclab.model.lesson_result import (
    Progress,
    document_with_lesson,
    lesson_result,
    progress_after,
    progress_json,
    read_progress,
)
from conclab.model.lessons import get_lesson
from conclab.model.run import ModelRun, RunDocument

MACHINE: dict[str, Any] = {"cpus": 2, "gil_enabled": True, "python": "3.11.7"}
GIL = {"version": "3.11.7", "gil_enabled": True, "free_threaded": False}


def run(name: str, model: str | None = None, python: dict[str, Any] | None = None, **metrics: float) -> ModelRun:
    model = model or name
    return ModelRun(model, 2, dict(metrics), [], [], python=GIL if python is None else python,
                    label="" if name == model else name)


def doc(*runs: ModelRun) -> RunDocument:
    return RunDocument("plan", MACHINE, {}, list(runs))


THREADS_TAKE_TURNS = doc(run("sequential", wall_s=1.21), run("threads", wall_s=2.03, cores_used=1.0),
                         run("processes", wall_s=0.66))


def test_verdicts_lines_and_status() -> None:
    result = lesson_result(get_lesson("threads-parallel"), THREADS_TAKE_TURNS, chosen=1)
    assert [v.held for v in result.verdicts] == [True, None, True, True]
    lines = result.lines()
    assert lines[0].startswith("✓ With the GIL, two threads took at least 75 % of the time one after the other")
    assert "checked: threads wall time 2.03 s >= 0.75 × sequential wall time 1.21 s = 0.91 s" in lines[0]
    assert lines[1].startswith("– not applicable here: threads ran on Python 3.11.7 with the GIL")
    assert result.status == "Done: 3 of 3 applicable claims held on this machine."
    assert not result.failed and result.complete


def test_the_prediction_result_quotes_the_measurement_not_a_canned_answer() -> None:
    result = lesson_result(get_lesson("threads-parallel"), THREADS_TAKE_TURNS, chosen=0)
    p = result.prediction
    assert p is not None and p.right == 1 and p.outcome == "wrong"
    assert "2.03 s" in p.sentence and "1.21 s" in p.sentence  # the measured numbers
    assert p.sentence.startswith("✗ You said “Clearly faster")
    assert p.sentence.endswith("— so: “Not clearly faster — at least 75 % of the time: the threads take turns”.")
    right = lesson_result(get_lesson("threads-parallel"), THREADS_TAKE_TURNS, chosen=1).prediction
    assert right is not None and right.outcome == "right" and right.sentence.startswith("✓ You said")
    skipped = lesson_result(get_lesson("threads-parallel"), THREADS_TAKE_TURNS).prediction
    assert skipped is not None and skipped.outcome == "skipped"
    assert skipped.sentence.startswith("You skipped the prediction. Measured: two threads took 2.03 s")


def test_taking_turns_is_judged_by_what_it_saved_not_by_about() -> None:
    gil = get_lesson("gil-handoff")  # the lesson that once said "about the sum" of 1.05 s against 0.60 s
    slow = lesson_result(gil, doc(run("threads", wall_s=1.05, serial_s=0.6, ready_gil_s=0.9)), chosen=1)
    turns = slow.verdicts[1]
    assert turns.claim.op == ">=" and "about" not in turns.claim.text
    assert turns.held is True and "1.05 s >= 0.9 × threads sum of the work 0.60 s" in turns.check
    fast = lesson_result(gil, doc(run("threads", wall_s=0.44, serial_s=0.6, ready_gil_s=0.02)), chosen=1)
    assert fast.verdicts[1].held is False  # 0.44 s for 0.60 s of work: the turns saved a quarter
    assert fast.prediction is not None and fast.prediction.right == 0  # the measurement says: in parallel
    edge = lesson_result(gil, doc(run("threads", wall_s=0.53, serial_s=0.6, ready_gil_s=0.4)), chosen=1)
    assert edge.verdicts[1].held is False, "0.53 s is below 90 % of 0.60 s"


def test_undecided_prediction_says_why() -> None:
    lesson = get_lesson("blocking-loop")  # about 0.9 s or about 0.3 s; 0.6 s is neither
    result = lesson_result(lesson, doc(run("sequential", wall_s=0.9), run("asyncio", wall_s=0.6, serial_s=0.9,
                                                                           critical_s=0.3, lag_max_ms=290)), 0)
    p = result.prediction
    assert p is not None and p.right is None and p.outcome == "undecided"
    assert "does not decide the prediction: no answer's claim held" in p.sentence and "0.60 s" in p.sentence


def test_a_stopped_run_judges_no_prediction() -> None:
    stopped = doc(run("sequential", wall_s=1.21), run("threads", wall_s=0.5, tasks_cancelled=1.0))
    result = lesson_result(get_lesson("threads-parallel"), stopped, chosen=0)
    assert not result.complete
    assert result.status.startswith("Not measured here: processes")
    partial = lesson_result(get_lesson("threads-parallel"), THREADS_TAKE_TURNS, chosen=0, complete=False)
    assert partial.status.startswith("Stopped:")
    assert partial.prediction is not None and partial.prediction.right is None
    assert "stopped before every model finished" in partial.prediction.sentence


def test_a_lesson_that_needs_a_free_threaded_python_says_so() -> None:
    result = lesson_result(get_lesson("free-threaded"), doc(run("threads", wall_s=1.0, serial_s=1.0,
                                                                cores_used=1.0)))
    assert result.missing == ("threads-ft",)
    assert result.status == ("Not measured here: threads-ft — this lesson needs a free-threaded Python "
                             "(a build without the GIL, such as python3.13t).")
    ft = [v for v in result.verdicts if "threads-ft" in v.claim.labels]
    assert ft and all(v.held is None and v.reason == "the run 'threads-ft' is not in this run document" for v in ft)
    free = {"version": "3.13.1", "gil_enabled": False, "free_threaded": True}
    both = doc(run("threads", wall_s=1.0, serial_s=1.0, cores_used=1.0),
               run("threads-ft", "threads", free, wall_s=0.52, serial_s=1.0, cores_used=1.9))
    measured = lesson_result(get_lesson("free-threaded"), both, chosen=0)
    assert [v.held for v in measured.verdicts] == [True, True, True, True, False]
    assert measured.prediction is not None and measured.prediction.outcome == "right"


def test_json_has_every_claim_with_its_values_and_the_prediction() -> None:
    result = lesson_result(get_lesson("threads-parallel"), THREADS_TAKE_TURNS, chosen=0)
    data = json.loads(json.dumps(result.to_json()))
    assert data["id"] == "threads-parallel" and data["title"] == "Do threads run Python in parallel?"
    assert data["prediction"]["question"].startswith("Two threads") and data["prediction"]["chosen"] == 0
    assert data["prediction"]["measured_answer"].startswith("Not clearly faster")
    first = data["claims"][0]
    assert {k: first[k] for k in ("op", "left", "right", "factor", "tolerance", "left_value", "right_value",
                                  "held")} == {"op": ">=", "left": "threads.wall_s", "right": "sequential.wall_s",
                                               "factor": 0.75, "tolerance": 0.2, "left_value": 2.03,
                                               "right_value": 1.21, "held": True}
    assert data["claims"][1]["held"] is None and data["claims"][1]["reason"]
    whole = document_with_lesson({"schema": "conclab.run/1", "runs": []}, result)
    assert whole["schema"] == "conclab.run/1" and whole["lesson"]["id"] == "threads-parallel"


def test_a_chosen_index_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match="no choice 5"):
        lesson_result(get_lesson("threads-parallel"), THREADS_TAKE_TURNS, chosen=5)


def test_progress_records() -> None:
    lesson = get_lesson("threads-parallel")
    first = progress_after(None, lesson_result(lesson, THREADS_TAKE_TURNS, chosen=0))
    assert first == Progress(done=True, prediction="wrong", right=0, runs=1)
    second = progress_after(first, lesson_result(lesson, THREADS_TAKE_TURNS, chosen=1))
    assert second == Progress(True, "right", 1, 2)
    stopped = progress_after(second, lesson_result(lesson, THREADS_TAKE_TURNS, chosen=0, complete=False))
    assert stopped == second
    stored = progress_json({"threads-parallel": second, "blocking-loop": Progress()})
    assert read_progress(stored) == {"threads-parallel": second, "blocking-loop": Progress()}


@pytest.mark.parametrize("raw", [None, "", "not json", "[1, 2]", 42, b"\xff",
                                 '{"a": {"done": "yes"}}', '{"a": {"prediction": "maybe"}}',
                                 '{"a": {"runs": -1}}', '{"": {"done": true}}', '{"a": [true]}'])
def test_read_progress_drops_what_is_malformed(raw: object) -> None:
    assert read_progress(raw) == {}
