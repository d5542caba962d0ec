"""Reliability test fixtures: the UI tests' qasync loop, and their leak guard for modules that opt in.

A module sets `LEAK_GUARD = True` to have every test checked after teardown for engine QThreads,
visible windows, running timers, `conclab-` threads and child processes (tests/ui/conftest.py).
Engine-only modules share a runtime whose loopback server outlives single tests, so they check
leftovers themselves, excluding that server.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.ui.conftest import fail_on_leaks, qloop, store, window

__all__ = ["qloop", "store", "window"]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    yield
    if getattr(getattr(item, "module", None), "LEAK_GUARD", False):
        fail_on_leaks()
