"""Command-line exports: `--png/--svg/--trace/--csv` for `conclab run`, and `conclab show RUN.json`.

Traces and CSV need no Qt; pictures are drawn offscreen (`conclab.ui.exports.document_page`), so
everything works without a display. Every problem (unreadable run file, unwritable path) is a
ConclabError with a message, which the command line turns into exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from conclab.cli.table import format_table
from conclab.model.errors import ConclabError
from conclab.model.run import RunDocument
from conclab.model.runfile import load_run_file


def write_json(doc: RunDocument, dest: str) -> None:
    """The run as `conclab.run/1` JSON, to a file (written safely) or to stdout for '-'."""
    from conclab.model.runfile import dumps

    write_json_text(dumps(doc), dest)


def write_json_text(text: str, dest: str) -> None:
    """JSON text to a file (written safely) or to stdout for '-'."""
    from conclab.model.fileio import atomic_write_text

    if dest == "-":
        sys.stdout.write(text + "\n")
    else:
        atomic_write_text(dest, text)


def add_export_args(parser: argparse.ArgumentParser) -> None:
    """Add the export options to a `run` (or `show`) sub-command parser."""
    group = parser.add_argument_group("exports")
    group.add_argument("--png", metavar="PATH", help="write a PNG picture of the timeline and metrics")
    group.add_argument("--scale", type=int, choices=(1, 2, 3), default=1,
                       help="pixel scale of the PNG: 2 or 3 for sharp pictures on slides (default 1)")
    group.add_argument("--svg", metavar="PATH", help="write an SVG picture of the timeline and metrics")
    group.add_argument("--trace", metavar="PATH",
                       help="write a Chrome trace (open it in ui.perfetto.dev or chrome://tracing)")
    group.add_argument("--csv", metavar="PATH", help="write every span as a CSV row")
    group.add_argument("--no-footer", dest="footer", action="store_false",
                       help="leave the provenance footer (plan, Python, GIL, CPUs, OS, date) off pictures")


def write_exports(args: argparse.Namespace, doc: RunDocument) -> None:
    """Write every export the options ask for; raises WriteError (a ConclabError) if one cannot be written."""
    from conclab.model.fileio import atomic_write_text

    check_export_args(args)
    if getattr(args, "trace", None):
        from conclab.model.chrome_trace import dumps as trace_dumps

        atomic_write_text(args.trace, trace_dumps(doc))
    if getattr(args, "csv", None):
        from conclab.model.csv_export import to_csv

        atomic_write_text(args.csv, to_csv(doc))
    png, svg = getattr(args, "png", None), getattr(args, "svg", None)
    if png or svg:
        from conclab.ui.exports.document_page import render_document

        render_document(doc, png=png, svg=svg, scale=int(getattr(args, "scale", 1) or 1),
                        footer=bool(getattr(args, "footer", True)))


def cmd_show(args: argparse.Namespace) -> int:
    """`conclab show RUN.json`: print the saved run's table, and write any exports asked for."""
    doc = load_run_file(args.run)

    if doc.runs:
        print(format_table(doc.runs))
    else:
        print("the run holds no model runs")
    write_exports(args, doc)
    return 0


def add_show_command(subparsers: Any) -> argparse.ArgumentParser:
    """Add `show RUN.json [--png PATH] [--svg PATH] …` to the command line's sub-commands."""
    show: argparse.ArgumentParser = subparsers.add_parser(
        "show", help="show a saved run (conclab.run/1 JSON) and export it as pictures, trace or CSV")
    show.add_argument("run", metavar="RUN.json", help="a run saved with --json or from the window")
    add_export_args(show)
    show.set_defaults(func=cmd_show)
    return show


def check_export_args(args: argparse.Namespace) -> None:
    """Reject exports that would overwrite each other before a long run starts."""
    paths = [getattr(args, n) for n in ("png", "svg", "trace", "csv", "json") if getattr(args, n, None)]
    paths = [p for p in paths if p != "-"]
    resolved = [str(Path(p).resolve()) for p in paths]
    if len(set(resolved)) != len(resolved):
        raise ConclabError("two exports would write the same file; give each its own path")
