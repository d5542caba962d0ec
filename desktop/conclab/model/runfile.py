"""The `conclab.run/1` document: a run written as JSON and read back, strictly validated.

Reading never evaluates anything: it checks every key and type and rejects anything else with a
`FormatError` naming where the problem is.
"""

from __future__ import annotations

import json
import math
from typing import Any

from conclab.model.errors import FormatError
from conclab.model.run import METRIC_KEYS, TASK_STATES, ModelRun, RunDocument, TaskOutcome
from conclab.model.trace import MODELS, STATES, Span

SCHEMA = "conclab.run/1"
MAX_FILE_BYTES = 512 * 2**20


def to_dict(doc: RunDocument) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "plan": doc.plan,
        "machine": doc.machine,
        "calibration": doc.calibration,
        "runs": [
            {
                "model": r.model,
                "workers": r.workers,
                "metrics": r.metrics,
                "tasks": [{"id": t.id, "name": t.name, "state": t.state, "error": t.error} for t in r.tasks],
                "spans": [{"task": s.task, "step": s.step, "worker": s.worker, "state": s.state,
                           "t0": round(s.t0, 7), "t1": round(s.t1, 7)} for s in r.spans],
                "lag": [[round(t, 5), round(v, 6)] for t, v in r.lag],
            }
            for r in doc.runs
        ],
    }


def dumps(doc: RunDocument) -> str:
    return json.dumps(to_dict(doc), separators=(",", ":"))


def _need(obj: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(obj, dict) or key not in obj:
        raise FormatError(f"{where}: missing key '{key}'")
    value = obj[key]
    if isinstance(value, bool) and kind is not bool and bool not in (kind if isinstance(kind, tuple) else ()):
        raise FormatError(f"{where}.{key}: expected {_name(kind)}, got a boolean")
    if not isinstance(value, kind):
        raise FormatError(f"{where}.{key}: expected {_name(kind)}, got {type(value).__name__}")
    if isinstance(value, float) and not math.isfinite(value):
        raise FormatError(f"{where}.{key}: not a finite number")
    return value


def _name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {int: "a number", float: "a number", str: "text", list: "a list", dict: "an object"}
    return " or ".join(sorted({names.get(k, k.__name__) for k in kinds}))


NUM = (int, float)


def _finite(x: Any) -> bool:
    return isinstance(x, NUM) and not isinstance(x, bool) and math.isfinite(x)


def _run(obj: Any, where: str) -> ModelRun:
    if not isinstance(obj, dict):
        raise FormatError(f"{where}: expected an object")
    model = _need(obj, "model", str, where)
    if model not in MODELS:
        raise FormatError(f"{where}.model: unknown model {model[:40]!r}")
    workers = _need(obj, "workers", int, where)
    metrics_in = _need(obj, "metrics", dict, where)
    metrics: dict[str, float] = {}
    for key in METRIC_KEYS:
        v = _need(metrics_in, key, NUM, f"{where}.metrics")
        if abs(v) > 1e15:
            raise FormatError(f"{where}.metrics.{key}: number out of range")
        metrics[key] = float(v)
    tasks = []
    for i, t in enumerate(_need(obj, "tasks", list, where)):
        w = f"{where}.tasks[{i}]"
        state = _need(t, "state", str, w)
        if state not in TASK_STATES:
            raise FormatError(f"{w}.state: unknown task state {state[:40]!r}")
        err = t.get("error") if isinstance(t, dict) else None
        if err is not None and not isinstance(err, str):
            raise FormatError(f"{w}.error: expected text or null")
        tasks.append(TaskOutcome(_need(t, "id", int, w), _need(t, "name", str, w), state, err))
    spans = []
    for i, s in enumerate(_need(obj, "spans", list, where)):
        w = f"{where}.spans[{i}]"
        state = _need(s, "state", str, w)
        if state not in STATES:
            raise FormatError(f"{w}.state: unknown state {state[:40]!r}")
        t0, t1 = float(_need(s, "t0", NUM, w)), float(_need(s, "t1", NUM, w))
        if not (-1e6 < t0 <= t1 < 1e6):
            raise FormatError(f"{w}: times out of range or t1 before t0")
        spans.append(Span(_need(s, "task", int, w), _need(s, "step", int, w), _need(s, "worker", str, w),
                          state, t0, t1))
    lag: list[tuple[float, float]] = []
    raw_lag = obj.get("lag", [])
    if not isinstance(raw_lag, list):
        raise FormatError(f"{where}.lag: expected a list")
    for i, pair in enumerate(raw_lag):
        if not isinstance(pair, list) or len(pair) != 2 or not all(_finite(x) for x in pair):
            raise FormatError(f"{where}.lag[{i}]: expected [time, lateness]")
        lag.append((float(pair[0]), float(pair[1])))
    return ModelRun(model, workers, metrics, tasks, spans, lag)


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
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise FormatError(f"not valid JSON: {exc}") from None
    return from_dict(data)
