"""Run files: saving and loading a 1,000,000-span run with `conclab.model.runfile`, and its size.

The run is synthetic but shaped like a real one: 64 worker lanes, every state, times spread over a
minute, task outcomes and heartbeat samples. Each of `dumps` and `loads` is timed whole (median of a
few repetitions), then split once into its two halves — building / checking the Python objects versus
the `json` module's own encoding / decoding — so a miss can be traced to what dominates. A run this
large is written in the columnar span form; the last row shows what the object form (used for small
runs) spends per span on names and punctuation alone. Each is also timed once with the cyclic garbage
collector paused, since a million fresh containers make it run many full collections.
"""

from __future__ import annotations

import gc
import json
import random
import sys
from collections.abc import Callable
from functools import partial
from time import perf_counter
from typing import Any

from benchmarks.common import Row, median, noise, report, row
from conclab.model import runfile
from conclab.model.run import METRIC_KEYS, ModelRun, RunDocument, TaskOutcome
from conclab.model.trace import STATES, Span

REPS = 3
SPANS = 1_000_000
TASKS = 1_000
LANES = 64
TARGET_S = 2.0
TARGET_BYTES = 60.0


def synthetic_run(n_spans: int = SPANS, seed: int = 11) -> RunDocument:
    """A run document holding `n_spans` spans under one model, with plausible values everywhere."""
    rng = random.Random(seed)
    workers = [f"thread {i + 1}" for i in range(LANES)]
    spans: list[Span] = []
    t = 0.0
    step_dt = 60.0 / n_spans * LANES
    for i in range(n_spans):
        if i % LANES == 0:
            t += step_dt * rng.uniform(0.5, 1.5)
        t0 = t + rng.uniform(0.0, step_dt)
        spans.append(Span(i % TASKS, rng.randrange(8), workers[i % LANES], STATES[i % len(STATES)], t0,
                          t0 + rng.uniform(1e-5, step_dt)))
    spans.sort(key=lambda s: (s.t0, s.t1))
    metrics = {k: round(rng.uniform(0.0, 100.0), 3) for k in METRIC_KEYS}
    tasks = [TaskOutcome(i, f"task{i}", "done") for i in range(TASKS)]
    lag = [(k * 0.01, rng.uniform(0.0, 0.003)) for k in range(6000)]
    run = ModelRun("threads", LANES, metrics, tasks, spans, lag)
    return RunDocument(f"{TASKS}x work: sleep 10ms, cpu 5ms", {"cpus": 2}, {"cpu_iters_per_s": 1.8e7}, [run])


def _timed(fn: Callable[[], Any], gc_paused: bool = False) -> tuple[float, Any]:
    gc.collect()
    if gc_paused:
        gc.disable()
    try:
        t0 = perf_counter()
        out = fn()
        return perf_counter() - t0, out
    finally:
        gc.enable()


def _names_per_span() -> float:
    """Bytes each span spends on field names and punctuation: its JSON object with every value removed."""
    keys = ("task", "step", "worker", "state", "t0", "t1")
    empty = json.dumps(dict.fromkeys(keys, ""), separators=(",", ":")).replace('""', "")
    return float(len(empty) + 1)  # the comma between objects in the list


def run(reps: int = REPS) -> list[Row]:
    """Save/load times of a 1M-span run, bytes per span, and where the time and bytes go."""
    doc = synthetic_run()
    n = sum(len(r.spans) for r in doc.runs)
    dump_times: list[float] = []
    load_times: list[float] = []
    text = ""
    for _ in range(reps):
        dt, text = _timed(partial(runfile.dumps, doc))
        dump_times.append(dt)
        lt, back = _timed(partial(runfile.loads, text))
        load_times.append(lt)
        if len(back.runs[0].spans) != n:
            raise RuntimeError("the run read back has a different number of spans")
        del back
    size = len(text.encode())
    to_dict_s, data = _timed(partial(runfile.to_dict, doc))
    encode_s, _ = _timed(partial(json.dumps, data, separators=(",", ":")))
    del data
    decode_s, parsed = _timed(partial(json.loads, text))
    check_s, _ = _timed(partial(runfile.from_dict, parsed))
    del parsed
    dump_nogc_s, _ = _timed(partial(runfile.dumps, doc), gc_paused=True)
    load_nogc_s, _ = _timed(partial(runfile.loads, text), gc_paused=True)
    per_span = size / n
    names = _names_per_span()
    label = f"{n:,}-span run"
    return [
        row(f"runfile dumps {label}", median(dump_times), TARGET_S, "s", noise(dump_times)),
        row("runfile   dumps: building dicts (to_dict)", to_dict_s, None, "s"),
        row("runfile   dumps: json.dumps", encode_s, None, "s"),
        row("runfile   dumps with the cyclic GC paused", dump_nogc_s, None, "s"),
        row(f"runfile loads {label}", median(load_times), TARGET_S, "s", noise(load_times)),
        row("runfile   loads: json.loads", decode_s, None, "s"),
        row("runfile   loads: checking + Span objects (from_dict)", check_s, None, "s"),
        row("runfile   loads with the cyclic GC paused", load_nogc_s, None, "s"),
        row("runfile file size per span", per_span, TARGET_BYTES, "B",
            note=f"{size / 2**20:.0f} MiB in all"),
        row("runfile   object form (small runs): names + punctuation per span", names, None, "B",
            note="large runs are written as columns, so this is not in the file above"),
    ]


if __name__ == "__main__":
    sys.exit(report(run(), "run files (conclab.model.runfile)"))
