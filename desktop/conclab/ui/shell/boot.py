"""Starts the window: QApplication, the qasync loop, settings, and a clean shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conclab.ui.shell.main_window import MainWindow

T0 = perf_counter()


@dataclass
class LaunchOptions:
    """Window options from the command line: a plan to open, and an optional scripted run."""

    plan_path: Path | None = None
    run: bool = False
    models: list[str] | None = None
    screenshot: Path | None = None
    quit_after_run: bool = False


def run_app(opts: LaunchOptions) -> int:
    """Open the main window and run the Qt event loop (with asyncio on it) until it closes."""
    import qasync
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtGui import QGuiApplication, QIcon
    from PySide6.QtWidgets import QApplication

    from conclab import APP_ID, APP_NAME
    from conclab.model.resources import resource
    from conclab.ui.shell.main_window import MainWindow

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
