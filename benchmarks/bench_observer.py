"""Recording cost: the same cpu-heavy run with the full trace and in the no-trace mode, side by side.

The full trace stamps every work quantum (one `perf_counter` per ~100 µs of work) and keeps a span per
state change; the no-trace mode (`Recorder(detail=False)`) keeps one span per task. Their wall-time
ratio is what watching costs. A single `cpu` step is also timed against the bare calibrated spin it
stands for, which is the cost of cutting work into timed quanta at all.
"""

from __future__ import annotations

import asyncio
import sys
from time import perf_counter

from benchmarks.common import Row, interleaved, ratio_row, report, row
from conclab.engines import work
from conclab.engines.calibrate import get_calibration, spin
from conclab.engines.recorder import Lane, Recorder
from conclab.engines.runtime import Runtime
from conclab.engines.stop import StopToken
from conclab.model.plan_text import parse

REPS = 7
PLAN = "4x cpu 250ms"
STEP_S = 0.250
TARGET = 1.03


def _detail_supported() -> bool:
    """Whether this recorder really has a no-trace mode (an older one accepts the flag and ignores it)."""
    rec = Recorder(detail=False)
    rec.start()
    lane = rec.lane("probe")
    lane.add(0, 0, "running", 0.0, 1.0)
    lane.add(0, 1, "running", 1.0, 2.0)
    return len(rec.spans()) == 1


def _model_pair(loop: asyncio.AbstractEventLoop, rt: Runtime, model: str, reps: int) -> Row:
    plan = parse(PLAN)

    def side(detail: bool) -> float:
        run = loop.run_until_complete(rt.run(plan, model, recorder=Recorder(detail=detail)))
        if run.metrics["tasks_done"] != plan.task_count:
            raise RuntimeError(f"{PLAN} under {model}: not every task finished")
        return run.metrics["wall_s"]

    traced, untraced = interleaved(lambda: side(True), lambda: side(False), reps)
    return ratio_row(f"observer {model} {PLAN}: trace / no-trace", traced, untraced, TARGET,
                     note=f"{min(traced):.3f}s vs {min(untraced):.3f}s (best)")


def _step_pair(reps: int) -> Row:
    cal = get_calibration()
    iters = cal.cpu_iters(STEP_S)
    stop = StopToken()

    def recorded() -> float:
        lane = Lane("bench")
        t0 = perf_counter()
        work.cpu(lane, 0, 0, STEP_S, cal, stop)
        return perf_counter() - t0

    def bare() -> float:
        t0 = perf_counter()
        spin(iters)
        return perf_counter() - t0

    a, b = interleaved(recorded, bare, reps)
    return ratio_row(f"observer single cpu {round(STEP_S * 1000)}ms step: recorded / bare spin", a, b,
                     TARGET, note=f"{cal.cpu_quantum_iters} iterations per timed quantum")


def run(reps: int = REPS) -> list[Row]:
    """Trace vs no-trace under threads and sequential, and one recorded cpu step vs the bare spin."""
    rows: list[Row] = []
    rt = Runtime()
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(rt.ensure_ready(parse(PLAN)))
        if _detail_supported():
            for model in ("threads", "sequential"):
                rows.append(_model_pair(loop, rt, model, reps))
        else:
            rows.append(row(f"observer {PLAN}: trace / no-trace", None, TARGET, "x",
                            note="not available: Recorder(detail=False) keeps the full trace here"))
    finally:
        loop.close()
        rt.close()
    rows.append(_step_pair(reps * 2))
    return rows


if __name__ == "__main__":
    sys.exit(report(run(), "recording cost (traced / untraced wall time)"))
