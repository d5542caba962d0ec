"""`conclab run PLAN`: run a plan under one or several models and print (and export) what was measured."""

from __future__ import annotations

import argparse
from typing import Any

from conclab.cli.common import load_plan_arg, parse_models
from conclab.cli.exports_cmd import add_export_args, check_export_args, write_exports, write_json
from conclab.cli.table import failures, format_table


def cmd_run(args: argparse.Namespace) -> int:
    check_export_args(args)
    plan = load_plan_arg(args.plan)
    models = parse_models(args.models)
    from conclab.engines.headless import run_models, run_plan
    from conclab.engines.runtime import Runtime, check_workers

    for m in models:
        check_workers(m, args.workers)
    detail = not args.no_trace
    if args.runtime == "plain":
        doc = run_plan(plan, models, args.workers, detail=detail)
    else:
        from conclab.ui.shell.qt_runtime import qthread_factory, run_on_qt_loop

        runtime = Runtime(qthread_factory, kind="qt")
        try:
            doc = run_on_qt_loop(lambda: run_models(runtime, plan, models, args.workers, detail=detail))
        finally:
            runtime.close()
    if args.json != "-":
        print(format_table(doc.runs))
        overhead = doc.calibration.get("recording_overhead")
        if isinstance(overhead, float):
            print(f"measurement overhead on cpu work: {overhead:+.1%} (measured at calibration)")
        for line in failures(doc):
            print(line)
    if args.json:
        write_json(doc, args.json)
    write_exports(args, doc)
    return 0


def add_run_command(subparsers: Any) -> None:
    """Add `run PLAN [--models …] [--workers N] [--runtime …] [--json …] [exports]`."""
    r = subparsers.add_parser("run", help="run a plan under one or several models and print what was measured")
    r.add_argument("plan", help="plan text (e.g. '3x sleep 200ms') or a .plan file")
    r.add_argument("--models", default="sequential,asyncio,threads,processes",
                   help="comma-separated: sequential,asyncio,threads,processes")
    r.add_argument("--workers", type=int, default=None, help="worker threads/processes (default: per model)")
    r.add_argument("--runtime", choices=("qt", "plain"), default="qt",
                   help="qt: QThreads on a qasync loop, as in the window; plain: threading + asyncio")
    r.add_argument("--no-trace", action="store_true",
                   help="record only each task's start and end (to measure what full recording costs)")
    r.add_argument("--json", metavar="PATH", help="write the run as conclab.run/1 JSON ('-' for stdout)")
    r.set_defaults(func=cmd_run)
    add_export_args(r)
