"""The `conclab.run/1` document: a run written as JSON and read back, strictly validated.

Spans are written as a list of objects (`{"task", "step", "worker", "state", "t0", "t1"}`, plus
`"cause"` on a ready wait whose cause was measured) — the form `conclab run --json` documents. Runs
past `COLUMNS_ABOVE` spans are written in a columnar form under `span_columns` instead (lane, state
and cause tables, integer microseconds), about a third of the size and several times faster to read;
readers accept both. A run also names its lanes' kinds and the Python that ran it. Reading never
evaluates anything: every key and type is checked, and anything else is a `FormatError` naming where
the problem is.
"""

from __future__ import annotations

import gc
import json
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from conclab.model.errors import FormatError
from conclab.model.run import METRIC_KEYS, TASK_STATES, ModelRun, RunDocument, TaskOutcome
from conclab.model.trace import CAUSES, MODELS, STATES, LaneKind, Span

SCHEMA = "conclab.run/1"
MAX_FILE_BYTES = 512 * 2**20
COLUMNS_ABOVE = 50_000
MAX_TIME_S = 1e6
_METRIC_NAME = re.compile(r"[a-z][a-z0-9_]{0,47}")


@contextmanager
def paused_gc() -> Iterator[None]:
    """Building a million small objects triggers the cycle collector over and over, to no use."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _span_objects(spans: list[Span]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for s in spans:
        obj: dict[str, Any] = {"task": s.task, "step": s.step, "worker": s.worker, "state": str(s.state),
                               "t0": round(s.t0, 7), "t1": round(s.t1, 7)}
        if s.cause:
            obj["cause"] = str(s.cause)
        out.append(obj)
    return out


def _span_columns(spans: list[Span]) -> dict[str, Any]:
    lanes: dict[str, int] = {}
    lane_names = _lane_table(spans, lanes)
    states: dict[str, int] = {str(s): i for i, s in enumerate(STATES)}
    causes: dict[str, int] = {str(c): i for i, c in enumerate(CAUSES)}
    t0 = [round(s.t0 * 1e6) for s in spans]
    return {
        "lanes": lane_names,
        "states": [str(s) for s in STATES],
        "causes": [str(c) for c in CAUSES],
        "cause": [causes[s.cause] for s in spans],
        "task": [s.task for s in spans],
        "step": [s.step for s in spans],
        "lane": [lanes[s.worker] for s in spans],
        "state": [states[s.state] for s in spans],
        "t0_us": t0,
        "dur_us": [round(s.t1 * 1e6) - a for s, a in zip(spans, t0, strict=True)],
    }


def _lane_table(spans: list[Span], lanes: dict[str, int]) -> list[str]:
    for s in spans:
        if s.worker not in lanes:
            lanes[s.worker] = len(lanes)
    return list(lanes)


def run_to_dict(r: ModelRun, columns: bool | None = None, *, spans: bool = True) -> dict[str, Any]:
    """One run as `conclab.run/1` writes it (`spans=False`: without its spans, which the lab streams)."""
    if not spans:
        return _run_dict(r, False, with_spans=False)
    return _run_dict(r, len(r.spans) > COLUMNS_ABOVE if columns is None else columns)


def run_from_dict(obj: Any, where: str = "run") -> ModelRun:
    """Read one run back, validated as strictly as a whole file."""
    return _run(obj, where)


def _run_dict(r: ModelRun, columns: bool, *, with_spans: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "model": r.model,
        "workers": r.workers,
        "metrics": r.metrics,
        "tasks": [{"id": t.id, "name": t.name, "state": t.state, "error": t.error} for t in r.tasks],
    }
    if columns:
        out["span_columns"] = _span_columns(r.spans)
    else:
        out["spans"] = _span_objects(r.spans) if with_spans else []
    out["lag"] = [[round(t, 5), round(v, 6)] for t, v in r.lag]
    if r.lanes:
        out["lanes"] = {name: str(kind) for name, kind in r.lanes.items()}
    if r.python:
        out["python"] = r.python
    if r.label:
        out["label"] = r.label
    if r.sources:
        out["sources"] = r.sources
    out["runtime"] = r.runtime
    return out


def to_dict(doc: RunDocument, columns: bool | None = None) -> dict[str, Any]:
    """`columns`: None chooses by size; True/False forces the span form."""
    with paused_gc():
        return {
            "schema": SCHEMA,
            "plan": doc.plan,
            "machine": doc.machine,
            "calibration": doc.calibration,
            "runs": [_run_dict(r, len(r.spans) > COLUMNS_ABOVE if columns is None else columns)
                     for r in doc.runs],
        }


def dumps(doc: RunDocument, columns: bool | None = None) -> str:
    data = to_dict(doc, columns)
    with paused_gc():
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


NUM = (int, float)


def _name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {int: "a number", float: "a number", str: "text", list: "a list", dict: "an object"}
    return " or ".join(sorted({names.get(k, k.__name__) for k in kinds}))


def _need(obj: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(obj, dict) or key not in obj:
        raise FormatError(f"{where}: missing key '{key}'")
    value = obj[key]
    if isinstance(value, bool) or not isinstance(value, kind):
        got = "a boolean" if isinstance(value, bool) else type(value).__name__
        raise FormatError(f"{where}.{key}: expected {_name(kind)}, got {got}")
    if isinstance(value, (int, float)) and not _finite(value):
        raise FormatError(f"{where}.{key}: number out of range")
    return value


def _finite(x: Any) -> bool:
    """A JSON number a float can hold (huge integers would overflow when converted)."""
    if isinstance(x, bool) or not isinstance(x, NUM):
        return False
    if isinstance(x, int):
        return -10**15 < x < 10**15
    return math.isfinite(x) and abs(x) < 1e15


def _time(obj: Any, key: str, where: str) -> float:
    v = float(_need(obj, key, NUM, where))
    if not -MAX_TIME_S < v < MAX_TIME_S:
        raise FormatError(f"{where}.{key}: time out of range")
    return v


def _tasks(raw: list[Any], where: str) -> list[TaskOutcome]:
    tasks = []
    for i, t in enumerate(raw):
        w = f"{where}.tasks[{i}]"
        state = _need(t, "state", str, w)
        if state not in TASK_STATES:
            raise FormatError(f"{w}.state: unknown task state {state[:40]!r}")
        err = t.get("error")
        if err is not None and not isinstance(err, str):
            raise FormatError(f"{w}.error: expected text or null")
        tasks.append(TaskOutcome(_need(t, "id", int, w), _need(t, "name", str, w), state, err))
    return tasks


def _object_spans(raw: list[Any], where: str) -> list[Span]:
    spans = []
    for i, s in enumerate(raw):
        w = f"{where}.spans[{i}]"
        state = _need(s, "state", str, w)
        if state not in STATES:
            raise FormatError(f"{w}.state: unknown state {state[:40]!r}")
        t0, t1 = _time(s, "t0", w), _time(s, "t1", w)
        if t1 < t0:
            raise FormatError(f"{w}: t1 before t0")
        cause = s.get("cause", "")
        if cause not in CAUSES:
            raise FormatError(f"{w}.cause: unknown cause {str(cause)[:40]!r}")
        spans.append(Span(_need(s, "task", int, w), _need(s, "step", int, w), _need(s, "worker", str, w),
                          state, t0, t1, cause))
    return spans


def _int_column(cols: dict[str, Any], key: str, n: int | None, where: str, lo: int, hi: int) -> list[int]:
    col: list[int] = _need(cols, key, list, where)
    if n is not None and len(col) != n:
        raise FormatError(f"{where}.{key}: {len(col)} values, expected {n}")
    for i, v in enumerate(col):
        if type(v) is not int or not lo <= v < hi:
            raise FormatError(f"{where}.{key}[{i}]: expected a whole number in range, got {str(v)[:40]}")
    return col


def _column_spans(cols: Any, where: str) -> list[Span]:
    w = f"{where}.span_columns"
    if not isinstance(cols, dict):
        raise FormatError(f"{w}: expected an object")
    lanes = _need(cols, "lanes", list, w)
    states = _need(cols, "states", list, w)
    if not all(isinstance(x, str) for x in lanes):
        raise FormatError(f"{w}.lanes: expected a list of text")
    if not all(isinstance(x, str) and x in STATES for x in states):
        raise FormatError(f"{w}.states: expected a list of span states")
    task = _int_column(cols, "task", None, w, 0, 10**9)
    n = len(task)
    step = _int_column(cols, "step", n, w, -1, 10**6)
    lane = _int_column(cols, "lane", n, w, 0, max(1, len(lanes)))
    state = _int_column(cols, "state", n, w, 0, max(1, len(states)))
    t0 = _int_column(cols, "t0_us", n, w, -10**12, 10**12)
    dur = _int_column(cols, "dur_us", n, w, 0, 10**12)
    causes = cols.get("causes", [""])
    if not isinstance(causes, list) or not all(isinstance(x, str) and x in CAUSES for x in causes):
        raise FormatError(f"{w}.causes: expected a list of ready-wait causes")
    cause = _int_column(cols, "cause", n, w, 0, max(1, len(causes))) if "cause" in cols else [0] * n
    with paused_gc():
        return [Span(a, b, lanes[c], states[d], e / 1e6, (e + f) / 1e6, causes[g])
                for a, b, c, d, e, f, g in zip(task, step, lane, state, t0, dur, cause, strict=True)]


def _lanes(obj: dict[str, Any], where: str) -> dict[str, LaneKind]:
    raw = obj.get("lanes", {})
    if not isinstance(raw, dict):
        raise FormatError(f"{where}.lanes: expected an object of lane name: kind")
    kinds = {str(k) for k in LaneKind}
    out: dict[str, LaneKind] = {}
    for name, kind in raw.items():
        if kind not in kinds:
            raise FormatError(f"{where}.lanes.{str(name)[:40]}: unknown lane kind {str(kind)[:40]!r}")
        out[name] = LaneKind(kind)
    return out


def _run(obj: Any, where: str) -> ModelRun:
    if not isinstance(obj, dict):
        raise FormatError(f"{where}: expected an object")
    model = _need(obj, "model", str, where)
    if model not in MODELS:
        raise FormatError(f"{where}.model: unknown model {model[:40]!r}")
    workers = _need(obj, "workers", int, where)
    metrics_in = _need(obj, "metrics", dict, where)
    metrics = {key: float(_need(metrics_in, key, NUM, f"{where}.metrics")) for key in METRIC_KEYS}
    for key, value in metrics_in.items():
        # Metrics added after a file was written are optional; any other must be a plain number.
        if key not in metrics and isinstance(key, str) and _METRIC_NAME.fullmatch(key) and _finite(value):
            metrics[key] = float(value)
    tasks = _tasks(_need(obj, "tasks", list, where), where)
    if "span_columns" in obj:
        spans = _column_spans(obj["span_columns"], where)
    else:
        spans = _object_spans(_need(obj, "spans", list, where), where)
    lag: list[tuple[float, float]] = []
    raw_lag = obj.get("lag", [])
    if not isinstance(raw_lag, list):
        raise FormatError(f"{where}.lag: expected a list")
    for i, pair in enumerate(raw_lag):
        if not isinstance(pair, list) or len(pair) != 2 or not all(_finite(x) for x in pair):
            raise FormatError(f"{where}.lag[{i}]: expected [time, lateness]")
        lag.append((float(pair[0]), float(pair[1])))
    python = obj.get("python", {})
    if not isinstance(python, dict):
        raise FormatError(f"{where}.python: expected an object")
    label = obj.get("label", "")
    runtime = obj.get("runtime", "lab")
    if not isinstance(label, str) or len(label) > 80:
        raise FormatError(f"{where}.label: expected short text")
    if runtime not in ("lab", "window"):
        raise FormatError(f"{where}.runtime: expected \"lab\" or \"window\"")
    sources = obj.get("sources", {})
    if not isinstance(sources, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                 for k, v in sources.items()):
        raise FormatError(f"{where}.sources: expected an object of text")
    return ModelRun(model, workers, metrics, tasks, spans, lag, _lanes(obj, where), python, label, runtime,
                    sources)


def from_dict(data: Any) -> RunDocument:
    if not isinstance(data, dict):
        raise FormatError("not a Concurrency Lab run: the top level is not an object")
    schema = data.get("schema")
    if schema != SCHEMA:
        raise FormatError(f"not a Concurrency Lab run: schema is {str(schema)[:40]!r}, expected {SCHEMA!r}")
    runs = [_run(r, f"runs[{i}]") for i, r in enumerate(_need(data, "runs", list, "run"))]
    return RunDocument(_need(data, "plan", str, "run"), _need(data, "machine", dict, "run"),
                       _need(data, "calibration", dict, "run"), runs)


def loads(text: str | bytes) -> RunDocument:
    if len(text) > MAX_FILE_BYTES:
        raise FormatError("the file is too large to be a run")
    try:
        with paused_gc():
            data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise FormatError(f"not valid JSON: {exc}") from None
    return from_dict(data)


def load_run_file(path: str | Path) -> RunDocument:
    """Read a saved run; any problem becomes a FormatError naming the file."""
    target = Path(path)
    try:
        if target.stat().st_size > MAX_FILE_BYTES:
            raise FormatError(f"{target}: the file is too large to be a run")
        data = target.read_bytes()
    except OSError as exc:
        raise FormatError(f"cannot read {target}: {exc.strerror or exc}") from None
    try:
        return loads(data)
    except FormatError as exc:
        raise FormatError(f"{target}: {exc}") from None
