"""`conclab inside RUN.json --model M --at SECONDS [--json | --png OUT | --svg OUT]`: one instant of a saved run.

Without an option it prints the instant in words, box by box, as the Inside panel shows it; `--json`
prints the snapshot as data (tasks named as the user named them); `--png`/`--svg` write the slide of
that instant. A run file that cannot be read, a model the file does not hold, or an instant outside
the run is a one-line message and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import math
from typing import Any

from conclab.cli.common import UsageError
from conclab.model.inside import InsideIndex, cpus_of, plan_of, to_json_dict
from conclab.model.run import ModelRun, RunDocument
from conclab.model.runfile import load_run_file


def pick_run(doc: RunDocument, model: str | None) -> int:
    """The index of the run named `model` (its label or its model), or of the only run when none is named."""
    if not doc.runs:
        raise UsageError("the run file holds no model runs")
    names = [r.name for r in doc.runs]
    if model is None:
        if len(doc.runs) == 1:
            return 0
        raise UsageError(f"the file holds several runs: choose one with --model ({', '.join(names)})")
    for i, run in enumerate(doc.runs):
        if model in (run.name, run.label):
            return i
    matches = [i for i, run in enumerate(doc.runs) if run.model == model]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise UsageError(f"several runs of {model}: name one by its label ({', '.join(names)})")
    raise UsageError(f"no run of {model!r} in the file (it holds: {', '.join(names)})")


def run_end(run: ModelRun) -> float:
    return max([s.t1 for s in run.spans] + [t for t, _ in run.lag], default=0.0)


def check_instant(run: ModelRun, at: float) -> float:
    end = run_end(run)
    if not math.isfinite(at) or not 0.0 <= at <= end:
        raise UsageError(f"--at {at:g} is outside the {run.name} run: it lasts from 0 to {end:.3f} s")
    return at


def cmd_inside(args: argparse.Namespace) -> int:
    outputs = [name for name in ("json", "png", "svg") if getattr(args, name)]
    if len(outputs) > 1:
        raise UsageError("choose one of --json, --png and --svg")
    doc = load_run_file(args.run)
    index = pick_run(doc, args.model)
    run = doc.runs[index]
    at = check_instant(run, args.at)
    if args.png or args.svg:
        from conclab.ui.shell.qt_app import ensure_app

        ensure_app(offscreen=True)
        from conclab.ui.inside.slide_export import document_slide

        document_slide(doc, index, at, args.png or args.svg)
        return 0
    inside = InsideIndex(run, plan_of(doc)).at(at, cpus_of(doc))
    if args.json:
        print(json.dumps(to_json_dict(inside), indent=2, ensure_ascii=False))
        return 0
    from conclab.ui.inside.picture import picture_of, picture_text

    print(picture_text(picture_of(inside, run.name)))
    return 0


def _seconds(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None


def add_inside_command(subparsers: Any) -> argparse.ArgumentParser:
    """Add `inside RUN.json --model M --at SECONDS [--json | --png OUT | --svg OUT]`."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "inside", help="what the event loop, the GIL and the cores did at one instant of a saved run")
    p.add_argument("run", metavar="RUN.json", help="a run saved with --json or from the window")
    p.add_argument("--model", help="the run to look into: its model or label (needed when the file has several)")
    p.add_argument("--at", type=_seconds, required=True, metavar="SECONDS",
                   help="the instant, in seconds from the run's start")
    p.add_argument("--json", action="store_true", help="print the instant as JSON")
    p.add_argument("--png", metavar="OUT", help="write a 16:9 slide of the instant as PNG")
    p.add_argument("--svg", metavar="OUT", help="write a 16:9 slide of the instant as SVG")
    p.set_defaults(func=cmd_inside)
    return p
