"""Runs as Chrome Trace Event JSON, for Perfetto (ui.perfetto.dev) and chrome://tracing.

Each model run is one process (named after its model), each worker lane one thread, each span a
complete ("X") event named after its state, and the main loop's lateness a counter track. Runs all
start at time 0 of their own, so they line up for comparison, as in the window.
"""

from __future__ import annotations

import json
from typing import Any

from conclab.model.run import ModelRun, RunDocument

LAG_COUNTER = "loop lag (ms)"
US_PER_S = 1_000_000


def _us(seconds: float) -> float:
    # Perfetto accepts fractional microseconds; rounding to 1 ns keeps files small and exact enough.
    return round(max(seconds, 0.0) * US_PER_S, 3)


def _meta(name: str, pid: int, tid: int, value: str) -> dict[str, Any]:
    return {"name": name, "ph": "M", "pid": pid, "tid": tid, "args": {"name": value}}


def run_events(run: ModelRun, pid: int) -> list[dict[str, Any]]:
    """The events of one run: process and thread names, one X event per span, the lag counter."""
    label = f"{run.model} ({run.workers} workers)" if run.workers else run.model
    events: list[dict[str, Any]] = [_meta("process_name", pid, 0, label),
                                    {"name": "process_sort_index", "ph": "M", "pid": pid, "tid": 0,
                                     "args": {"sort_index": pid}}]
    names = run.task_names()
    spans = run.spans
    tids: dict[str, int] = {}
    for span in spans:
        if span.worker not in tids:
            tids[span.worker] = tid = len(tids) + 1
            events.append(_meta("thread_name", pid, tid, span.worker))
    for span in spans:
        args: dict[str, Any] = {"task": names.get(span.task, f"task {span.task}"), "task_id": span.task,
                                "step": span.step}
        if span.cause:
            args["cause"] = str(span.cause)
        events.append({
            "name": str(span.state), "cat": run.model, "ph": "X", "pid": pid, "tid": tids[span.worker],
            "ts": _us(span.t0), "dur": round(_us(span.t1) - _us(span.t0), 3),
            "args": args,
        })
    for t, late in run.lag:
        events.append({"name": LAG_COUNTER, "ph": "C", "pid": pid, "tid": 0, "ts": _us(t),
                       "args": {"lag": round(max(late, 0.0) * 1000, 3)}})
    return events


def to_trace(doc: RunDocument) -> dict[str, Any]:
    """The whole document as a trace object; pids are 1, 2, … in run order."""
    events: list[dict[str, Any]] = []
    for pid, run in enumerate(doc.runs, start=1):
        events.extend(run_events(run, pid))
    return {"traceEvents": events, "displayTimeUnit": "ms",
            "otherData": {"plan": doc.plan, **{f"machine.{k}": str(v) for k, v in doc.machine.items()}}}


def dumps(doc: RunDocument) -> str:
    return json.dumps(to_trace(doc), separators=(",", ":"), ensure_ascii=False)
