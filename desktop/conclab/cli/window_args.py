"""`conclab [PLAN.plan | RUN.json] [--run] [--models …] …`: the window's command line, parsed into LaunchOptions."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from conclab.cli.common import Parser, UsageError, is_plan_file, parse_models
from conclab.ui.shell.boot import LaunchOptions

DESKTOP_HELP = """\
desktop and checks:
  conclab --install-desktop-entry    add Concurrency Lab to the desktop's menu (entry, icons, AppStream metainfo)
  conclab --uninstall-desktop-entry  remove it again
  conclab --self-test                open the window offscreen, run every model once and check the result"""


def is_run_file(path: str) -> bool:
    """Whether a FILE argument is a saved run: a .json file, or any file whose text starts as JSON does."""
    if path.lower().endswith(".json"):
        return True
    try:
        with open(path, "rb") as f:
            return f.read(64).lstrip()[:1] == b"{"
    except OSError:
        return False


def window_parser() -> Parser:
    p = Parser(prog="conclab", description="Open the Concurrency Lab window (see also: conclab --help).")
    p.add_argument("file", nargs="?", metavar="PLAN.plan | RUN.json",
                   help="a plan to open, or a saved run (conclab.run/1 JSON) to show as it was recorded")
    p.add_argument("--run", action="store_true", help="run the plan as soon as the window is shown")
    p.add_argument("--models", help="comma-separated models to run (default: the last ones chosen)")
    p.add_argument("--runtime", choices=("lab", "window"),
                   help="where runs are measured: lab (a process the window only watches) or window (the "
                        "window's own loop and QThreads); default: the last choice")
    p.add_argument("--lesson", metavar="ID",
                   help="open a lesson (see: conclab lessons) in the Lessons dock; with --run, run it as its Run "
                        "button does, the prediction left unanswered, and --save-run saves the run with the "
                        "lesson's verdicts (as `conclab lesson ID --json` does); exit 1 when a verdict is ✗")
    p.add_argument("--save-run", metavar="JSON", help="after the run, save it as a conclab.run/1 file")
    p.add_argument("--screenshot", metavar="PNG",
                   help="save a screenshot of the screen after the run (without --run: once the window is shown)")
    p.add_argument("--quit-after-run", action="store_true",
                   help="close the window when the run is done (without --run: after the screenshot)")
    return p


def window_help() -> str:
    """The window's usage and options, for the epilog of `conclab --help`."""
    text = window_parser().format_help()
    usage, _description, rest = text.split("\n\n", 2)
    lines = [line for line in rest.splitlines() if not line.lstrip().startswith("-h, --help")]
    body = "\n".join("  " + line if line else line for line in lines)
    usage = "\n".join("  " + line for line in usage.strip("\n").splitlines())
    return (f"the window (no command):\n{usage}\n  Opens the window, with a plan to edit or a saved run to "
            f"show as it was recorded.\n\n{body.rstrip()}\n\n{DESKTOP_HELP}")


def parse_window_args(args: Sequence[str]) -> LaunchOptions:
    """The window's options; raises UsageError (a one-line message) for anything wrong."""
    ns: argparse.Namespace = window_parser().parse_args(list(args))
    opts = LaunchOptions(run=ns.run, quit_after_run=ns.quit_after_run, runtime=ns.runtime)
    if ns.save_run:
        opts.save_run = Path(ns.save_run)
    if ns.file:
        if not is_plan_file(ns.file):
            raise UsageError(f"no such file: {ns.file}")
        if is_run_file(ns.file):
            if ns.run or ns.save_run:
                raise UsageError(f"{ns.file} is a saved run, shown as it was recorded; --run and --save-run "
                                 "need a plan (.plan) to run")
            opts.run_path = Path(ns.file)
        else:
            opts.plan_path = Path(ns.file)
    if ns.lesson is not None:
        _check_lesson(ns)
        opts.lesson = ns.lesson
    if ns.models:
        opts.models = parse_models(ns.models)
    if ns.screenshot:
        opts.screenshot = Path(ns.screenshot)
    return opts


def _check_lesson(ns: argparse.Namespace) -> None:
    """`--lesson`: a lesson that exists, without what a lesson sets itself (its plan, models and runtimes)."""
    from conclab.model.lessons import LessonError, get_lesson

    clash = [flag for flag, given in (("a plan or run file", ns.file), ("--models", ns.models),
                                      ("--runtime", ns.runtime)) if given]
    if clash:
        raise UsageError(f"--lesson sets its own plan, models and runtimes: leave out {' and '.join(clash)}")
    if ns.save_run and not ns.run:
        raise UsageError("--save-run needs --run: only a run can be saved")
    try:
        get_lesson(ns.lesson)
    except LessonError as exc:
        raise UsageError(f"--lesson: {exc}") from None
