"""Runs one task's steps synchronously (threads, sequential, process workers and asyncio offloads)."""

from __future__ import annotations

from conclab.engines import work
from conclab.engines.calibrate import Calibration
from conclab.engines.recorder import Lane
from conclab.engines.stop import StepError, StopFlag
from conclab.model.plan import Step
from conclab.model.trace import State


def run_step(
    lane: Lane, task: int, index: int, step: Step, cal: Calibration | None,
    addr: tuple[str, int] | None, stop: StopFlag, *, block_state: str = State.IO_WAIT,
) -> None:
    """Execute one step, blocking the calling thread, recording into `lane` (`block_state`: what a
    `block` step is: `io_wait` in a thread of its own, `blocking` on an event loop)."""
    kind = step.kind
    secs = step.duration_s
    if kind == "sleep":
        work.wait(lane, task, index, secs, stop)
    elif kind == "block":
        work.wait(lane, task, index, secs, stop, state=block_state)
    elif kind == "net":
        if addr is None:
            raise StepError("no loopback server is running for net steps")
        work.net(lane, task, index, secs, addr, stop)
    elif kind == "cpu":
        assert cal is not None
        work.cpu(lane, task, index, secs, cal, stop)
    elif kind == "hash":
        assert cal is not None
        work.hash_(lane, task, index, secs, cal, stop)
    else:
        raise ValueError(f"unknown step kind {kind!r}")


def run_steps(
    lane: Lane, task: int, steps: tuple[Step, ...], cal: Calibration | None,
    addr: tuple[str, int] | None, stop: StopFlag, first_index: int = 0,
) -> None:
    for i, step in enumerate(steps):
        run_step(lane, task, first_index + i, step, cal, addr, stop)
