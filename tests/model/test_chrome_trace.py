"""Chrome trace export: valid Trace Event structure, one slice per span, metadata for every track."""

from __future__ import annotations

import json
from typing import Any

from conclab.model.chrome_trace import LAG_COUNTER, dumps, to_trace
from conclab.model.run import ModelRun, RunDocument
from tests.model.test_runfile import MACHINE, metrics, two_run_doc

REQUIRED = {"X": {"name", "ph", "pid", "tid", "ts", "dur"}, "M": {"name", "ph", "pid", "tid", "args"},
            "C": {"name", "ph", "pid", "ts", "args"}}


def _check_structure(trace: dict[str, Any]) -> list[dict[str, Any]]:
    assert trace["displayTimeUnit"] == "ms"
    events = trace["traceEvents"]
    assert isinstance(events, list)
    for ev in events:
        assert ev["ph"] in REQUIRED, ev
        assert REQUIRED[ev["ph"]] <= set(ev), ev
        assert isinstance(ev["pid"], int)
        if "ts" in ev:
            assert isinstance(ev["ts"], int | float) and not isinstance(ev["ts"], bool) and ev["ts"] >= 0
        if ev["ph"] == "X":
            assert isinstance(ev["dur"], int | float) and ev["dur"] >= 0
    processes = {ev["pid"] for ev in events if ev["ph"] == "M" and ev["name"] == "process_name"}
    threads = {(ev["pid"], ev["tid"]) for ev in events if ev["ph"] == "M" and ev["name"] == "thread_name"}
    for ev in events:
        if ev["ph"] == "X":
            assert ev["pid"] in processes and (ev["pid"], ev["tid"]) in threads, ev
    return list(events)


def test_structure_and_one_slice_per_span() -> None:
    doc = two_run_doc()
    events = _check_structure(json.loads(dumps(doc)))
    slices = [e for e in events if e["ph"] == "X"]
    assert len(slices) == sum(len(r.spans) for r in doc.runs)
    names = {e["args"]["name"] for e in events if e["name"] == "process_name"}
    assert any(n.startswith("asyncio") for n in names) and any(n.startswith("threads") for n in names)


def test_slices_carry_state_task_and_microseconds() -> None:
    doc = two_run_doc()
    events = to_trace(doc)["traceEvents"]
    pid_of = {e["args"]["name"].split()[0]: e["pid"] for e in events if e["name"] == "process_name"}
    lane_of = {(e["pid"], e["args"]["name"]): e["tid"] for e in events if e["name"] == "thread_name"}
    for run in doc.runs:
        pid = pid_of[run.model]
        got = sorted((e["tid"], e["name"], e["ts"], e["dur"], e["args"]["task"], e["args"]["step"])
                     for e in events if e["ph"] == "X" and e["pid"] == pid)
        names = {t.id: t.name for t in run.tasks}
        want = sorted((lane_of[(pid, s.worker)], s.state, round(s.t0 * 1e6, 3),
                       round(round(s.t1 * 1e6, 3) - round(s.t0 * 1e6, 3), 3), names[s.task], s.step)
                      for s in run.spans)
        assert got == want


def test_lag_is_a_counter_track_in_milliseconds() -> None:
    doc = two_run_doc()
    counters = [e for e in to_trace(doc)["traceEvents"] if e["ph"] == "C"]
    assert {e["name"] for e in counters} == {LAG_COUNTER}
    assert len(counters) == sum(len(r.lag) for r in doc.runs)
    worst = max(counters, key=lambda e: e["args"]["lag"])
    assert abs(worst["args"]["lag"] - 180.0) < 1e-6
    assert abs(worst["ts"] - 300_000) < 1e-3


def test_each_run_is_its_own_process_and_lanes_are_threads() -> None:
    events = to_trace(two_run_doc())["traceEvents"]
    pids = [e["pid"] for e in events if e["name"] == "process_name"]
    assert len(pids) == len(set(pids)) == 2
    lanes = sorted(e["args"]["name"] for e in events if e["name"] == "thread_name" and e["pid"] == pids[1])
    assert lanes == ["queue", "thread 1", "thread 2"]


def test_empty_document_and_run_without_spans() -> None:
    empty = RunDocument("sleep 1ms", dict(MACHINE), {}, [])
    assert _check_structure(to_trace(empty)) == []
    bare = RunDocument("sleep 1ms", dict(MACHINE), {}, [ModelRun("threads", 1, metrics(0.0), [], [])])
    events = _check_structure(to_trace(bare))
    assert not [e for e in events if e["ph"] == "X"]
