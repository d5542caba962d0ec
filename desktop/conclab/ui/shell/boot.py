"""Starts the window: the application, its loop, settings, a plan or a saved run given on the command line, a
scripted run or screenshot if asked, and a clean shutdown."""

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
SETTLE_MS = 1200  # a shown window (or an opened run) has painted by then: the time to take a screenshot
PYTHON_SEARCH_MS = 2000  # look for the machine's Pythons once the window is up and the lab is warming


@dataclass
class LaunchOptions:
    """Window options from the command line: a plan to open or a saved run to show, an optional scripted run."""

    plan_path: Path | None = None
    run_path: Path | None = None  # a saved run (conclab.run/1), shown as it was recorded
    run: bool = False
    models: list[str] | None = None
    runtime: str | None = None  # "lab" or "window"; None: the choice remembered in settings
    screenshot: Path | None = None
    save_run: Path | None = None
    quit_after_run: bool = False
    lesson: str | None = None  # a lesson to open in the Lessons dock (with `run`: run it as its Run button does)


def run_app(opts: LaunchOptions) -> int:
    """Open the main window and run the Qt event loop (with asyncio on it) until it closes."""
    from PySide6.QtCore import QSettings, QTimer

    from conclab.ui.shell.main_window import MainWindow
    from conclab.ui.shell.qt_app import ensure_app, run_on_loop
    from conclab.ui.shell.scripted_lesson import open_scripted_lesson

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
        QTimer.singleShot(PYTHON_SEARCH_MS, window.controls.pythons.discover)
        if opts.run_path is not None:
            run_path = opts.run_path
            QTimer.singleShot(0, lambda: _open_run(window, run_path, status))
        if opts.lesson is not None:
            lesson = opts.lesson
            QTimer.singleShot(300, lambda: open_scripted_lesson(
                window, lesson, opts.run, opts.save_run, status,
                lambda: QTimer.singleShot(SETTLE_MS, lambda: _finish(window, opts))))
        elif opts.run:
            QTimer.singleShot(300, lambda: _scripted_run(window, opts, status))
        elif opts.screenshot is not None or opts.quit_after_run:
            QTimer.singleShot(SETTLE_MS, lambda: _finish(window, opts))
        await quit_event.wait()
        await window.controller.wait()
        window.controller.shutdown()

    run_on_loop(main, app)
    return status[0]


def _open_run(window: MainWindow, path: Path, status: list[int]) -> None:
    """`conclab run.json`: show the saved run as it was recorded (a broken file is said in the window)."""
    if not window.run_files.open_run(path):
        print(f"conclab: could not open the run {path}", file=sys.stderr, flush=True)
        status[0] = 2


def _finish(window: MainWindow, opts: LaunchOptions) -> None:
    """Save a screenshot of the screen (or the window, where the screen cannot be grabbed) and close, as asked."""
    from PySide6.QtGui import QGuiApplication

    if opts.screenshot is not None:
        screen = window.screen() or QGuiApplication.primaryScreen()
        shot = screen.grabWindow(0)
        if shot.isNull() or not shot.save(str(opts.screenshot)):
            window.grab().save(str(opts.screenshot))
        print(f"screenshot {opts.screenshot}", flush=True)
    if opts.quit_after_run:
        window.editor.mark_saved()  # a scripted session asks no questions
        window.close()


def _scripted_run(window: MainWindow, opts: LaunchOptions, status: list[int]) -> None:
    """`--run`: press Run exactly as a user does; afterwards save the run, screenshot and close, as asked."""
    from PySide6.QtCore import QTimer

    from conclab.model.session_spec import Runtime

    if opts.models:
        window.controls.set_models(opts.models)
    if opts.runtime:
        window.controls.set_runtime(Runtime(opts.runtime))
    window.ask_before_long_runs = False

    def after(doc: RunDocument) -> None:
        if opts.save_run is not None:
            try:
                window.run_files.write_run(doc, opts.save_run)
                print(f"saved run {opts.save_run}", flush=True)
            except ConclabError as exc:
                print(f"conclab: {exc}", file=sys.stderr, flush=True)
                status[0] = 1
        QTimer.singleShot(500, lambda: _finish(window, opts))

    def check_started() -> None:
        if window.controller.current is before:  # Run refused (an error in the plan, nothing to run)
            print(f"conclab: not run: {window.statusBar().currentMessage()}", file=sys.stderr, flush=True)
            status[0] = 2
            if opts.quit_after_run:
                window.close()

    window.run_finished.connect(after)
    before = window.controller.current
    window.run_action.trigger()
    # The run starts once the chosen Pythons are known (at once for the app's own): check after that.
    window.controls.pythons.call_when_ready(check_started)


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
