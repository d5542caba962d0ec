"""The conclab.run/1 file: round trips, and every kind of malformed file ends in a FormatError message.

Also holds the fabricated run documents the other export tests share.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conclab.model.errors import FormatError
from conclab.model.run import METRIC_KEYS, ModelRun, RunDocument, TaskOutcome
from conclab.model.runfile import SCHEMA, dumps, loads
from conclab.model.trace import Span

MACHINE = {"python": "3.11.7", "implementation": "CPython", "gil_enabled": True, "cpus": 2,
           "platform": "Linux-6.1-x86_64-with-glibc2.36"}


def metrics(wall: float) -> dict[str, float]:
    m = dict.fromkeys(METRIC_KEYS, 0.0)
    m.update(wall_s=wall, tasks_done=2.0)
    return m


def two_run_doc() -> RunDocument:
    """An asyncio and a threads run of a two-task plan, with every span state and some lag."""
    tasks = [TaskOutcome(0, "fetch", "done"), TaskOutcome(1, "crunch", "done")]
    aio = ModelRun("asyncio", 0, metrics(0.3), list(tasks), [
        Span(0, 0, "task 0", "io_wait", 0.0, 0.2),
        Span(1, 0, "task 1", "running", 0.0, 0.1),
        Span(0, 0, "task 0", "ready_wait", 0.2, 0.25),
        Span(1, 1, "task 1", "blocking", 0.1, 0.3),
    ], [(0.01, 0.0005), (0.12, 0.1), (0.3, 0.18)])
    thr = ModelRun("threads", 2, metrics(0.25), list(tasks), [
        Span(0, -1, "queue", "queued", 0.0, 0.01),
        Span(0, 0, "thread 1", "running", 0.01, 0.1),
        Span(1, 0, "thread 2", "ready_wait", 0.0, 0.05),
        Span(1, 0, "thread 2", "running", 0.05, 0.25),
    ], [(0.01, 0.001)])
    return RunDocument("fetch: net 200ms; crunch: cpu 100ms, block 200ms", dict(MACHINE), {"seconds": 0.1},
                       [aio, thr])


def _valid() -> dict[str, Any]:
    return dict(json.loads(dumps(two_run_doc())))


def _message(data: Any) -> str:
    with pytest.raises(FormatError) as info:
        loads(data if isinstance(data, str | bytes) else json.dumps(data))
    return str(info.value)


def test_round_trip_keeps_everything() -> None:
    doc = two_run_doc()
    back = loads(dumps(doc))
    assert back.plan == doc.plan and back.machine == doc.machine and back.calibration == doc.calibration
    assert [r.model for r in back.runs] == ["asyncio", "threads"]
    for a, b in zip(doc.runs, back.runs, strict=True):
        assert (a.workers, a.metrics, a.tasks) == (b.workers, b.metrics, b.tasks)
        assert [tuple(s) for s in a.spans] == [tuple(s) for s in b.spans]
        assert a.lag == b.lag
    assert dumps(back) == dumps(doc)
    assert loads(dumps(doc).encode("utf-8")).plan == doc.plan


def test_truncated_file_at_every_tenth_of_its_length() -> None:
    text = dumps(two_run_doc())
    for n in range(0, len(text), max(len(text) // 10, 1)):
        assert "not valid JSON" in _message(text[:n])


@pytest.mark.parametrize(("mutate", "fragment"), [
    (lambda d: d.update(schema="conclab.run/2"), "schema"),
    (lambda d: d.pop("schema"), "schema"),
    (lambda d: d.pop("runs"), "missing key 'runs'"),
    (lambda d: d.update(runs={}), "runs: expected a list"),
    (lambda d: d.update(plan=3), "plan: expected text"),
    (lambda d: d["runs"][0].update(model="greenlets"), "unknown model"),
    (lambda d: d["runs"][0].update(workers="2"), "workers: expected a number"),
    (lambda d: d["runs"][0].update(workers=True), "boolean"),
    (lambda d: d["runs"][0]["metrics"].pop("wall_s"), "missing key 'wall_s'"),
    (lambda d: d["runs"][0]["metrics"].update(wall_s="fast"), "wall_s: expected a number"),
    (lambda d: d["runs"][0]["metrics"].update(wall_s=1e300), "out of range"),
    (lambda d: d["runs"][0]["metrics"].update(wall_s=10**400), "out of range"),
    (lambda d: d["runs"][0]["tasks"][0].update(state="exploded"), "unknown task state"),
    (lambda d: d["runs"][0]["tasks"][0].update(error=5), "error: expected text or null"),
    (lambda d: d["runs"][0]["tasks"].__setitem__(0, "fetch"), "tasks[0]"),
    (lambda d: d["runs"][0]["spans"][0].update(state="dancing"), "unknown state"),
    (lambda d: d["runs"][0]["spans"][0].update(t0=5.0, t1=1.0), "t1 before t0"),
    (lambda d: d["runs"][0]["spans"][0].update(t1=1e9), "out of range"),
    (lambda d: d["runs"][0]["spans"][0].update(task=None), "task: expected a number"),
    (lambda d: d["runs"][0].update(lag=[[0.1]]), "lag[0]"),
    (lambda d: d["runs"][0].update(lag="none"), "lag: expected a list"),
    (lambda d: d.update(machine=[]), "machine: expected an object"),
])
def test_wrong_schema_and_wrong_types_name_the_place(mutate: Any, fragment: str) -> None:
    data = _valid()
    mutate(data)
    assert fragment in _message(data)


@pytest.mark.parametrize("text", ["", "[]", "null", "42", '"run"', "{}", "\x00\x01", "{" * 100_000,
                                  '{"schema": "conclab.run/1", "runs": [' + "[" * 50_000 + "]}",
                                  "NaN", '{"schema":"conclab.run/1","plan":"x","machine":{},"calibration":{},'
                                  '"runs":[{"model":"asyncio","workers":0,"metrics":{"wall_s":NaN}}]}'])
def test_odd_documents_are_rejected_with_a_message(text: str) -> None:
    assert _message(text)


def test_invalid_utf8_and_huge_digit_strings() -> None:
    assert _message(b"\xff\xfe{\x00")
    data = json.dumps(_valid()).replace('"workers": 0', '"workers": ' + "9" * 5000, 1)
    assert data.count("9" * 5000) == 1
    assert _message(data)


@pytest.mark.parametrize("where", ["span", "lag"])
def test_integers_beyond_float_range_in_times(where: str) -> None:
    data = _valid()
    if where == "span":
        data["runs"][0]["spans"][0]["t1"] = 10**400
    else:
        data["runs"][0]["lag"] = [[10**400, 0.0]]
    assert "range" in _message(data) or "expected" in _message(data)


def test_fifty_megabytes_of_junk() -> None:
    junk = bytes(range(256)) * (50 * 2**20 // 256)
    assert "not valid JSON" in _message(junk)
    braces = "[" + "0," * (25 * 2**20 - 1) + "0]"
    assert "top level is not an object" in _message(braces)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=300), st.binary(max_size=300)))
def test_fuzz_arbitrary_input_never_crashes(data: str | bytes) -> None:
    try:
        doc = loads(data)
    except FormatError as exc:
        assert str(exc)
    else:
        assert isinstance(doc, RunDocument)


_JSON = st.recursive(st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False)
                     | st.text(max_size=10), lambda kids: st.lists(kids, max_size=4)
                     | st.dictionaries(st.text(max_size=6), kids, max_size=4), max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_fuzz_one_value_replaced_anywhere_in_a_valid_file(data: st.DataObject) -> None:
    doc = _valid()
    node: Any = doc
    while True:
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        key = data.draw(st.sampled_from(keys))
        child = node[key]
        if isinstance(child, dict | list) and child and data.draw(st.booleans()):
            node = child
            continue
        node[key] = data.draw(_JSON)
        break
    try:
        back = loads(json.dumps(doc))
    except FormatError as exc:
        assert str(exc)
    else:
        assert back.plan is not None and all(r.model for r in back.runs)
        assert loads(dumps(back)).plan == back.plan


def test_schema_constant() -> None:
    assert SCHEMA == "conclab.run/1"


def test_columnar_spans_round_trip_and_are_compact() -> None:
    doc = two_run_doc()
    columnar = dumps(doc, columns=True)
    assert '"span_columns"' in columnar and '"spans"' not in columnar
    back = loads(columnar)
    for a, b in zip(doc.runs, back.runs, strict=True):
        assert [(s.task, s.step, s.worker, s.state) for s in a.spans] == \
               [(s.task, s.step, s.worker, s.state) for s in b.spans]
        assert all(abs(x.t0 - y.t0) <= 1e-6 and abs(x.t1 - y.t1) <= 2e-6 for x, y in zip(a.spans, b.spans, strict=True))
    assert dumps(back, columns=True) == columnar
    big = RunDocument("p", dict(MACHINE), {}, [ModelRun("threads", 2, metrics(1.0), [], [
        Span(i % 50, i % 3, f"thread {i % 8}", "running", i * 1e-5, i * 1e-5 + 7e-6) for i in range(60_000)])])
    text = dumps(big)
    assert '"span_columns"' in text
    assert len(text) / 60_000 < 40


@pytest.mark.parametrize(("mutate", "fragment"), [
    (lambda c: c.update(lane=[99] * len(c["lane"])), "lane[0]"),
    (lambda c: c.update(state=c["state"][:-1]), "expected"),
    (lambda c: c.update(t0_us=[1.5] * len(c["t0_us"])), "t0_us[0]"),
    (lambda c: c.update(states=["sleeping"]), "states"),
    (lambda c: c.update(dur_us=[-1] * len(c["dur_us"])), "dur_us[0]"),
    (lambda c: c.pop("task"), "task"),
])
def test_broken_span_columns_name_the_place(mutate: Any, fragment: str) -> None:
    data = json.loads(dumps(two_run_doc(), columns=True))
    mutate(data["runs"][0]["span_columns"])
    assert fragment in _message(data)


def test_causes_lane_kinds_and_python_round_trip_in_both_span_forms() -> None:
    from conclab.model.trace import Cause, LaneKind

    spans = [Span(0, 0, "thread 1", "running", 0.0, 0.1),
             Span(0, 0, "thread 1", "ready_wait", 0.1, 0.2, Cause.CORE),
             Span(1, 0, "thread 2", "ready_wait", 0.1, 0.15, Cause.GIL)]
    python = {"version": "3.13.0", "implementation": "CPython", "gil_enabled": True, "free_threaded": False,
              "executable": "/usr/bin/python3.13"}
    run = ModelRun("threads", 2, {**metrics(0.2), "window_lag_p99_ms": 12.5},
                   [TaskOutcome(0, "a", "done"), TaskOutcome(1, "b", "done")], spans,
                   lanes={"thread 1": LaneKind.WORKER, "thread 2": LaneKind.WORKER}, python=python)
    doc = RunDocument("2x cpu 100ms", MACHINE, {}, [run])
    for columns in (False, True):
        back = loads(dumps(doc, columns=columns)).runs[0]
        assert [s.cause for s in back.spans] == ["", "core", "gil"]
        assert back.lanes == {"thread 1": LaneKind.WORKER, "thread 2": LaneKind.WORKER}
        assert back.python == python
        assert back.metrics["window_lag_p99_ms"] == 12.5


def test_an_unknown_cause_is_named() -> None:
    import json

    data = json.loads(dumps(two_run_doc(), columns=False))
    data["runs"][0]["spans"][0]["cause"] = "gremlins"
    with pytest.raises(FormatError, match="cause"):
        loads(json.dumps(data))
