"""Starts the window: the application, its loop, settings, a scripted run if asked, and a clean shutdown."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter
from typing import TYPE_CHECKING

from conclab.model.errors import ConclabError
from conclab.model.run import RunDocument

if TYPE_CHECKING:
    from conclab.ui.shell.main_window import MainWindow

T0 = perf_counter()


@dataclass
class LaunchOptions:
    """Window options from the command line: a plan to open, and an optional scripted run."""

    plan_path: Path | None = None
    run: bool = False
    models: list[str] | None = None
    runtime: str | None = None  # "lab" or "window"; None: the choice remembered in settings
    screenshot: Path | None = None
    save_run: Path | None = None
    quit_after_run: bool = False


def run_app(opts: LaunchOptions) -> int:
    """Open the main window and run the Qt event loop (with asyncio on it) until it closes."""
    from PySide6.QtCore import QSettings, QTimer

    from conclab.ui.shell.main_window import MainWindow
    from conclab.ui.shell.qt_app import ensure_app, run_on_loop

    app = ensure_app()
    store = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "conclab", "conclab")
    status: list[int] = [0]

    async def main() -> None:
        window = MainWindow(store, opts.plan_path)
        quit_event = asyncio.Event()
        app.aboutToQuit.connect(quit_event.set)
        window.closed.connect(quit_event.set)
        window.show()
        window.controller.warm_up()
        if os.environ.get("CONCLAB_QUIT_WHEN_SHOWN"):
            def report() -> None:
                print(f"shown {perf_counter() - T0:.3f}", flush=True)
                window.close()

            QTimer.singleShot(0, report)
        _close_on_sigterm(window)
        if opts.run:
            QTimer.singleShot(300, lambda: _scripted_run(window, opts, status))
        await quit_event.wait()
        await window.controller.wait()
        window.controller.shutdown()

    run_on_loop(main, app)
    return status[0]


def _scripted_run(window: MainWindow, opts: LaunchOptions, status: list[int]) -> None:
    """`--run`: press Run exactly as a user does; afterwards save the run, screenshot and close, as asked."""
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QGuiApplication

    from conclab.model.session_spec import Runtime

    if opts.models:
        window.controls.set_models(opts.models)
    if opts.runtime:
        window.controls.set_runtime(Runtime(opts.runtime))

    def after(doc: RunDocument) -> None:
        if opts.save_run is not None:
            try:
                window.run_files.write_run(doc, opts.save_run)
                print(f"saved run {opts.save_run}", flush=True)
            except ConclabError as exc:
                print(f"conclab: {exc}", file=sys.stderr, flush=True)
                status[0] = 1

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

    window.run_finished.connect(after)
    before = window.controller.current
    window.run_action.trigger()
    if window.controller.current is before:  # Run refused (an error in the plan, nothing to run)
        print(f"conclab: not run: {window.statusBar().currentMessage()}", file=sys.stderr, flush=True)
        status[0] = 2
        if opts.quit_after_run:
            window.close()


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
