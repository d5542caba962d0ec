"""UI test fixtures: a qasync loop on the test QApplication, and a leak guard on every UI test.

The guard runs after all of a test's fixtures are torn down and fails the test if it left engine
QThreads running, visible top-level widgets, active QTimers under them, Python worker threads, or
child processes (other than multiprocessing's resource tracker).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
import qasync
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from conclab.ui.shell.main_window import MainWindow
from conclab.ui.shell.qt_loop import TimerHeapEventLoop
from conclab.ui.shell.qt_runtime import running_qthreads


@pytest.fixture
def qloop(qapp: QApplication) -> Iterator[qasync.QEventLoop]:
    """The app's event loop on the test app; drive async flows with `qloop.run_until_complete(...)`."""
    loop = TimerHeapEventLoop(qapp)
    asyncio.set_event_loop(loop)
    yield loop
    loop.run_until_complete(asyncio.sleep(0))
    loop.close()
    asyncio.set_event_loop(None)


def _children() -> list[str]:
    out = []
    for p in psutil.Process().children(recursive=True):
        try:
            if p.status() == psutil.STATUS_ZOMBIE or "resource_tracker" in " ".join(p.cmdline()):
                continue
            out.append(f"{p.pid} {' '.join(p.cmdline())[:80]}")
        except psutil.Error:
            continue
    return out


def leaks() -> list[str]:
    found: list[str] = []
    app = QApplication.instance()
    for name in running_qthreads():
        found.append(f"QThread still running: {name}")
    if isinstance(app, QApplication):
        app.processEvents()
        for w in app.topLevelWidgets():
            if w.isVisible():
                found.append(f"top-level widget left open: {type(w).__name__} {w.windowTitle()!r}")
            for t in w.findChildren(QTimer):
                if t.isActive() and not t.isSingleShot():
                    owner = t.parent()
                    found.append(f"QTimer left running in {type(w).__name__} "
                                 f"(owned by {type(owner).__name__ if owner else None}, {t.interval()} ms)")
    found += [f"thread left running: {t.name}" for t in threading.enumerate() if t.name.startswith("conclab-")]
    found += [f"child process left running: {c}" for c in _children()]
    return found


def fail_on_leaks() -> None:
    """Fail the current test if it left anything behind (after cleaning up, so one leak does not
    cascade into every later test)."""
    problems = leaks()
    if problems:
        app = QApplication.instance()
        if isinstance(app, QApplication):
            for w in app.topLevelWidgets():
                w.close()
                w.deleteLater()
            app.processEvents()
        pytest.fail("leak guard: " + "; ".join(problems), pytrace=False)


@pytest.fixture
def store(tmp_path: Path) -> QSettings:
    """A settings store of the test's own."""
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot: QtBot, qloop: qasync.QEventLoop, store: QSettings) -> Iterator[MainWindow]:
    """A shown main window; whatever the test left running is stopped and the window closed after."""
    w = MainWindow(store)
    qtbot.addWidget(w)
    w.show()
    yield w
    if w.controller.running:
        w.controller.stop()
        qloop.run_until_complete(w.controller.wait())
    w.editor.mark_saved()
    w.close()
    qloop.run_until_complete(asyncio.sleep(0.05))


def can_write(folder: Path) -> bool:
    """Whether files can be created in `folder` (root ignores folder permissions)."""
    try:
        (folder / ".probe").write_text("x")
    except OSError:
        return False
    (folder / ".probe").unlink()
    return True


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    yield
    fail_on_leaks()
