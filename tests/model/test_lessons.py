"""Lesson files: the shipped ones load and follow the rules (claims say what they check, questions keep the
answer for later, predictions are decided by measured claims); every claim flips between ✓ and ✗ at its
margin on fabricated metrics; broken files give clear, separate errors. (Running the lessons for real is
in tests/integration/test_lesson_runs.py.)"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from conclab.model.claims import ABOUT_RE, MAX_ABOUT_TOLERANCE, Claim, Verdict, evaluate, split_ref
from conclab.model.lessons import Choice, LessonError, Prediction, get_lesson, load_lessons
from conclab.model.session_spec import RunSpec, Runtime

LESSONS, ERRORS = load_lessons()
# Every claim of every lesson, at each of its margins: both sides of a ≈, the one edge of the others.
MARGINS = [(les.id, i, c, upper) for les in LESSONS for i, c in enumerate(les.claims)
           for upper in ((True, False) if c.op == "≈" else (True,))]
GOOD = '''
id = "good"
title = "A good lesson"
order = 1
question = "Do waits overlap?"
explanation = "They do."
plan = "2x sleep 10ms"
models = ["sequential", "asyncio"]

[prediction]
question = "Faster?"
choices = [{ text = "No", when = 1 }, { text = "Yes", when = 0 }]
measured = "asyncio took {asyncio.wall_s:.2f} s"

[[claims]]
text = "asyncio {left:.2f} s, sequential {right:.2f} s"
left = "asyncio.wall_s"
op = "<"
right = "sequential.wall_s"
factor = 0.8

[[claims]]
text = "asyncio was not faster"
left = "asyncio.wall_s"
op = ">="
right = "sequential.wall_s"
factor = 0.8
hidden = true
'''


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# --- the shipped lessons -------------------------------------------------------------------------


def test_shipped_lessons_load_cleanly() -> None:
    assert ERRORS == []
    assert len(LESSONS) >= 16
    orders = [les.order for les in LESSONS]
    assert orders == sorted(orders) and len(set(orders)) == len(orders)
    assert len({les.id for les in LESSONS}) == len(LESSONS)
    for les in LESSONS:
        assert re.fullmatch(r"\d\d-" + re.escape(les.id) + r"\.toml", les.path.name)
        assert les.plan().task_count >= 1
        assert les.question and les.explanation and les.title and les.shown_claims
        assert les.request().runs == les.runs
        les.request().check()


def test_every_about_claim_is_an_approximate_check_within_20_percent() -> None:
    for les in LESSONS:
        for claim in les.claims:
            if ABOUT_RE.search(claim.text):
                assert claim.op == "≈" and claim.tolerance <= MAX_ABOUT_TOLERANCE, (les.id, claim.text)
        assert les.prediction is not None
        for choice in les.prediction.choices:
            if ABOUT_RE.search(choice.text):
                assert choice.when is not None, (les.id, choice.text)
                deciding = les.claims[choice.when]
                assert deciding.op == "≈" and deciding.tolerance <= MAX_ABOUT_TOLERANCE, (les.id, choice.text)


def test_every_prediction_is_decided_by_measured_claims() -> None:
    for les in LESSONS:
        p = les.prediction
        assert p is not None, les.id
        assert all(c.when is not None for c in p.choices), les.id
        assert len({c.when for c in p.choices}) == len(p.choices), les.id
        assert re.search(r"\{[a-z][a-z0-9_-]*\.[a-z_0-9]+", p.measured), les.id
        for right, choice in enumerate(p.choices):
            assert choice.when is not None
            verdicts = [_verdict(i == choice.when) for i in range(len(les.claims))]
            assert p.judge(verdicts) == right, (les.id, choice.text)


@pytest.mark.parametrize(
    ("lesson_id", "giveaway"),
    [("threads-parallel", "wrong"), ("threads-parallel", "one thread"), ("gil-handoff", "back and forth"),
     ("gil-handoff", "waiting for the GIL"), ("threads-release-gil", "releases"), ("blocking-loop", "stops"),
     ("offload-fix", "stays free"), ("ten-thousand-waiters", "rounds"), ("realistic-handler", "one task at a time"),
     ("real-network", "overlap")],
)
def test_questions_do_not_give_the_answer_away(lesson_id: str, giveaway: str) -> None:
    les = get_lesson(lesson_id)
    assert giveaway not in les.question
    assert les.intro == les.question


def test_threads_lesson_corrects_the_article() -> None:
    les = get_lesson("threads-parallel")
    assert "wrong" in les.explanation and "GIL" in les.explanation
    assert {"threads", "processes"} <= set(les.models)
    assert les.plan().kinds() == {"cpu"}
    gil_claims = [c for c in les.claims if c.requires.gil is not None]
    assert {c.requires.gil for c in gil_claims} == {True, False}


def test_lesson_runs_by_label_and_request() -> None:
    gui = get_lesson("gui-sluggish")
    assert gui.labels == ("threads", "threads-window")
    assert gui.run_for("threads-window") == RunSpec("threads", None, None, Runtime.WINDOW, "threads-window")
    assert gui.in_window and gui.request().switch_interval_ms == 5.0
    assert gui.request(switch_interval_ms=1.0).switch_interval_ms == 1.0
    pools = get_lesson("how-many-threads")
    assert [r.workers for r in pools.runs] == [4, 16, 64, 256] and pools.models == ("threads",)
    free = get_lesson("free-threaded")
    assert free.needs == "free-threaded" and "free-threaded" in free.needs_text
    assert free.run_for("threads-ft") == RunSpec("threads", None, "3.13t", Runtime.LAB, "threads-ft")
    assert free.saved_run is None  # no honest run of it could be made here


def test_short_form_models_and_workers_still_work() -> None:
    les = get_lesson("ten-thousand-waiters")
    assert les.runs == (RunSpec("asyncio"), RunSpec("threads", 1000))
    assert les.workers_for("threads") == 1000 and les.workers_for("asyncio") is None
    assert les.workers == {"threads": 1000}
    assert les.batches() == [(["asyncio"], None), (["threads"], 1000)]


# --- every claim flips at its margin -------------------------------------------------------------


def _verdict(held: bool | None) -> Verdict:
    return Verdict(Claim("x", "threads.wall_s", "<", 1.0), held, None, None, "x")


def _edge_left(claim: Claim, threshold: float, inside: bool, upper: bool) -> float:
    """A left value just inside (or just outside) the claim's relation to `threshold`."""
    step = 0.01 * max(abs(threshold), 1.0)
    if claim.op == "≈":
        allowed = claim.tolerance * abs(threshold)
        distance = allowed * 0.99 if inside else allowed * 1.01 + (0 if allowed else step)
        return threshold + distance if upper else threshold - distance
    if claim.op in ("<=", ">="):
        outside = threshold + step if claim.op == "<=" else threshold - step
        return threshold if inside else outside
    below, above = threshold - step, threshold + step
    return (below if inside else above) if claim.op == "<" else (above if inside else below)


def _fabricate(claim: Claim, inside: bool, upper: bool) -> tuple[dict[str, dict[str, float]], dict[str, Any],
                                                                    dict[str, dict[str, Any]]]:
    right_raw = 1.5 if isinstance(claim.right, str) else claim.right
    left = _edge_left(claim, right_raw * claim.factor, inside, upper)
    metrics: dict[str, dict[str, float]] = {}
    for field in re.findall(r"\{([a-z][a-z0-9_-]*\.[a-z0-9_]+)", claim.text):
        label, metric = split_ref(field)
        metrics.setdefault(label, {})[metric] = 1.0
    if isinstance(claim.right, str):
        label, metric = split_ref(claim.right)
        metrics.setdefault(label, {})[metric] = right_raw
    label, metric = split_ref(claim.left)
    metrics.setdefault(label, {})[metric] = left
    req = claim.requires
    cpus = max(2, req.min_cpus or 0)
    cpus = min(cpus, req.max_cpus) if req.max_cpus else cpus
    gil = True if req.gil is None else req.gil
    pythons = {lbl: {"version": "3.13.1", "gil_enabled": gil if lbl in (req.on or claim.labels) else True}
               for lbl in metrics}
    return metrics, {"cpus": cpus, "gil_enabled": True, "python": "3.11.7"}, pythons


@pytest.mark.parametrize(("lesson_id", "index", "claim", "upper"), MARGINS,
                         ids=[f"{lid}-{i}-{'upper' if up else 'lower'}" for lid, i, _, up in MARGINS])
def test_every_claim_flips_at_its_margin(lesson_id: str, index: int, claim: Claim, upper: bool) -> None:
    for inside in (True, False):
        metrics, machine, pythons = _fabricate(claim, inside, upper)
        verdict = evaluate(claim, metrics, machine, pythons)
        assert verdict.held is inside, (lesson_id, index, inside, verdict.check or verdict.reason)
        assert verdict.check.startswith(claim.left.rpartition(".")[0] + " ")
        assert (f" not {claim.op} " in verdict.check) is (not inside)
        assert "?" not in verdict.sentence


# --- lesson files, good and broken ----------------------------------------------------------------


def test_get_lesson_unknown_lists_known_ids() -> None:
    with pytest.raises(LessonError, match=r"no lesson 'nope'.*article-example"):
        get_lesson("nope")


def test_good_lesson_in_tmp_folder(tmp_path: Path) -> None:
    write(tmp_path, "01-good.toml", GOOD)
    lessons, errors = load_lessons(tmp_path)
    assert errors == []
    (les,) = lessons
    assert les.models == ("sequential", "asyncio") and les.labels == ("sequential", "asyncio")
    assert les.claims[0].factor == 0.8 and les.claims[0].right == "sequential.wall_s"
    assert les.prediction is not None and les.prediction.choices[1] == Choice("Yes", 0)
    assert les.prediction.measured == "asyncio took {asyncio.wall_s:.2f} s"
    assert les.workers_for("asyncio") is None and les.explanation == "They do."


def test_intro_is_the_older_name_of_question(tmp_path: Path) -> None:
    write(tmp_path, "01-good.toml", GOOD.replace("question = \"Do waits", "intro = \"Do waits"))
    (les,), errors = load_lessons(tmp_path)
    assert not errors and les.question == "Do waits overlap?"


def test_runs_form(tmp_path: Path) -> None:
    runs = ('runs = [{ model = "threads", label = "pool-4", workers = 4 }, '
            '{ model = "threads", label = "in-window", runtime = "window", python = "3.13t" }]')
    text = (GOOD.replace('models = ["sequential", "asyncio"]', runs).replace("asyncio.wall_s", "pool-4.wall_s")
            .replace("sequential.wall_s", "in-window.wall_s"))
    write(tmp_path, "01-good.toml", text)
    (les,), errors = load_lessons(tmp_path)
    assert not errors
    assert les.runs == (RunSpec("threads", 4, None, Runtime.LAB, "pool-4"),
                        RunSpec("threads", None, "3.13t", Runtime.WINDOW, "in-window"))


BROKEN: dict[str, tuple[str, str, str]] = {
    # file: (replace this, with that, expected "<key>: <words>" in the message)
    "bad-toml": ('title = "A good lesson"', "title = A good lesson", "not valid TOML"),
    "missing-key": ('title = "A good lesson"\n', "", "title: missing"),
    "wrong-type": ("order = 1", 'order = "first"', "order: expected a whole number, got str"),
    "unknown-metric": ('left = "asyncio.wall_s"', 'left = "asyncio.wall_time"', "claims[0].left:"),
    "unknown-op": ('op = "<"', 'op = "=="', "claims[0].op: unknown operator"),
    "unknown-model": ('models = ["sequential", "asyncio"]', 'models = ["sequential", "fibers"]',
                      "models: unknown model 'fibers'"),
    "model-not-run": ('left = "asyncio.wall_s"', 'left = "threads.wall_s"', "claims[0].left:"),
    "bad-placeholder": ("{left:.2f} s, seq", "{left.__class__} s, seq", "claims[0].text: placeholder"),
    "bad-plan": ('plan = "2x sleep 10ms"', 'plan = "2x slep 10ms"', "plan:"),
    "bad-when": ("when = 0", "when = 3", "prediction.choices[1].when: no claim 3"),
    "unknown-key": ("order = 1", "order = 1\ncolour = 2", "colour: unknown key"),
    "bad-requires": ("factor = 0.8\n\n", "factor = 0.8\nrequires = { min_cpus = 2, ram = 4 }\n\n",
                     "claims[0].requires: unknown key 'ram'"),
    "bad-workers": ('models = ["sequential", "asyncio"]', 'models = ["sequential", "asyncio"]\nworkers = 0',
                    "workers: must be at least 1"),
    "fixed-answer": ('measured = "', 'answer = 1\nmeasured = "', "prediction.answer: a fixed answer"),
    "no-numbers": ('measured = "asyncio took {asyncio.wall_s:.2f} s"', 'measured = "quickly"',
                   "prediction.measured: name at least one measured number"),
    "about-not-approx": ('text = "asyncio was not faster"', 'text = "asyncio took about as long"',
                         "claims[1].text: says 'about'"),
    "about-choice": ('text = "Yes"', 'text = "About the same"', "prediction.choices[1].text: says 'About'"),
    "both-forms": ('models = ["sequential", "asyncio"]',
                   'models = ["sequential", "asyncio"]\nruns = [{ model = "asyncio" }]', "models: give either"),
    "bad-run": ('models = ["sequential", "asyncio"]', 'runs = [{ model = "asyncio", where = "lab" }]',
                "runs[0].where: unknown key"),
    "bad-runtime": ('models = ["sequential", "asyncio"]', 'runs = [{ model = "asyncio", runtime = "cloud" }]',
                    "runs[0].runtime:"),
    "bad-python": ('models = ["sequential", "asyncio"]', 'runs = [{ model = "asyncio", python = "/usr/bin/py" }]',
                   "runs[0].python:"),
    "clashing-labels": ('models = ["sequential", "asyncio"]',
                        'runs = [{ model = "asyncio" }, { model = "asyncio" }]', "runs: two runs are both called"),
    "bad-needs": ("order = 1", 'order = 1\nneeds = "gpu"', "needs: unknown need 'gpu'"),
}


def test_each_broken_file_reports_file_and_key_and_hides_nothing(tmp_path: Path) -> None:
    write(tmp_path, "00-good.toml", GOOD)
    for i, (name, (old, new, _)) in enumerate(BROKEN.items(), start=1):
        assert old in GOOD, name
        text = GOOD.replace(old, new, 1).replace('id = "good"', f'id = "{name}"')
        write(tmp_path, f"{i:02d}-{name}.toml", text)
    lessons, errors = load_lessons(tmp_path)
    assert [les.id for les in lessons] == ["good"]
    assert len(errors) == len(BROKEN)
    by_file = {e.path.name.split("-", 1)[1].removesuffix(".toml"): str(e) for e in errors}
    for name, (_, _, expected) in BROKEN.items():
        message = by_file[name]
        assert name in message and expected in message, (name, message)
        assert "Traceback" not in message


def test_duplicate_id_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "01-good.toml", GOOD)
    write(tmp_path, "02-good.toml", GOOD)
    lessons, errors = load_lessons(tmp_path)
    assert len(lessons) == 1
    assert len(errors) == 1 and "02-good.toml: id" in str(errors[0]) and "01-good.toml" in str(errors[0])


def test_prediction_is_judged_by_the_measurement() -> None:
    p = Prediction("q", (Choice("a", 1), Choice("b", 0), Choice("c")), "{threads.wall_s}")
    assert p.judge([_verdict(True), _verdict(False)]) == 1
    assert p.judge([_verdict(False), _verdict(True)]) == 0
    assert p.judge([_verdict(False), _verdict(None)]) is None
    assert p.judge([_verdict(True), _verdict(True)]) is None  # the measurement fits two answers: no answer
