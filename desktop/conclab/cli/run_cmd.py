"""`conclab run PLAN`: run a plan under one or several models (and Pythons) and print what was measured."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from conclab.cli.common import UsageError, parse_models, read_plan_arg
from conclab.cli.exports_cmd import add_export_args, check_export_args, write_exports, write_json
from conclab.cli.session_runner import RUNTIMES, exit_status, run_request
from conclab.cli.table import failures, format_table, speedup_note
from conclab.model.plan_text import format_plan, parse
from conclab.model.session_spec import RunSpec, SessionRequest


def python_runs(models: list[str], workers: int | None, pythons: str | None) -> tuple[RunSpec, ...]:
    """Each model under each interpreter asked for (`--python 3.12,3.13` or paths), labelled apart."""
    if not pythons:
        return tuple(RunSpec(m, workers) for m in models)
    from conclab.engines.interpreters import resolve

    specs = [p.strip() for p in pythons.split(",") if p.strip()]
    if not specs:
        raise UsageError("--python names no interpreter")
    found = [resolve(spec) for spec in specs]
    several = len(found) > 1
    return tuple(RunSpec(m, workers, python=i.executable, label=f"{m} · {i.label}" if several else "")
                 for i in found for m in models)


def cmd_run(args: argparse.Namespace) -> int:
    check_export_args(args)
    plan = parse(read_plan_arg(args.plan))
    models = parse_models(args.models)
    from conclab.engines.runtime import check_workers

    for m in models:
        check_workers(m, args.workers)
    if args.python and args.runtime != "lab":
        raise UsageError("--python runs in the lab: leave --runtime at its default")
    request = SessionRequest(format_plan(plan), python_runs(models, args.workers, args.python),
                             detail=not args.no_trace)
    doc, stopped_by = run_request(request, args.runtime)
    if args.json != "-":
        print(format_table(doc.runs))
        print(speedup_note(doc.runs))
        overhead = doc.calibration.get("recording_overhead")
        if isinstance(overhead, float):
            print(f"measurement overhead on cpu work: {overhead:+.1%} (measured at calibration)")
        for line in failures(doc):
            print(line)
    if stopped_by is not None:
        print("stopped: the numbers above are what was measured before the stop", file=sys.stderr)
    if args.json:
        write_json(doc, args.json)
    write_exports(args, doc)
    return exit_status(stopped_by)


def add_run_command(subparsers: Any) -> None:
    """Add `run PLAN [--models …] [--workers N] [--python …] [--runtime …] [--json …] [exports]`."""
    r = subparsers.add_parser("run", help="run a plan under one or several models and print what was measured")
    r.add_argument("plan", help="plan text (e.g. '3x sleep 200ms') or a .plan file")
    r.add_argument("--models", default="sequential,asyncio,threads,processes",
                   help="comma-separated: sequential,asyncio,threads,processes")
    r.add_argument("--workers", type=int, default=None, help="worker threads/processes (default: per model)")
    r.add_argument("--python", metavar="VERSIONS",
                   help="run under these Pythons too: versions (3.12,3.13t) or paths, comma-separated")
    r.add_argument("--runtime", choices=RUNTIMES, default="lab",
                   help="lab: a separate measuring process (default); plain: in this process, plain threads "
                        "and asyncio; qt: in this process, QThreads on the Qt loop, as inside the window")
    r.add_argument("--no-trace", action="store_true",
                   help="record only each task's start and end (to measure what full recording costs)")
    r.add_argument("--json", metavar="PATH", help="write the run as conclab.run/1 JSON ('-' for stdout)")
    r.set_defaults(func=cmd_run)
    add_export_args(r)
