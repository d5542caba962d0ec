"""Reliability test fixtures: the UI tests' qasync loop, and their leak guard for modules that opt in.

A module sets `LEAK_GUARD = True` to have every test checked after teardown for engine QThreads,
visible windows, running timers, `conclab-` threads and child processes (tests/ui/conftest.py).
Engine-only modules share a runtime whose loopback server outlives single tests, so they check
leftovers themselves, excluding that server.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.ui.conftest import leaks, qloop

__all__ = ["qloop"]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    yield
    module = getattr(item, "module", None)
    if not getattr(module, "LEAK_GUARD", False):
        return
    problems = leaks()
    if problems:
        from PySide6.QtWidgets import QApplication

        app = QApplication.instance()
        if isinstance(app, QApplication):
            for w in app.topLevelWidgets():
                w.close()
                w.deleteLater()
            app.processEvents()
        pytest.fail("leak guard: " + "; ".join(problems), pytrace=False)
