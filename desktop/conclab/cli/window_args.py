"""`conclab [PLAN.plan] [--run] [--models …] …`: the window's command line, parsed into LaunchOptions."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from conclab.cli.common import Parser, UsageError, is_plan_file, parse_models
from conclab.ui.shell.boot import LaunchOptions


def parse_window_args(args: Sequence[str]) -> LaunchOptions:
    """The window's options; raises UsageError (a one-line message) for anything wrong."""
    p = Parser(prog="conclab", description="Open the Concurrency Lab window (see also: conclab --help).")
    p.add_argument("plan", nargs="?", help="a .plan file to open")
    p.add_argument("--run", action="store_true", help="run the plan as soon as the window is shown")
    p.add_argument("--models", help="comma-separated models to run (default: the last ones chosen)")
    p.add_argument("--runtime", choices=("lab", "window"),
                   help="where runs are measured: lab (a process the window only watches) or window (the "
                        "window's own loop and QThreads); default: the last choice")
    p.add_argument("--save-run", metavar="JSON", help="after the run, save it as a conclab.run/1 file")
    p.add_argument("--screenshot", metavar="PNG", help="after the run, save a screenshot of the screen")
    p.add_argument("--quit-after-run", action="store_true", help="close the window when the run is done")
    ns: argparse.Namespace = p.parse_args(list(args))
    opts = LaunchOptions(run=ns.run, quit_after_run=ns.quit_after_run, runtime=ns.runtime)
    if ns.save_run:
        opts.save_run = Path(ns.save_run)
    if ns.plan:
        opts.plan_path = Path(ns.plan)
        if not is_plan_file(ns.plan):
            raise UsageError(f"no such plan file: {ns.plan}")
    if ns.models:
        opts.models = parse_models(ns.models)
    if ns.screenshot:
        opts.screenshot = Path(ns.screenshot)
    return opts
