"""The command-line face: headless runs, lessons, code generation, exports and the self-test.

Every bad input ends in a one-line message and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from conclab import __version__
from conclab.model.errors import ConclabError
from conclab.model.plan import Plan
from conclab.model.run import ModelRun, RunDocument
from conclab.model.trace import MODELS

SUBCOMMANDS = ("run", "lessons", "lesson", "code", "show")


class UsageError(ConclabError):
    """A bad command line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def load_plan_arg(arg: str) -> Plan:
    """PLAN is plan text, or the path of a `.plan` file."""
    from conclab.model.plan_text import parse

    text = arg
    if arg.endswith(".plan") or is_plan_file(arg):
        path = Path(arg)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read plan file {arg}: {exc}") from None
    return parse(text)


def is_plan_file(arg: str) -> bool:
    """Whether a PLAN argument names an existing file (plan text can be too long to be a path)."""
    if "\n" in arg or len(arg) > 4096:
        return False
    try:
        return Path(arg).is_file()
    except (OSError, ValueError):
        return False


def parse_models(arg: str) -> list[str]:
    models = [m.strip() for m in arg.split(",") if m.strip()]
    for m in models:
        if m not in MODELS:
            raise UsageError(f"unknown model {m!r} (choose from {', '.join(MODELS)})")
    if not models:
        raise UsageError("no model given")
    return models


ROWS: tuple[tuple[str, str, str], ...] = (
    ("wall time", "wall_s", "{:.3f} s"),
    ("speedup vs serial", "speedup", "{:.2f}x"),
    ("efficiency", "efficiency", "{:.0%}"),
    ("cores used", "cores_used", "{:.2f}"),
    ("ready but waiting", "ready_wait_s", "{:.3f} s"),
    ("loop lag p99", "lag_p99_ms", "{:.1f} ms"),
    ("loop lag max", "lag_max_ms", "{:.1f} ms"),
    ("frozen", "frozen_s", "{:.3f} s"),
    ("context switches", "ctx_switches", "{:.0f}"),
    ("peak memory", "peak_rss_mb", "{:.0f} MB"),
    ("tasks done", "tasks_done", "{:.0f}"),
    ("tasks failed", "tasks_failed", "{:.0f}"),
    ("tasks cancelled", "tasks_cancelled", "{:.0f}"),
    ("start-up (not in wall)", "startup_s", "{:.3f} s"),
)


def format_table(runs: Sequence[ModelRun]) -> str:
    head = ["", *[f"{r.model} ({r.workers or '∞'})" if r.model != "sequential" else r.model for r in runs]]
    rows = [head]
    for label, key, fmt in ROWS:
        rows.append([label, *[fmt.format(r.metrics.get(key, 0.0)) for r in runs]])
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = []
    for n, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("-" * len(lines[0]))
    return "\n".join(lines)


def _failures(doc: RunDocument) -> list[str]:
    out = []
    for r in doc.runs:
        for t in r.tasks:
            if t.state == "failed":
                out.append(f"{r.model}: task {t.name} failed: {t.error}")
    return out


def cmd_run(args: argparse.Namespace) -> int:
    from conclab.cli_exports import check_export_args, write_json

    check_export_args(args)
    plan = load_plan_arg(args.plan)
    models = parse_models(args.models)
    from conclab.engines.headless import run_models, run_plan
    from conclab.engines.runtime import check_workers

    for m in models:
        check_workers(m, args.workers)
    detail = not args.no_trace
    if args.runtime == "plain":
        doc = run_plan(plan, models, args.workers, detail=detail)
    else:
        from conclab.engines.runtime import Runtime
        from conclab.ui.qt_runtime import qthread_factory, run_on_qt_loop

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
        for line in _failures(doc):
            print(line)
    if args.json:
        write_json(doc, args.json)
    from conclab.cli_exports import write_exports

    write_exports(args, doc)
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="conclab", description="Concurrency Lab: asyncio, threads and processes, measured.")
    p.add_argument("--version", action="version", version=f"conclab {__version__}")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)
    r = sub.add_parser("run", help="run a plan headless under one or several models")
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
    from conclab.cli_exports import add_export_args, add_show_command
    from conclab.cli_lessons import add_lesson_commands

    add_export_args(r)
    add_show_command(sub)
    add_lesson_commands(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args_in = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(args_in)
        if getattr(args, "func", None) is None:
            parser.print_help()
            return 2
        return int(args.func(args))
    except ConclabError as exc:
        print(f"conclab: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`conclab run … | head`): not an error worth a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
