"""Lesson and code commands of the command line: `conclab lessons`, `conclab lesson ID`, `conclab code PLAN`.

`conclab lesson` runs a lesson headless and prints each claim's verdict with the measured numbers; its exit
status is 0 when every applicable claim held, 1 when one did not, and 2 for a bad id or a broken file.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from conclab.cli.common import load_plan_arg
from conclab.cli.exports_cmd import write_json
from conclab.model.claims import Verdict, evaluate_all
from conclab.model.errors import ConclabError
from conclab.model.lessons import Lesson, get_lesson, load_lessons
from conclab.model.run import ModelRun, RunDocument
from conclab.model.trace import MODELS

EXIT_HELD = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


def verdict_line(verdict: Verdict) -> str:
    """One printable line: the mark, then the sentence with the measured numbers."""
    sentence = verdict.sentence
    if verdict.held is None:
        sentence = "not applicable here: " + sentence.removeprefix("Not checked: ")
    return f"{verdict.mark} {sentence}"


def shown_verdicts(lesson: Lesson, verdicts: Sequence[Verdict]) -> list[Verdict]:
    """The verdicts of the claims a user sees (hidden claims only decide the prediction)."""
    return [v for c, v in zip(lesson.claims, verdicts, strict=True) if not c.hidden]


def lesson_verdicts(lesson: Lesson, runs: Sequence[ModelRun], machine: dict[str, Any]) -> list[Verdict]:
    """Every claim of the lesson (hidden ones too) checked against these runs."""
    return evaluate_all(lesson.claims, {r.model: r.metrics for r in runs}, machine)


def run_lesson(lesson: Lesson) -> RunDocument:
    """Run the lesson's plan headless under its models and workers, at its switch interval."""
    from conclab.engines.headless import run_plan
    from conclab.engines.runtime import check_workers

    plan = lesson.plan()
    for model in lesson.models:
        check_workers(model, lesson.workers_for(model))
    old_switch = sys.getswitchinterval()
    if lesson.switch_interval_ms is not None:
        sys.setswitchinterval(lesson.switch_interval_ms / 1000)
    try:
        docs = [run_plan(plan, models, workers) for models, workers in lesson.batches()]
    finally:
        sys.setswitchinterval(old_switch)
    first = docs[0]
    runs = [run for doc in docs for run in doc.runs]
    calibration = next((d.calibration for d in docs if d.calibration), first.calibration)
    return RunDocument(first.plan, first.machine, calibration, runs)


def cmd_lessons(args: argparse.Namespace) -> int:
    """List every lesson, one line each (id, then title); broken files go to stderr and exit 2."""
    lessons, errors = load_lessons()
    width = max((len(les.id) for les in lessons), default=0)
    for lesson in lessons:
        print(f"{lesson.id.ljust(width)}  {lesson.title}")
    for err in errors:
        print(f"conclab: broken lesson file {err}", file=sys.stderr)
    return EXIT_BAD_INPUT if errors else EXIT_HELD


def cmd_lesson(args: argparse.Namespace) -> int:
    """Run one lesson headless and print its verdicts."""
    lesson = get_lesson(args.id)
    quiet = args.json == "-"
    out = sys.stderr if quiet else sys.stdout
    print(f"{lesson.title} — {', '.join(lesson.models)}: {lesson.plan_text}", file=out)
    doc = run_lesson(lesson)
    verdicts = lesson_verdicts(lesson, doc.runs, doc.machine)
    for verdict in shown_verdicts(lesson, verdicts):
        print(verdict_line(verdict), file=out)
    if lesson.prediction is not None:
        right = lesson.prediction.judge(verdicts)
        answer = "not decided by this run" if right is None else lesson.prediction.choices[right].text
        print(f"{lesson.prediction.question} Measured answer: {answer}", file=out)
    if args.json:
        write_json(doc, args.json)
    if args.png or args.svg:
        from conclab.ui.exports.document_page import render_document

        render_document(doc, png=args.png, svg=args.svg, scale=args.scale)
    failed = any(v.held is False for v in shown_verdicts(lesson, verdicts))
    return EXIT_FAILED if failed else EXIT_HELD


def cmd_code(args: argparse.Namespace) -> int:
    """Print the standalone script that runs PLAN under one model."""
    from conclab.model.codegen import generate

    plan = load_plan_arg(args.plan)
    if args.workers is not None and args.workers < 1:
        raise ConclabError(f"workers must be at least 1 (got {args.workers})")
    sys.stdout.write(generate(plan, args.model, args.workers))
    return EXIT_HELD


def add_lesson_commands(subparsers: Any) -> None:
    """Add `lessons`, `lesson` and `code` to the `conclab` command's subparsers."""
    ls = subparsers.add_parser("lessons", help="list the guided comparisons (id, then title)")
    ls.set_defaults(func=cmd_lessons)
    one = subparsers.add_parser("lesson", help="run a lesson headless and check its claims")
    one.add_argument("id", help="the lesson's id (see `conclab lessons`)")
    one.add_argument("--json", metavar="PATH", help="also write the run as conclab.run/1 JSON ('-' for stdout)")
    one.add_argument("--png", metavar="PATH", help="also write the comparison (timelines + metrics) as PNG")
    one.add_argument("--svg", metavar="PATH", help="also write the comparison as SVG")
    one.add_argument("--scale", type=int, choices=(1, 2, 3), default=2, help="PNG pixel scale (default 2)")
    one.set_defaults(func=cmd_lesson)
    code = subparsers.add_parser("code", help="print a standalone Python script that runs a plan")
    code.add_argument("plan", help="plan text (e.g. '3x sleep 200ms') or a .plan file")
    code.add_argument("--model", required=True, choices=MODELS, help="the model the script uses")
    code.add_argument("--workers", type=int, default=None, help="pool size (default: per model)")
    code.set_defaults(func=cmd_code)
