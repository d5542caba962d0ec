"""Limits: the largest plan the parser accepts, and pool sizes beyond what the app starts.

A plan of 100,000 tasks of 60 s each is accepted (running it is the engines' business); one task
more, or one step longer, is refused with a message. More threads or processes than MAX_THREADS /
MAX_PROCESSES are refused before anything starts, with a pool size to use instead: on the command line,
through the window's Run, and by the lab itself (it does not trust what it is sent).
"""

from __future__ import annotations

import asyncio
import threading

import pytest
import qasync
from PySide6.QtWidgets import QMessageBox

from conclab import cli
from conclab.engines.lab_client import LabClient
from conclab.engines.runtime import MAX_PROCESSES, MAX_THREADS, RunError, check_workers
from conclab.engines.session import SessionError, drive
from conclab.model.errors import PlanError
from conclab.model.plan_text import parse
from conclab.model.run import RunDocument
from conclab.model.session_spec import SessionRequest
from conclab.ui.shell.main_window import MainWindow
from tests.engines.helpers import conclab_threads, live_children
from tests.reliability.labtools import Collect

LEAK_GUARD = True


def test_hundred_thousand_tasks_of_sixty_seconds_are_accepted() -> None:
    plan = parse("100000x sleep 60s")
    assert plan.task_count == 100_000
    assert plan.serial_s == pytest.approx(100_000 * 60)
    assert plan.critical_s == pytest.approx(60)
    mixed = parse("50000x a: cpu 60s; 50000x b: net 60s, hash 60s in thread")
    assert mixed.task_count == 100_000


@pytest.mark.parametrize(("text", "fragment"), [
    ("100001x sleep 1ms", "100000"),
    ("60000x sleep 1s; 40001x sleep 1s", "100000"),
    ("sleep 61s", "60"),
    ("sleep 60001ms", "60"),
])
def test_just_beyond_the_limits_is_refused_with_a_message(text: str, fragment: str) -> None:
    with pytest.raises(PlanError) as info:
        parse(text)
    assert fragment in str(info.value).replace(",", "").replace("_", "")


@pytest.mark.parametrize(("model", "workers", "suggestion"), [
    ("threads", MAX_THREADS + 1, "use a pool of"),
    ("processes", MAX_PROCESSES + 1, "one per core"),
    ("threads", 0, "at least 1"),
    ("processes", -2, "at least 1"),
])
def test_too_many_workers_on_the_command_line(model: str, workers: int, suggestion: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    before = set(conclab_threads())
    code = cli.main(["run", "sleep 1ms", "--models", model, "--workers", str(workers), "--runtime", "plain"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("conclab: ") and suggestion in err and "Traceback" not in err
    assert set(conclab_threads()) == before
    assert live_children() == []


def test_the_limits_themselves_are_allowed() -> None:
    check_workers("threads", MAX_THREADS)
    check_workers("processes", MAX_PROCESSES)
    with pytest.raises(RunError, match=r"at most \d+"):
        check_workers("threads", MAX_THREADS + 1)


@pytest.mark.parametrize(("model", "workers", "suggestion"), [
    ("threads", MAX_THREADS + 1, "use a pool of"),
    ("processes", MAX_PROCESSES + 1, "one per core"),
])
def test_too_many_workers_through_the_window(window: MainWindow, qloop: qasync.QEventLoop,
                                             monkeypatch: pytest.MonkeyPatch, model: str, workers: int,
                                             suggestion: str) -> None:
    """Typed into the Workers box and Run pressed: refused with a message before anything starts."""
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: shown.append(str(a[2])))
    window.editor.set_plan(parse("2x sleep 10ms"))
    window.controls.set_models([model])
    window.controls.workers.setValue(workers)
    assert window.controls.workers.value() == workers, "the box takes the number as typed"
    threads_before = threading.active_count()

    async def refused() -> None:
        window.run_action.trigger()

    qloop.run_until_complete(refused())
    assert window.controller.current is None and not window.controller.running
    assert shown and suggestion in shown[-1] and str(workers) in shown[-1]
    assert suggestion in window.statusBar().currentMessage()
    assert window.controller.labs.client().pid is None, "no lab was started for a refused run"
    assert threading.active_count() == threads_before
    # A sensible pool right after works.
    window.controls.workers.setValue(2)

    async def again() -> None:
        window.run_action.trigger()
        await window.controller.wait()

    qloop.run_until_complete(again())
    doc = window.controller.last_document
    assert doc is not None and doc.runs[0].metrics["tasks_done"] == 2


def test_the_lab_refuses_too_many_workers_itself() -> None:
    """The lab does not trust what it is sent: a request past the limits is refused there too, and the lab
    stays up for the next one."""
    client = LabClient()

    async def go() -> tuple[list[str], set[int | None], list[RunDocument]]:
        messages, pids, docs = [], set(), []
        for model, workers in (("threads", MAX_THREADS + 1), ("processes", MAX_PROCESSES + 1)):
            with pytest.raises(SessionError) as refused:
                await drive(SessionRequest.for_models("sleep 1ms", [model], workers), lambda _s: client, Collect())
            messages.append(str(refused.value))
            pids.add(client.pid)
            docs.append(await drive(SessionRequest.for_models("sleep 1ms", [model], 1), lambda _s: client, Collect()))
            pids.add(client.pid)
        return messages, pids, docs

    try:
        messages, pids, docs = asyncio.run(go())
    finally:
        client.close()
    assert all("at most" in m for m in messages), messages
    assert [d.runs[0].metrics["tasks_done"] for d in docs] == [1, 1]
    assert len(pids) == 1 and None not in pids, "one lab refused both and ran both"
