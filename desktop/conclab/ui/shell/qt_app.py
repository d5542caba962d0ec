"""The one way the app makes its QApplication and runs asyncio on the Qt loop.

The window, the self-test, offscreen pictures and runs made inside a Qt process all start here, so
the application's identity, its fonts and the event loop (qasync with asyncio's own timer heap) are
the same everywhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication

from conclab import APP_ID, APP_NAME
from conclab.model.resources import resource
from conclab.ui.shell.qt_loop import TimerHeapEventLoop
from conclab.ui.shell.qt_messages import silence_plugin_noise

T = TypeVar("T")
_made: list[QApplication] = []  # an application made here lives as long as the process


def ensure_app(offscreen: bool = False) -> QApplication:
    """The running QApplication, or a new one (offscreen when asked and no platform was chosen)."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    if offscreen:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    silence_plugin_noise()
    app = QApplication([sys.argv[0] if sys.argv and sys.argv[0] else "conclab"])
    # The window's `closed` signal ends the loop; letting Qt quit on its own would stop the loop before
    # shutdown (stopping a run, the labs) has finished.
    app.setQuitOnLastWindowClosed(False)
    # The application name is what X11 reports as the window class: it must be the id the desktop
    # entry's StartupWMClass names, so the menu and the running window are matched.
    app.setApplicationName(APP_ID)
    app.setApplicationDisplayName(APP_NAME)
    app.setOrganizationName("conclab")
    QGuiApplication.setDesktopFileName(APP_ID)
    with contextlib.suppress(Exception):
        app.setWindowIcon(QIcon(str(resource("icons", "conclab.svg"))))
    load_fonts()
    _made.append(app)
    return app


def load_fonts() -> None:
    """Load the fonts the app ships, so the window and every export look the same on every machine."""
    from conclab.ui.fonts import install_fonts

    install_fonts()


def run_on_loop(main: Callable[[], Awaitable[T]], app: QApplication | None = None) -> T:
    """Run a coroutine on the Qt loop with asyncio on it, until it returns."""
    app = app or ensure_app()
    box: list[T] = []

    async def inner() -> None:
        box.append(await main())

    # The result stays out of the runner's main task: on leaving, asyncio's runner formats its SIGINT
    # handler, and with it that task and its result — for a run document of 100,000 tasks, seconds.
    with asyncio.Runner(loop_factory=lambda: TimerHeapEventLoop(app)) as runner:
        runner.run(inner())
    return box[0]
