"""Stop pressed at any moment, repeatedly, and Run pressed again at once, straight through the lab client.

One lab serves every round of every model: each session is stopped after a random 0–150 ms, counted
from Run in one round (before the lab has the request, or during the session's calibration check) and
from the run's start in the next (mid-step, or after the run ended); Stop is pressed one to three
times, and the next session starts as soon as the last one has returned. Nothing may hang, fail or be
left behind: every session returns its document with done or cancelled tasks only, the lab answers
every stop in time (it is never ended and replaced), and its pool workers are gone after each run.
The same storm through the window is in test_window_faults.py.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Iterator

import pytest

from conclab.engines.lab_client import LabClient
from conclab.engines.session import drive
from conclab.engines.stop import StopToken
from conclab.model.plan_text import parse
from conclab.model.run import RunDocument
from conclab.model.session_spec import SessionRequest
from tests.engines.helpers import live_children
from tests.reliability.labtools import Collect, alive, pool_workers, until

ROUNDS = 40
# Short enough that a fair share of runs finish before the stop, long enough that most are cut.
PLAN = "2x sleep 60ms, cpu 20ms; net 40ms, hash 20ms; block 30ms in thread; cpu 20ms in process"
SESSION_TIMEOUT_S = 10.0
BUDGET_S = 60.0


@pytest.fixture(scope="module")
def lab() -> Iterator[LabClient]:
    client = LabClient()
    yield client
    client.close()
    assert live_children() == []


async def _storm(lab: LabClient, model: str, rng: random.Random) -> list[RunDocument]:
    await lab.start()
    docs: list[RunDocument] = []
    request = SessionRequest.for_models(PLAN, [model])
    for i in range(ROUNDS):
        stop = StopToken()
        got = Collect()
        task = asyncio.ensure_future(drive(request, lambda _s: lab, got, stop))
        if i % 2:  # every other round counts from the run's start, past the session's calibration check
            await until(lambda got=got, task=task: bool(got.started) or task.done(), SESSION_TIMEOUT_S)
        await asyncio.sleep(rng.uniform(0.0, 0.150))
        for _press in range(rng.randint(1, 3)):
            stop.set()
            await asyncio.sleep(0)
        docs.append(await asyncio.wait_for(task, SESSION_TIMEOUT_S))
    return docs


@pytest.mark.timeout(180)
@pytest.mark.parametrize("model", ["sequential", "asyncio", "threads", "processes"])
def test_random_stops_and_restarts_through_one_warm_lab(lab: LabClient, model: str) -> None:
    rng = random.Random(f"lab-stop-storm-{model}")
    tasks = parse(PLAN).task_count
    pid = lab.pid
    t0 = time.perf_counter()
    docs = asyncio.run(_storm(lab, model, rng))
    took = time.perf_counter() - t0
    print(f"\n{ROUNDS} stop/run rounds under {model} through the lab: {took:.1f} s")
    assert len(docs) == ROUNDS
    for doc in docs:
        for run in doc.runs:
            states = {t.state for t in run.tasks}
            assert states <= {"done", "cancelled"}, [(t.name, t.state, t.error) for t in run.tasks]
            assert len(run.tasks) == tasks
    cut = sum(1 for d in docs if d.runs and d.runs[0].metrics["tasks_cancelled"])
    assert cut >= ROUNDS // 4, f"only {cut} runs were cut by the stop mid-run"
    assert lab.restarts == 0, "the lab missed a stop and was ended"
    assert pid is None or lab.pid == pid, "one warm lab serves every round"
    assert lab.pid is not None and alive(lab.pid)
    assert pool_workers(lab.pid) == []
    assert took < BUDGET_S, f"{ROUNDS} stop/run rounds took {took:.1f} s"
