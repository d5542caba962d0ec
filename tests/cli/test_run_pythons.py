"""The same plan on several Pythons of this machine, side by side: `conclab run … --python 3.12,3.13` runs
a lab under each (from the app's own files, nothing installed into them), and every run in the document
says which Python made it and where its CPU time and context switches were read from."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conclab.engines.interpreters import InterpreterError, resolve


def _present(version: str) -> str:
    try:
        return resolve(version).executable
    except InterpreterError as exc:
        pytest.skip(f"Python {version} is not on this machine: {exc}")


@pytest.mark.parametrize("version", ["3.12", "3.13"])
def test_a_plan_runs_on_another_python_of_this_machine(tmp_path: Path, version: str) -> None:
    executable = _present(version)
    out = tmp_path / "run.json"
    p = subprocess.run([sys.executable, "-m", "conclab", "run", "2x cpu 100ms; sleep 50ms", "--models",
                        "threads,asyncio", "--python", version, "--json", str(out)],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    runs = json.loads(out.read_text())["runs"]
    assert [r["model"] for r in runs] == ["threads", "asyncio"]
    for run in runs:
        assert run["python"]["version"].startswith(version + ".")
        assert run["python"]["executable"] == executable
        assert run["python"]["implementation"] == "CPython"
        assert run["metrics"]["tasks_done"] == 3
        # The lab there may have no psutil: the run says what its readings came from.
        assert run["sources"]["cpu"] in ("getrusage", "process_time")
        assert run["metrics"]["ctx_switches"] > 0


def test_several_pythons_share_one_time_axis_labelled_apart(tmp_path: Path) -> None:
    _present("3.12")
    _present("3.13")
    out = tmp_path / "run.json"
    p = subprocess.run([sys.executable, "-m", "conclab", "run", "2x cpu 100ms", "--models", "threads",
                        "--python", "3.12,3.13", "--json", str(out)], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    runs = json.loads(out.read_text())["runs"]
    assert [r["label"] for r in runs] == [f"threads · {r['python']['version']}" for r in runs]
    assert [r["python"]["version"][:4] for r in runs] == ["3.12", "3.13"]
    assert "threads · 3.12" in p.stdout and "threads · 3.13" in p.stdout


def test_an_unknown_python_is_refused_with_what_there_is() -> None:
    p = subprocess.run([sys.executable, "-m", "conclab", "run", "sleep 1ms", "--python", "2.9"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 2
    assert "2.9" in p.stderr and "available" in p.stderr and "Traceback" not in p.stderr
