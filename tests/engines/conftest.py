"""Engine tests share one plain runtime (and so one loopback server) per module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conclab.engines.runtime import Runtime


@pytest.fixture(scope="module")
def runtime() -> Iterator[Runtime]:
    rt = Runtime()
    yield rt
    rt.close()
