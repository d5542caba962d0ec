"""The command-line face: runs, lessons, code generation, exports, the inside view and the self-test.

Every bad input ends in a one-line message and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from conclab import __version__
from conclab.cli.common import Parser
from conclab.cli.exports_cmd import add_show_command
from conclab.cli.inside_cmd import add_inside_command
from conclab.cli.lessons_cmd import add_lesson_commands
from conclab.cli.run_cmd import add_run_command
from conclab.cli.window_args import window_help
from conclab.model.errors import ConclabError

SUBCOMMANDS = ("run", "lessons", "lesson", "code", "show", "inside")


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="conclab", description="Concurrency Lab: asyncio, threads and processes, measured.",
               epilog=window_help(), formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"conclab {__version__}")
    sub = p.add_subparsers(dest="command", parser_class=Parser)
    add_run_command(sub)
    add_show_command(sub)
    add_lesson_commands(sub)
    add_inside_command(sub)
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
