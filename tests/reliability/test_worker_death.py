"""A process-pool worker that dies mid-run: killed from outside (SIGKILL) in the lab, through the lab client
and through the window, or ending itself (`os._exit`) in a run made in this process (as runs inside
the window are).

The run reports the broken pool on its failed tasks with a clear message (streamed live, so the window
shows it while the run goes on), completes, leaves no worker behind; the lab carries on, and the next
run works on a fresh pool.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator

import pytest
import qasync
from PySide6.QtWidgets import QMessageBox

from conclab.engines import procpool
from conclab.engines.lab_client import LabClient
from conclab.engines.runtime import Runtime
from conclab.engines.session import drive
from conclab.engines.stop import StopToken
from conclab.model.plan_text import parse
from conclab.model.run import ModelRun, RunDocument
from conclab.model.session_spec import SessionRequest
from conclab.ui.shell.main_window import MainWindow
from conclab.ui.shell.run_handle import RunHandle, RunState
from tests.engines.helpers import conclab_threads, live_children
from tests.reliability import faulty
from tests.reliability.labtools import Collect, pool_workers, until

LEAK_GUARD = True
BROKEN = "the process pool broke"
REAL_CHILD_JOB = procpool.child_job


@pytest.fixture
def lab() -> Iterator[LabClient]:
    client = LabClient()
    yield client
    client.close()


async def _kill_a_worker_mid_run(lab: LabClient, request: SessionRequest,
                                 got: Collect) -> tuple[RunDocument, int, float]:
    task = asyncio.ensure_future(drive(request, lambda _s: lab, got))
    assert await until(lambda: bool(got.started) and lab.pid is not None and len(pool_workers(lab.pid)) >= 2, 60.0)
    await asyncio.sleep(0.3)  # the cpu steps are well under way
    assert lab.pid is not None
    victim = pool_workers(lab.pid)[0].pid
    os.kill(victim, signal.SIGKILL)
    t0 = time.perf_counter()
    doc = await task
    return doc, victim, time.perf_counter() - t0


@pytest.mark.parametrize(("model", "plan"), [("processes", "2x cpu 5s; sleep 20ms"),
                                              ("asyncio", "2x cpu 5s in process; sleep 20ms")])
def test_a_worker_killed_in_the_lab_fails_its_tasks_and_the_lab_carries_on(lab: LabClient, model: str,
                                                                            plan: str) -> None:
    got = Collect()
    request = SessionRequest.for_models(plan, [model], 2 if model == "processes" else None)

    async def go() -> tuple[RunDocument, int, float, int | None, RunDocument]:
        await lab.start()
        pid = lab.pid
        doc, victim, took = await _kill_a_worker_mid_run(lab, request, got)
        again_plan = "2x cpu 30ms" if model == "processes" else "2x cpu 30ms in process"
        again = await drive(SessionRequest.for_models(again_plan, [model]), lambda _s: lab, Collect())
        return doc, victim, took, pid, again

    doc, victim, took, pid, again = asyncio.run(go())
    run = doc.runs[0]
    states = [t.state for t in run.tasks]
    failed = [t for t in run.tasks if t.state == "failed"]
    assert failed, states
    assert all(BROKEN in (t.error or "") and "died" in (t.error or "") for t in failed), failed
    assert any(f"pid {victim}, killed by SIGKILL" in (t.error or "") for t in failed), failed
    if model == "asyncio":
        assert run.tasks[-1].state == "done", "the sleep never needed the pool"
    else:
        assert states == ["failed"] * 3, "every task of the processes model was on the broken pool"
    assert run.metrics["tasks_failed"] == len(failed)
    assert any(BROKEN in line and "SIGKILL" in line for line in got.failures), "the failures are streamed live"
    assert took < 4.0, f"the run took {took:.2f} s to end after its worker was killed"
    assert lab.pid == pid and lab.restarts == 0, "a dead pool worker does not cost the lab"
    assert [t.state for t in again.runs[0].tasks] == ["done", "done"]
    assert pid is not None and pool_workers(pid) == []


def test_a_worker_killed_during_a_window_run(window: MainWindow, qloop: qasync.QEventLoop,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: shown.append(str(a[2])))
    said: list[str] = []
    window.statusBar().messageChanged.connect(said.append)
    handles: list[RunHandle] = []
    window.controller.run_started.connect(handles.append)
    window.editor.set_plan(parse("2x cpu 5s; sleep 20ms"))
    window.controls.set_models(["processes"])
    window.controls.workers.setValue(2)
    lab = window.controller.labs.client()

    async def go() -> tuple[int, float]:
        window.run_action.trigger()
        assert await until(lambda: lab.pid is not None and len(pool_workers(lab.pid)) >= 2, 60.0)
        await asyncio.sleep(0.3)
        assert lab.pid is not None
        victim = pool_workers(lab.pid)[0].pid
        os.kill(victim, signal.SIGKILL)
        t0 = time.perf_counter()
        await window.controller.wait()
        return victim, time.perf_counter() - t0

    victim, took = qloop.run_until_complete(go())
    handle = handles[0]
    assert handle.state == RunState.FINISHED, handle.error
    assert shown == [], "a run whose tasks failed is not a failed run"
    assert any(BROKEN in m and f"pid {victim}, killed by SIGKILL" in m for m in said), said
    assert took < 4.0
    assert handle.document is not None and handle.document.runs[0].metrics["tasks_failed"] == 3
    assert lab.restarts == 0 and lab.pid is not None and pool_workers(lab.pid) == []


def _run_here(rt: Runtime, text: str, model: str, workers: int | None = None) -> tuple[ModelRun, float]:
    async def main() -> ModelRun:
        return await rt.run(parse(text), model, workers=workers, stop=StopToken())

    t0 = time.perf_counter()
    run = asyncio.run(main())
    return run, time.perf_counter() - t0


@pytest.mark.parametrize("model", ["processes", "asyncio"])
def test_worker_ending_itself_with_os_exit(model: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """In this process's own runtime (a run inside the window): the pool's job is swapped for one that ends
    its worker; the message says how it died."""
    monkeypatch.setattr(procpool, "child_job", faulty.dying_child_job)
    rt = Runtime()
    try:
        text = "dies: cpu 2s; 2x cpu 2s" if model == "processes" else "dies: cpu 2s in process; sleep 30ms"
        run, took = _run_here(rt, text, model, workers=3 if model == "processes" else None)
        first = run.tasks[0]
        assert first.state == "failed"
        assert BROKEN in (first.error or "") and "died" in (first.error or "")
        assert f"exit status {faulty.EXIT_CODE}" in (first.error or ""), first.error
        assert took < 4.0
        assert live_children({rt.server.pid}) == []
        monkeypatch.setattr(procpool, "child_job", REAL_CHILD_JOB)
        again, _ = _run_here(rt, "2x cpu 20ms" if model == "processes" else "2x cpu 20ms in process", model)
        assert [t.state for t in again.tasks] == ["done", "done"]
    finally:
        rt.close()
    assert conclab_threads() == []
