"""Starts the window: QApplication, the qasync loop, settings, and a clean shutdown."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from time import perf_counter

T0 = perf_counter()


def _parse_args(args: Sequence[str]) -> Path | None:
    plan_path: Path | None = None
    for a in args:
        if a.startswith("-"):
            raise SystemExit(f"conclab: unknown option {a!r} (see conclab --help)")
        if plan_path is not None:
            raise SystemExit("conclab: give at most one plan file to open")
        plan_path = Path(a)
        if not plan_path.is_file():
            raise SystemExit(f"conclab: no such plan file: {a}")
    return plan_path


def run_app(args: Sequence[str]) -> int:
    """Open the main window and run the Qt event loop (with asyncio on it) until it closes."""
    try:
        plan_path = _parse_args(args)
    except SystemExit as exc:
        print(exc, file=sys.stderr)
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
    app.setApplicationName(APP_NAME)
    app.setOrganizationName("conclab")
    QGuiApplication.setDesktopFileName(APP_ID)
    try:
        app.setWindowIcon(QIcon(str(resource("icons", "conclab.svg"))))
    except Exception:
        pass
    store = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "conclab", "conclab")

    async def main() -> None:
        window = MainWindow(store, plan_path)
        quit_event = asyncio.Event()
        app.aboutToQuit.connect(quit_event.set)
        window.closed.connect(quit_event.set)
        window.show()
        if os.environ.get("CONCLAB_QUIT_WHEN_SHOWN"):
            def report() -> None:
                print(f"shown {perf_counter() - T0:.3f}", flush=True)
                window.close()

            QTimer.singleShot(0, report)
        await quit_event.wait()
        await window.controller.wait()
        window.controller.shutdown()

    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        runner.run(main())
    return 0
