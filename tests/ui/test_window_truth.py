"""The window shows what the plan costs on this machine: runs made from its Run (in the lab, the default)
take their planned time within 15 % + 30 ms, and the window stays responsive meanwhile (its own loop
late by at most 50 ms at the 99th percentile, even while two CPU-bound threads run).

Best of up to three tries: the machine is shared and noisy.
"""

from __future__ import annotations

import asyncio

import pytest
import qasync

from conclab.model.plan_text import parse
from conclab.model.run import RunDocument
from conclab.model.session_spec import Runtime
from conclab.ui.shell.main_window import MainWindow

MARGIN = 0.15
SLACK_S = 0.030
WINDOW_LAG_P99_MS = 50.0
TRIES = 3

CASES = [
    # plan, model, what it costs here: work that cannot overlap adds up, work that can runs side by side
    ("2x cpu 300ms", "threads", 0.6),  # the GIL: one thread runs Python at a time
    ("2x cpu 300ms", "sequential", 0.6),
    ("2x cpu 300ms", "processes", 0.3),  # one per core
    ("crunch: cpu 300ms", "asyncio", 0.3),
    ("4x digest: hash 300ms", "asyncio", 1.2),  # on the loop, one after another
    ("3x sleep 400ms", "asyncio", 0.4),
]


def _run_from_window(loop: qasync.QEventLoop, w: MainWindow, text: str, model: str) -> RunDocument:
    w.editor.set_plan(parse(text))
    w.controls.set_models([model])
    w.controls.set_runtime(Runtime.LAB)
    docs: list[RunDocument] = []
    w.run_finished.connect(docs.append)

    async def go() -> None:
        w.run_action.trigger()
        await w.controller.wait()
        await asyncio.sleep(0.05)

    loop.run_until_complete(go())
    w.run_finished.disconnect()
    return docs[-1]


@pytest.mark.parametrize(("text", "model", "planned"), CASES, ids=[f"{m}: {t}" for t, m, _ in CASES])
def test_the_window_shows_what_the_plan_costs(window: MainWindow, qloop: qasync.QEventLoop, text: str,
                                               model: str, planned: float) -> None:
    if model == "processes" and (window.controller.labs.client().info.get("cpus") or 2) < 2:
        pytest.skip("running two processes side by side needs two cores")
    tried: list[tuple[float, float]] = []
    for _ in range(TRIES):
        run = _run_from_window(qloop, window, text, model).runs[0]
        wall, lag = run.metrics["wall_s"], run.metrics["window_lag_p99_ms"]
        tried.append((wall, lag))
        if abs(wall - planned) <= MARGIN * planned + SLACK_S and lag <= WINDOW_LAG_P99_MS:
            break
    else:
        pytest.fail(f"{model} {text!r}: planned {planned:.2f} s; measured (wall s, window lag p99 ms) {tried}")
    assert run.runtime == "lab"
