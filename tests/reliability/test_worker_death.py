"""A process-pool worker that dies mid-run: killed from outside (SIGKILL) or ending itself (`os._exit`).

The run reports the broken pool on its failed tasks with a clear message, completes, leaves no worker
behind, and the next run works on a fresh pool.
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time

import pytest

from conclab.engines import procpool
from conclab.engines.context import RunEvent
from conclab.engines.runtime import Runtime
from conclab.engines.stop import StopToken
from conclab.model.plan_text import parse
from conclab.model.run import ModelRun
from tests.engines.helpers import conclab_threads, live_children
from tests.reliability import faulty

BROKEN = "the process pool broke"
REAL_CHILD_JOB = procpool.child_job


def _run(rt: Runtime, text: str, model: str, workers: int | None = None,
         during: object = None) -> tuple[ModelRun, float]:
    started = threading.Event()

    def sink(event: RunEvent) -> None:
        if event.kind == "started":
            started.set()

    async def main() -> ModelRun:
        return await rt.run(parse(text), model, workers=workers, sink=sink, stop=StopToken())

    worker = None
    if callable(during):
        worker = threading.Thread(target=during, args=(started,))
        worker.start()
    t0 = time.perf_counter()
    run = asyncio.run(main())
    took = time.perf_counter() - t0
    if worker is not None:
        worker.join(10)
    return run, took


def _kill_one_worker(server_pid: int | None, killed: list[int]) -> object:
    def kill(started: threading.Event) -> None:
        assert started.wait(30)
        time.sleep(0.3)  # the cpu steps are well under way
        victims = live_children({server_pid})
        assert victims, "no worker process to kill"
        killed.append(victims[0].pid)
        os.kill(victims[0].pid, signal.SIGKILL)

    return kill


@pytest.mark.parametrize(("model", "plan"), [("processes", "2x cpu 5s; sleep 20ms"),
                                              ("asyncio", "2x cpu 5s in process; sleep 20ms")])
def test_sigkilled_worker_fails_its_tasks_and_the_next_run_uses_a_fresh_pool(model: str, plan: str) -> None:
    rt = Runtime()
    killed: list[int] = []
    try:
        run, took = _run(rt, plan, model, workers=2 if model == "processes" else None,
                         during=_kill_one_worker(rt.server.pid, killed))
        assert killed
        states = [t.state for t in run.tasks]
        failed = [t for t in run.tasks if t.state == "failed"]
        assert failed, states
        assert all(BROKEN in (t.error or "") and "died" in (t.error or "") for t in failed), failed
        assert any(f"pid {killed[0]}, killed by SIGKILL" in (t.error or "") for t in failed), failed
        if model == "asyncio":
            # Under asyncio the sleep task never needed the pool: it completes.
            assert run.tasks[-1].state == "done"
        else:
            # Every task of the processes model was on the broken pool, queued ones too.
            assert states == ["failed"] * 3
        assert took < 4.0
        assert run.metrics["tasks_failed"] == len(failed)
        assert conclab_threads() == []
        assert live_children({rt.server.pid}) == []
        again, _ = _run(rt, "2x cpu 30ms" if model == "processes" else "2x cpu 30ms in process", model)
        assert [t.state for t in again.tasks] == ["done", "done"]
        assert killed[0] not in {s.worker for s in again.spans}
        assert live_children({rt.server.pid}) == []
    finally:
        rt.close()


@pytest.mark.parametrize("model", ["processes", "asyncio"])
def test_worker_ending_itself_with_os_exit(model: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(procpool, "child_job", faulty.dying_child_job)
    rt = Runtime()
    try:
        text = "dies: cpu 2s; 2x cpu 2s" if model == "processes" else "dies: cpu 2s in process; sleep 30ms"
        run, took = _run(rt, text, model, workers=3 if model == "processes" else None)
        first = run.tasks[0]
        assert first.state == "failed"
        assert BROKEN in (first.error or "") and "died" in (first.error or "")
        assert f"exit status {faulty.EXIT_CODE}" in (first.error or ""), first.error
        assert took < 4.0
        assert live_children({rt.server.pid}) == []
        monkeypatch.setattr(procpool, "child_job", REAL_CHILD_JOB)
        again, _ = _run(rt, "2x cpu 20ms" if model == "processes" else "2x cpu 20ms in process", model)
        assert [t.state for t in again.tasks] == ["done", "done"]
    finally:
        rt.close()
    assert conclab_threads() == []
