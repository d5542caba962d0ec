"""Stand-ins for the process workers' job function, importable by spawned children.

The parent swaps `conclab.engines.procpool.child_job` for one of these; the pool pickles the function
by name, so the child imports this module and runs it. Each wraps the real job.
"""

from __future__ import annotations

import os
import socket
from typing import Any

from conclab.engines import procpool
from conclab.model.plan import Step

DYING_TASK = 0
EXIT_CODE = 3


def dying_child_job(task: int, steps: tuple[Step, ...], first_index: int, addr: tuple[str, int] | None,
                    use_cal: bool, deadline: float | None = None) -> Any:
    """Task DYING_TASK ends its worker process with `os._exit` (no clean-up, no reply); others run."""
    if task == DYING_TASK:
        os._exit(EXIT_CODE)
    return procpool.child_job(task, steps, first_index, addr, use_cal, deadline)


_real_connect = socket.socket.connect


def _loopback_only_connect(self: socket.socket, address: Any) -> None:
    host = address[0] if isinstance(address, tuple) else str(address)
    if host != "127.0.0.1":
        raise PermissionError(f"connection beyond loopback attempted: {address!r}")
    _real_connect(self, address)


def loopback_guarded_child_job(task: int, steps: tuple[Step, ...], first_index: int,
                               addr: tuple[str, int] | None, use_cal: bool, deadline: float | None = None) -> Any:
    """Run the real job with every socket connection in this worker process checked for 127.0.0.1.

    A connection anywhere else raises inside the step, so the task fails and says why."""
    socket.socket.connect = _loopback_only_connect  # type: ignore[method-assign]
    try:
        return procpool.child_job(task, steps, first_index, addr, use_cal, deadline)
    finally:
        socket.socket.connect = _real_connect  # type: ignore[method-assign]
