"""`conclab run`: readable table, the conclab.run/1 JSON document, and clean errors (exit 2)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conclab.model.run import METRIC_KEYS
from conclab.model.runfile import loads

CONCLAB = [sys.executable, "-m", "conclab"]


def _run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CONCLAB, *args], capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("runtime", ["plain", "qt"])
def test_run_prints_a_table_and_writes_json(tmp_path: Path, runtime: str) -> None:
    out = tmp_path / "run.json"
    p = _run("run", "2x sleep 100ms; cpu 50ms", "--models", "sequential,asyncio,threads",
             "--runtime", runtime, "--json", str(out))
    assert p.returncode == 0, p.stderr
    header = p.stdout.splitlines()[0]
    assert "sequential" in header and "asyncio" in header and "threads" in header
    assert "wall time" in p.stdout and "Traceback" not in p.stderr
    doc = json.loads(out.read_text())
    assert doc["schema"] == "conclab.run/1"
    assert set(doc["machine"]) >= {"python", "implementation", "gil_enabled", "cpus", "platform"}
    assert doc["calibration"]["cpu_iters_per_s"] > 0
    assert [r["model"] for r in doc["runs"]] == ["sequential", "asyncio", "threads"]
    for r in doc["runs"]:
        assert set(r["metrics"]) >= set(METRIC_KEYS)
        assert {t["state"] for t in r["tasks"]} == {"done"}
        assert r["spans"] and {"task", "step", "worker", "state", "t0", "t1"} <= set(r["spans"][0]) <= {
            "task", "step", "worker", "state", "t0", "t1", "cause"}
    seq, aio, thr = (r["metrics"]["wall_s"] for r in doc["runs"])
    assert aio < seq and thr < seq
    assert loads(out.read_text()).runs[0].model == "sequential"


def test_json_to_stdout_is_only_json() -> None:
    p = _run("run", "sleep 20ms", "--models", "asyncio", "--runtime", "plain", "--json", "-")
    assert p.returncode == 0
    assert json.loads(p.stdout)["runs"][0]["model"] == "asyncio"


def test_plan_file_argument(tmp_path: Path) -> None:
    f = tmp_path / "p.plan"
    f.write_text("# two waits\n2x nap: sleep 30ms\n")
    p = _run("run", str(f), "--models", "threads", "--runtime", "plain", "--json", "-")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["plan"] == "2x nap: sleep 30ms"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "3x slep 10ms"], "did you mean 'sleep'"),
        (["run", "sleep 10ms", "--models", "fibers"], "unknown model 'fibers'"),
        (["run", "sleep 10ms", "--workers", "0", "--models", "threads"], "workers must be at least 1"),
        (["run", "sleep 10ms", "--workers", "100000", "--models", "threads"], "use a pool of"),
        (["run", "missing.plan"], "cannot read plan file"),
        (["run", "sleep 10ms", "--json", "/nonexistent-dir/x.json", "--runtime", "plain",
          "--models", "asyncio"], "could not write"),
        (["frobnicate"], "no such file: frobnicate"),
        (["--frobnicate"], "unrecognized arguments"),
    ],
)
def test_bad_input_exits_2_with_a_message(args: list[str], message: str) -> None:
    p = _run(*args)
    assert p.returncode == 2
    assert message in p.stderr
    assert "Traceback" not in p.stderr


def test_no_trace_keeps_one_span_per_task_and_reports_the_overhead() -> None:
    p = _run("run", "2x cpu 60ms, sleep 10ms", "--models", "threads", "--runtime", "plain", "--no-trace",
             "--json", "-")
    doc = json.loads(p.stdout)
    spans = doc["runs"][0]["spans"]
    assert sorted(s["task"] for s in spans) == [0, 1]
    assert all(s["step"] == -1 for s in spans)
    assert isinstance(doc["calibration"]["recording_overhead"], float)
    table = _run("run", "cpu 20ms", "--models", "asyncio", "--runtime", "plain")
    assert "measurement overhead on cpu work" in table.stdout
