"""Where a run was measured: Python version and implementation, GIL on/off, CPU count, OS."""

from __future__ import annotations

import os
import platform
import sys
import sysconfig
from typing import Any


def gil_enabled() -> bool:
    check = getattr(sys, "_is_gil_enabled", None)
    return True if check is None else bool(check())


def free_threaded_build() -> bool:
    return bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


def python_info() -> dict[str, Any]:
    """Which Python is running: what every run records (`python` of a ModelRun)."""
    return {
        "version": platform.python_version(),
        "implementation": platform.python_implementation(),
        "gil_enabled": gil_enabled(),
        "free_threaded": free_threaded_build(),
        "executable": sys.executable,
    }


def machine_info() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "gil_enabled": gil_enabled(),
        "cpus": os.cpu_count() or 1,
        "platform": platform.platform(terse=True),
    }
