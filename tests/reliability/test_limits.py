"""Limits: the largest plan the parser accepts, and pool sizes beyond what the app starts.

A plan of 100,000 tasks of 60 s each is accepted (running it is the engines' business); one task
more, or one step longer, is refused with a message. More threads or processes than MAX_THREADS /
MAX_PROCESSES are refused before anything starts, with a pool size to use instead, from the command
line and from the window's run controller alike.
"""

from __future__ import annotations

import asyncio
import threading

import pytest
import qasync

from conclab import cli
from conclab.engines.runtime import MAX_PROCESSES, MAX_THREADS, RunError, check_workers
from conclab.model.errors import PlanError
from conclab.model.plan_text import parse
from conclab.ui.shell.run_controller import RunController
from tests.engines.helpers import conclab_threads, live_children

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


def test_too_many_workers_through_the_run_controller(qloop: qasync.QEventLoop) -> None:
    controller = RunController()
    failed: list[str] = []
    controller.run_failed.connect(failed.append)
    try:
        threads_before = threading.active_count()
        assert not controller.start(parse("sleep 1ms"), ["asyncio", "threads"], MAX_THREADS + 1, None)
        assert not controller.running
        assert failed and "use a pool of" in failed[-1] and str(MAX_THREADS) in failed[-1]
        assert not controller.start(parse("sleep 1ms"), ["processes"], MAX_PROCESSES + 1, None)
        assert "one per core" in failed[-1]
        assert threading.active_count() == threads_before
        # A sensible pool right after works.
        assert controller.start(parse("2x sleep 10ms"), ["threads"], 2, None)
        qloop.run_until_complete(controller.wait())
        doc = controller.last_document
        assert doc is not None and doc.runs[0].metrics["tasks_done"] == 2
    finally:
        controller.shutdown()
        qloop.run_until_complete(asyncio.sleep(0.05))
