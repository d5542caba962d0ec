"""Where a run was measured: Python version and implementation, GIL on/off, CPU count, OS."""

from __future__ import annotations

import os
import platform
import sys
from typing import Any


def gil_enabled() -> bool:
    check = getattr(sys, "_is_gil_enabled", None)
    return True if check is None else bool(check())


def machine_info() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "gil_enabled": gil_enabled(),
        "cpus": os.cpu_count() or 1,
        "platform": platform.platform(terse=True),
    }
