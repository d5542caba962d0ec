"""Stopping a run ends all of its work within 200 ms, for every model, and leaves nothing behind."""

from __future__ import annotations

import asyncio
import threading
import time
from time import perf_counter

import pytest

from conclab.engines.recorder import Recorder
from conclab.engines.runtime import Runtime
from conclab.engines.stop import StopToken
from conclab.model.plan_text import parse
from tests.engines.helpers import conclab_threads, live_children, work_started

PLANS = {
    "sleep": "4x sleep 10s",
    "cpu": "4x cpu 10s",
    "net": "4x net 10s",
    "mixed": "2x net 5s, cpu 5s; 2x hash 10s; sleep 10s",
}


async def _run_and_stop(runtime: Runtime, text: str, model: str, after: float) -> tuple[float, dict[str, float]]:
    """Stop from another thread `after` seconds into the work (start-up excluded): a blocked loop
    cannot stop itself, exactly as a frozen window cannot."""
    stop = StopToken()
    recorder = Recorder()
    stopped_at: list[float] = []

    def press_stop() -> None:
        work_started(recorder)
        time.sleep(after)
        stopped_at.append(perf_counter())
        stop.set()

    presser = threading.Thread(target=press_stop)
    presser.start()
    run = await runtime.run(parse(text), model, stop=stop, recorder=recorder)
    ended = perf_counter()
    presser.join()
    return ended - stopped_at[0], run.metrics


@pytest.mark.parametrize("model", ["sequential", "asyncio", "threads", "processes"])
@pytest.mark.parametrize("plan", sorted(PLANS))
def test_stop_ends_the_run_quickly(runtime: Runtime, model: str, plan: str) -> None:
    text = PLANS[plan]
    took, metrics = asyncio.run(_run_and_stop(runtime, text, model, 0.3))
    assert took < 0.2 + 0.15, f"{model}/{plan}: stop took {took * 1000:.0f} ms"
    assert metrics["tasks_cancelled"] >= 1
    assert metrics["tasks_done"] == 0
    assert conclab_threads() == []
    assert live_children(exclude={runtime.server.pid}) == []
