"""The composition root: `main()` dispatches to the command line or opens the window.

Qt is imported only when a window or a picture is wanted, so `conclab run`, the lab process and the
process-pool children (which re-import the launcher under `spawn`) stay light.
"""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    multiprocessing.freeze_support()
    args = list(sys.argv[1:] if argv is None else argv)
    from conclab.cli import SUBCOMMANDS

    if args and args[0] == "--lab":
        # A frozen bundle has no `python -m`: it starts its lab by re-running itself with --lab.
        from conclab.engines.lab import main as lab_main

        return lab_main()
    if args and args[0] == "--self-test":
        from conclab.cli.selftest import run_self_test

        return run_self_test()
    if args and args[0] in ("--install-desktop-entry", "--uninstall-desktop-entry"):
        from conclab.desktop_entry import main_install_cli

        return main_install_cli(args)
    if args and (args[0] in SUBCOMMANDS or args[0] in ("-h", "--help", "--version")):
        from conclab.cli import main as cli_main

        return cli_main(args)
    return _open_window(args)


def _open_window(args: list[str]) -> int:
    from conclab.cli.window_args import parse_window_args
    from conclab.model.errors import ConclabError
    from conclab.ui.shell.boot import run_app

    try:
        opts = parse_window_args(args)
    except ConclabError as exc:
        print(f"conclab: {exc}", file=sys.stderr)
        return 2
    return run_app(opts)
