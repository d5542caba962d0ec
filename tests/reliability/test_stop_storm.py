"""Stop pressed at any moment, repeatedly, and Run pressed again at once: 100 runs per model.

Each run is stopped after a random 0–150 ms (during set-up, mid-step, or after it ended), Stop is
pressed several times, and the next run starts straight away. Nothing may hang, crash or be left
behind: no `conclab-` thread, no worker process (the runtime's loopback server and
multiprocessing's resource tracker excepted).
"""

from __future__ import annotations

import asyncio
import random
import time

import pytest

from conclab.engines.runtime import Runtime
from conclab.engines.stop import StopToken
from conclab.model.plan import Plan
from conclab.model.plan_text import parse
from conclab.model.run import ModelRun
from tests.engines.helpers import conclab_threads, live_children

ROUNDS = 100
# Short enough that a fair share of runs finish before the stop, long enough that most are cut.
PLAN = "2x sleep 60ms, cpu 20ms; net 40ms, hash 20ms; block 30ms in thread; cpu 20ms in process"
STEP_TIMEOUT_S = 10.0
BUDGET_S = 90.0


async def _storm(rt: Runtime, plan: Plan, model: str, rng: random.Random) -> list[ModelRun]:
    runs: list[ModelRun] = []
    for _ in range(ROUNDS):
        stop = StopToken()
        task = asyncio.ensure_future(rt.run(plan, model, stop=stop))
        await asyncio.sleep(rng.uniform(0.0, 0.150))
        for _press in range(rng.randint(1, 3)):
            stop.set()
            await asyncio.sleep(0)
        runs.append(await asyncio.wait_for(task, STEP_TIMEOUT_S))
    return runs


@pytest.mark.timeout(180)
@pytest.mark.parametrize("model", ["sequential", "asyncio", "threads", "processes"])
def test_hundred_random_stops_and_restarts(model: str) -> None:
    rng = random.Random(f"stop-storm-{model}")
    rt = Runtime()
    plan = parse(PLAN)
    t0 = time.perf_counter()
    try:
        runs = asyncio.run(_storm(rt, plan, model, rng))
        took = time.perf_counter() - t0
        assert len(runs) == ROUNDS
        for run in runs:
            states = {t.state for t in run.tasks}
            assert states <= {"done", "cancelled"}, [(t.name, t.state, t.error) for t in run.tasks]
            assert len(run.tasks) == plan.task_count
        cancelled = sum(1 for r in runs if r.metrics["tasks_cancelled"])
        assert cancelled >= ROUNDS // 4, f"only {cancelled} runs were cut by the stop"
        assert took < BUDGET_S, f"{ROUNDS} stop/start rounds took {took:.1f} s"
        assert conclab_threads() == []
        assert live_children({rt.server.pid}) == []
    finally:
        rt.close()
    assert live_children() == []
