"""Lesson and code commands of the command line: `conclab lessons`, `conclab lesson ID`, `conclab code PLAN`.

`conclab lesson` runs a lesson in the lab and prints each claim's verdict with the measured numbers and
what was checked; its exit status is 0 when every applicable claim held, 1 when one did not, 2 for a bad
id or a broken file, and 130/143 when Ctrl+C or SIGTERM stopped it.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from conclab.cli.common import load_plan_arg
from conclab.cli.exports_cmd import write_json_text
from conclab.model.errors import ConclabError
from conclab.model.lesson_result import document_with_lesson, lesson_result
from conclab.model.lesson_runs import Unmade, runnable
from conclab.model.lessons import Lesson, get_lesson, load_lessons
from conclab.model.run import RunDocument
from conclab.model.runfile import to_dict
from conclab.model.session_spec import SessionRequest
from conclab.model.trace import MODELS

EXIT_HELD = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


def runnable_here(lesson: Lesson) -> tuple[SessionRequest, list[Unmade]]:
    """The lesson's runs this command can measure, and the ones it cannot (inside the window, or on an
    interpreter this machine does not have), each with the reason."""
    from conclab.engines.interpreters import resolve

    return runnable(lesson.request(), resolve, window=False)


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
    """Run one lesson (in the lab, like every measured run) and print its verdicts."""
    from conclab.cli.session_runner import exit_status, run_request

    lesson = get_lesson(args.id)
    out = sys.stderr if args.json == "-" else sys.stdout
    print(f"{lesson.title}: {lesson.plan_text}", file=out)
    print(lesson.question, file=out)
    request, notes = runnable_here(lesson)
    for note in notes:
        print(f"not measured here: {note}", file=out)
    stopped_by = None
    if request.runs:
        doc, stopped_by = run_request(request, args.runtime)
    else:
        doc = RunDocument(lesson.plan_text, {}, {}, [])
    result = lesson_result(lesson, doc, None)
    for line in result.lines():
        print(line, file=out)
    if result.prediction is not None:
        print(result.prediction.sentence, file=out)
    print(result.status, file=out)
    if result.complete and lesson.explanation:
        print(lesson.explanation, file=out)
    if args.json:
        write_json_text(json.dumps(document_with_lesson(to_dict(doc), result), ensure_ascii=False), args.json)
    if args.png or args.svg:
        from conclab.ui.exports.document_page import render_document

        render_document(doc, png=args.png, svg=args.svg, scale=args.scale, lesson=result)
    if stopped_by is not None:
        print("stopped: the verdicts above use what was measured before the stop", file=sys.stderr)
        return exit_status(stopped_by)
    return EXIT_FAILED if result.failed else EXIT_HELD


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
    one.add_argument("--png", metavar="PATH", help="also write the lesson page (question, timelines, verdicts, "
                     "metrics, explanation) as PNG")
    one.add_argument("--svg", metavar="PATH", help="also write the lesson page as SVG")
    one.add_argument("--scale", type=int, choices=(1, 2, 3), default=2, help="PNG pixel scale (default 2)")
    one.add_argument("--runtime", choices=("lab", "plain"), default="lab",
                     help="lab: a separate measuring process (default); plain: in this process")
    one.set_defaults(func=cmd_lesson)
    code = subparsers.add_parser("code", help="print a standalone Python script that runs a plan")
    code.add_argument("plan", help="plan text (e.g. '3x sleep 200ms') or a .plan file")
    code.add_argument("--model", required=True, choices=MODELS, help="the model the script uses")
    code.add_argument("--workers", type=int, default=None, help="pool size (default: per model)")
    code.set_defaults(func=cmd_code)
