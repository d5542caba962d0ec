"""What runs inside a process worker: its stop flag, its watch on the parent, and the job it is given.

The pool's workers import only this and the step bodies. A worker reads its stop flag (one shared
byte) between work quanta, leaves when its parent has gone, and sends back a task's spans, outcome,
CPU time, context switches and peak memory with the result.
"""

from __future__ import annotations

import os
import threading
import time
from time import perf_counter
from typing import Any

from conclab.engines import sync_task
from conclab.engines.calibrate import Calibration, get_calibration, set_calibration
from conclab.engines.recorder import Lane, RawSpan
from conclab.engines.stop import Cancelled, failure_text
from conclab.model.plan import Step
from conclab.model.trace import LaneKind

try:
    import resource
except ImportError:  # pragma: no cover - not on Windows
    resource = None  # type: ignore[assignment]

EXPIRED = "expired"
PARENT_POLL_S = 0.2

ChildResult = tuple[int, float, list[RawSpan], str, str | None, float, int, float]


class _ChildStop:
    """The children's stop flag: one shared byte, read without a lock between quanta."""

    def __init__(self, flag: Any) -> None:
        self._flag = flag

    def is_set(self) -> bool:
        return bool(self._flag.value)

    def wait(self, timeout: float) -> bool:
        end = perf_counter() + timeout
        while True:
            if self._flag.value:
                return True
            left = end - perf_counter()
            if left <= 0:
                return False
            time.sleep(min(left, 0.02))


_child_stop: _ChildStop | None = None


def _watch_parent(parent: int) -> None:
    """Leave when the parent has gone (killed, even by SIGKILL): a worker is never orphaned."""
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_S)
    os._exit(0)


def init_child(cal: dict[str, Any] | None, flag: Any) -> None:
    """A worker's start: adopt the parent's calibration and stop flag, and watch the parent."""
    global _child_stop
    if cal is not None:
        set_calibration(Calibration(**cal))
    _child_stop = _ChildStop(flag)
    threading.Thread(target=_watch_parent, args=(os.getppid(),), name="conclab-parent-watch", daemon=True).start()


def warm(seconds: float) -> int:
    """A warm-up job: the worker has started and imported what it needs; its pid comes back."""
    time.sleep(seconds)
    return os.getpid()


def _usage() -> tuple[float, int]:
    if resource is None:
        return time.process_time(), 0
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime, ru.ru_nvcsw + ru.ru_nivcsw


def child_job(
    task: int, steps: tuple[Step, ...], first_index: int, addr: tuple[str, int] | None, use_cal: bool,
    deadline: float | None = None,
) -> ChildResult:
    """Run steps in a worker process; returns (pid, start, spans, state, error, cpu_s, ctx, maxrss_mb).

    Taken after its `deadline`, the job does not start: its state is `EXPIRED`.
    """
    start = perf_counter()
    cpu0, ctx0 = _usage()
    lane = Lane("child", LaneKind.WORKER)
    stop = _child_stop
    assert stop is not None
    cal = get_calibration() if use_cal else None
    state, error = "done", None
    try:
        if deadline is not None and start >= deadline:
            state = EXPIRED
        else:
            sync_task.run_steps(lane, task, steps, cal, addr, stop, first_index)
    except Cancelled:
        state = "cancelled"
    except Exception as exc:
        state, error = "failed", failure_text(exc)
    cpu1, ctx1 = _usage()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 if resource is not None else 0.0
    return os.getpid(), start, lane.spans, state, error, cpu1 - cpu0, ctx1 - ctx0, rss
