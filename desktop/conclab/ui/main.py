"""Starts the window: QApplication, the qasync loop, settings, and a clean shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conclab.ui.main_window import MainWindow

T0 = perf_counter()


@dataclass
class LaunchOptions:
    """Window options from the command line: a plan to open, and an optional scripted run."""

    plan_path: Path | None = None
    run: bool = False
    models: list[str] | None = None
    screenshot: Path | None = None
    quit_after_run: bool = False


def _parse_args(args: Sequence[str]) -> LaunchOptions:
    import argparse

    from conclab.cli import UsageError, _Parser, parse_models

    p = _Parser(prog="conclab", description="Open the Concurrency Lab window (see also: conclab --help).")
    p.add_argument("plan", nargs="?", help="a .plan file to open")
    p.add_argument("--run", action="store_true", help="run the plan as soon as the window is shown")
    p.add_argument("--models", help="comma-separated models to run (default: the last ones chosen)")
    p.add_argument("--screenshot", metavar="PNG", help="after the run, save a screenshot of the screen")
    p.add_argument("--quit-after-run", action="store_true", help="close the window when the run is done")
    ns: argparse.Namespace = p.parse_args(list(args))
    opts = LaunchOptions(run=ns.run, quit_after_run=ns.quit_after_run)
    if ns.plan:
        from conclab.cli import is_plan_file

        opts.plan_path = Path(ns.plan)
        if not is_plan_file(ns.plan):
            raise UsageError(f"no such plan file: {ns.plan}")
    if ns.models:
        opts.models = parse_models(ns.models)
    if ns.screenshot:
        opts.screenshot = Path(ns.screenshot)
    return opts


def run_app(args: Sequence[str]) -> int:
    """Open the main window and run the Qt event loop (with asyncio on it) until it closes."""
    from conclab.model.errors import ConclabError

    try:
        opts = _parse_args(args)
    except ConclabError as exc:
        print(f"conclab: {exc}", file=sys.stderr)
        return 2
    import qasync
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtGui import QGuiApplication, QIcon
    from PySide6.QtWidgets import QApplication

    from conclab import APP_ID, APP_NAME
    from conclab.model.resources import resource
    from conclab.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(app, QApplication)
    # The window's `closed` signal ends the loop; letting Qt quit on its own would stop qasync's
    # loop before shutdown (stopping a run, the loopback server) has finished.
    app.setQuitOnLastWindowClosed(False)
    # The application name is what X11 reports as the window class: it must be the id the desktop
    # entry's StartupWMClass names, so the menu and the running window are matched.
    app.setApplicationName(APP_ID)
    app.setApplicationDisplayName(APP_NAME)
    app.setOrganizationName("conclab")
    QGuiApplication.setDesktopFileName(APP_ID)
    with contextlib.suppress(Exception):
        app.setWindowIcon(QIcon(str(resource("icons", "conclab.svg"))))
    store = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "conclab", "conclab")

    async def main() -> None:
        window = MainWindow(store, opts.plan_path)
        quit_event = asyncio.Event()
        app.aboutToQuit.connect(quit_event.set)
        window.closed.connect(quit_event.set)
        window.show()
        if os.environ.get("CONCLAB_QUIT_WHEN_SHOWN"):
            def report() -> None:
                print(f"shown {perf_counter() - T0:.3f}", flush=True)
                window.close()

            QTimer.singleShot(0, report)
        _close_on_sigterm(window)
        if opts.run:
            QTimer.singleShot(300, lambda: _scripted_run(window, opts))
        await quit_event.wait()
        await window.controller.wait()
        window.controller.shutdown()

    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        runner.run(main())
    return 0


def _scripted_run(window: MainWindow, opts: LaunchOptions) -> None:
    """`--run`: press Run; afterwards optionally screenshot the screen and close."""
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QGuiApplication

    if opts.models:
        window.controls.set_models(opts.models)

    def after(_doc: object) -> None:
        def finish() -> None:
            if opts.screenshot is not None:
                screen = window.screen() or QGuiApplication.primaryScreen()
                shot = screen.grabWindow(0)
                if shot.isNull() or not shot.save(str(opts.screenshot)):
                    window.grab().save(str(opts.screenshot))
                print(f"screenshot {opts.screenshot}", flush=True)
            if opts.quit_after_run:
                window.close()

        QTimer.singleShot(500, finish)

    window.controller.run_finished.connect(after)
    window.controls.request_run()


def _close_on_sigterm(window: MainWindow) -> None:
    """SIGTERM (a logout, `kill`) closes the window like the close button: the run stops, settings and
    the plan are kept, the loopback server stops. Python handles signals between bytecodes only, so a
    timer keeps Python code running on the Qt loop often enough to notice one."""
    import signal

    from PySide6.QtCore import QTimer

    asked: list[int] = []
    try:
        signal.signal(signal.SIGTERM, lambda signum, _frame: asked.append(signum))
    except ValueError:  # not the main thread (embedded use): leave signals alone
        return

    def poll() -> None:
        if asked:
            asked.clear()
            window.editor.mark_saved()  # no modal question at logout; the plan text stays in settings
            window.close()

    timer = QTimer(window)
    timer.setInterval(100)
    timer.timeout.connect(poll)
    timer.start()
    window.closed.connect(timer.stop)
