"""The lab and the window, measured side by side in one run.

Rows, each naming the runtime and mode it measures:
- **lab vs plain script**: a plan run in the lab (the default way, from a client on a plain loop) against
  the same plan as the standalone script "Show as code" writes, run with this Python; the ratio of their
  wall times, per model (interleaved pairs; target ≤ 1.15x: what the lab shows is what the plan costs).
- **runs inside the window at 100,000 timers**: `100000x sleep 1s` under asyncio, run in this process by
  the session layer on plain asyncio, on the window's loop (TimerHeapEventLoop, QThread factory) and on
  raw qasync; ratios against plain (target ≤ 1.1x for the window's loop; raw qasync reported).
- **stream throughput**: the spans per second a window (offscreen MainWindow, Run pressed) ingests from
  the lab for a 10,000-task plan, and the window thread's CPU share while it does.
- **window lag, lab vs inside the window**: the window's own loop lateness (p99) while `2x cpu 300ms`
  runs under threads, measured in the lab and inside the window (target ≤ 50 ms in the lab).
- **lab start-up per interpreter**: from starting the lab to its ready message (it calibrates first), for
  every Python ≥ 3.11 found on the machine.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from time import perf_counter

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from benchmarks.common import Row, interleaved, median, noise, ratio_row, report, row
from conclab.engines.lab_client import LabClient, LabPool
from conclab.engines.runtime import Runtime
from conclab.engines.session import drive, run_session
from conclab.model.codegen import generate
from conclab.model.live import LiveFrame
from conclab.model.plan_text import parse
from conclab.model.run import ModelRun, RunDocument
from conclab.model.session_spec import RunSpec, SessionRequest

REPS = 3
TARGET_LAB = 1.15
TARGET_TIMERS = 1.1
TARGET_WINDOW_LAG_MS = 50.0
LAB_CASES = (
    ("2x cpu 300ms", "threads"), ("2x cpu 300ms", "sequential"), ("2x cpu 300ms", "processes"),
    ("crunch: cpu 300ms", "asyncio"), ("4x digest: hash 300ms", "asyncio"), ("3x sleep 400ms", "asyncio"),
)
TIMER_PLAN = "100000x sleep 1s"
STREAM_PLAN = "10000x fetch: sleep 200ms, cpu 100us, sleep 100ms"


class _Quiet:
    def run_started(self, index: int, spec: RunSpec) -> None:
        pass

    def frame(self, frame: LiveFrame) -> None:
        pass

    def run_finished(self, index: int, run: ModelRun) -> None:
        pass


def _script_wall(text: str, model: str, folder: Path) -> float:
    script = folder / f"plan_{model}.py"
    script.write_text(generate(parse(text), model), encoding="utf-8")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300, check=True)
    return float(re.findall(r"^wall: ([0-9.]+)$", out.stdout, re.MULTILINE)[-1])


def lab_rows() -> list[Row]:
    pool = LabPool()
    rows: list[Row] = []

    def lab_wall(text: str, model: str) -> float:
        doc = asyncio.run(drive(SessionRequest.for_models(text, [model]), lambda _s: pool, _Quiet()))
        return doc.runs[0].metrics["wall_s"]

    try:
        with tempfile.TemporaryDirectory() as tmp:
            for text, model in LAB_CASES:
                lab, plain = interleaved(lambda t=text, m=model: lab_wall(t, m),
                                         lambda t=text, m=model: _script_wall(t, m, Path(tmp)), REPS)
                rows.append(ratio_row(f"lab vs plain script · {model}: {text}", lab, plain, TARGET_LAB,
                                      f"lab {median(lab):.3f} s, script {median(plain):.3f} s"))
    finally:
        pool.close()
    return rows


def _in_process_wall(loop_factory: Callable[[], asyncio.AbstractEventLoop] | None, threads: bool) -> float:
    from conclab.ui.shell.qt_runtime import qthread_factory

    runtime = Runtime(qthread_factory if threads else None)
    request = SessionRequest.for_models(TIMER_PLAN, ["asyncio"])
    try:
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            doc: RunDocument = runner.run(run_session(runtime, request))
    finally:
        runtime.close()
    return doc.runs[0].metrics["wall_s"]


def timer_rows() -> list[Row]:
    import qasync

    from conclab.ui.shell.qt_app import ensure_app
    from conclab.ui.shell.qt_loop import TimerHeapEventLoop

    app = ensure_app(offscreen=True)
    heap, plain = interleaved(lambda: _in_process_wall(lambda: TimerHeapEventLoop(app), True),
                              lambda: _in_process_wall(None, False), REPS)
    raw = _in_process_wall(lambda: qasync.QEventLoop(app), True)
    what = f"runs inside the window · asyncio {TIMER_PLAN}"
    return [ratio_row(f"{what}: window loop vs plain asyncio", heap, plain, TARGET_TIMERS,
                      f"window loop {median(heap):.2f} s, plain {median(plain):.2f} s"),
            row(f"{what}: raw qasync vs plain asyncio", raw / median(plain), None, "x", 0.0,
                f"raw qasync {raw:.2f} s (once)")]


def _window_run(window: object, text: str, model: str, where: str) -> ModelRun:
    from conclab.model.session_spec import Runtime as Where
    from conclab.ui.shell.main_window import MainWindow

    assert isinstance(window, MainWindow)
    window.editor.set_plan(parse(text))
    window.controls.set_models([model])
    window.controls.set_runtime(Where(where))
    docs: list[RunDocument] = []
    window.run_finished.connect(docs.append)

    async def go() -> None:
        window.run_action.trigger()
        await window.controller.wait()

    asyncio.get_event_loop().run_until_complete(go())
    window.run_finished.disconnect()
    return docs[-1].runs[0]


def window_rows() -> list[Row]:
    from PySide6.QtCore import QSettings

    from conclab.ui.shell.main_window import MainWindow
    from conclab.ui.shell.qt_app import ensure_app
    from conclab.ui.shell.qt_loop import TimerHeapEventLoop

    app = ensure_app(offscreen=True)
    loop = TimerHeapEventLoop(app)
    asyncio.set_event_loop(loop)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        window = MainWindow(QSettings(str(Path(tmp) / "s.ini"), QSettings.Format.IniFormat))
        window.show()
        try:
            run = _window_run(window, STREAM_PLAN, "asyncio", "lab")
            spans = len(run.spans)
            rows.append(row("stream throughput · lab → window, 10,000 tasks: spans ingested per second",
                            spans / max(run.metrics["wall_s"], 1e-9), None, "spans/s", 0.0,
                            f"{spans:,} spans in {run.metrics['wall_s']:.2f} s"))
            rows.append(row("stream throughput · the window thread's CPU share meanwhile",
                            100 * run.metrics["window_cpu_share"], None, "%", 0.0,
                            f"window lag p99 {run.metrics['window_lag_p99_ms']:.0f} ms"))
            for where, target in (("lab", TARGET_WINDOW_LAG_MS), ("window", None)):
                lags = [_window_run(window, "2x cpu 300ms", "threads", where).metrics["window_lag_p99_ms"]
                        for _ in range(REPS)]
                rows.append(row(f"window lag p99 · threads 2x cpu 300ms measured in the {where}",
                                median(lags), target, "ms", noise(lags)))
        finally:
            window.editor.mark_saved()
            window.close()
            loop.run_until_complete(asyncio.sleep(0.2))
            loop.close()
            asyncio.set_event_loop(None)
    return rows


def startup_rows() -> list[Row]:
    from conclab.engines.interpreters import discover

    async def start(client: LabClient) -> float:
        t0 = perf_counter()
        await client.start()
        return perf_counter() - t0

    rows: list[Row] = []
    for interp in (i for i in discover() if i.usable):
        client = LabClient(interp)
        try:
            took = asyncio.run(start(client))
        except Exception as exc:  # a broken interpreter is reported, not fatal
            rows.append(row(f"lab start-up · Python {interp.label}", None, None, "s", note=str(exc)[:80]))
            continue
        finally:
            client.close()
        rows.append(row(f"lab start-up · Python {interp.label} (calibration included)", took, None, "s", 0.0,
                        interp.executable))
    return rows


def run() -> list[Row]:
    return [*lab_rows(), *startup_rows(), *timer_rows(), *window_rows()]


if __name__ == "__main__":
    sys.exit(report(run(), "lab and window"))
