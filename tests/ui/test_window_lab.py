"""The real app and its lab: a scripted window run saves what pressing Run measured, and a window killed
mid-run (SIGKILL, every model) leaves no process of ours behind after 2 s."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from conclab.model.trace import MODELS

LONG_PLAN = "2x net 10s; 2x sleep 10s; cpu 10s; hash 10s"


def _env(tmp_path: Path, platform: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    env.update(QT_QPA_PLATFORM=platform, XDG_CONFIG_HOME=str(tmp_path / "config"))
    return env


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.mark.parametrize("model", MODELS)
def test_killing_the_window_mid_run_leaves_no_process_behind(tmp_path: Path, model: str) -> None:
    plan = tmp_path / "long.plan"
    plan.write_text(LONG_PLAN + "\n")
    window = subprocess.Popen([sys.executable, "-m", "conclab", str(plan), "--run", "--models", model],
                              env=_env(tmp_path, "offscreen"), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        family: list[int] = []
        while time.monotonic() < deadline:
            family = [p.pid for p in psutil.Process(window.pid).children(recursive=True)]
            # The lab, its loopback server, and for processes the pool: the run is going.
            if len(family) >= (4 if model == "processes" else 2):
                break
            time.sleep(0.1)
        assert family, "the window started no lab"
        time.sleep(1.0)
        family = [p.pid for p in psutil.Process(window.pid).children(recursive=True)]
        window.kill()
        window.wait()
        deadline = time.monotonic() + 2.0
        alive = family
        while alive and time.monotonic() < deadline:
            time.sleep(0.05)
            alive = [pid for pid in family if _alive(pid)]
        assert not alive, f"{len(alive)} of {len(family)} processes still alive 2 s after the window was killed"
    finally:
        if window.poll() is None:
            window.kill()
            window.wait()


@pytest.mark.xvfb
def test_a_scripted_window_run_saves_what_run_measured(tmp_path: Path) -> None:
    xvfb = shutil.which("xvfb-run")
    assert xvfb, "xvfb-run is missing: .ci/run installs the xvfb package"
    plan = tmp_path / "two.plan"
    plan.write_text("2x spin: cpu 300ms\n")
    out = tmp_path / "run.json"
    proc = subprocess.run(
        [xvfb, "-a", "-s", "-screen 0 1600x1000x24", sys.executable, "-m", "conclab", str(plan), "--run",
         "--models", "threads,processes", "--save-run", str(out), "--quit-after-run"],
        capture_output=True, text=True, timeout=180, env=_env(tmp_path, "xcb"))
    assert proc.returncode == 0, proc.stderr[-2000:]
    doc = json.loads(out.read_text(encoding="utf-8"))
    runs = {r["model"]: r for r in doc["runs"]}
    assert set(runs) == {"threads", "processes"}
    for run in runs.values():
        assert run["runtime"] == "lab"
        assert run["metrics"]["tasks_done"] == 2
        assert 0 <= run["metrics"]["window_lag_p99_ms"] < 1000
        assert run["python"]["version"]
    # Two CPU-bound threads take turns; two processes do not (margins for a shared machine).
    assert runs["threads"]["metrics"]["wall_s"] > 0.45
    assert runs["processes"]["metrics"]["wall_s"] < 0.9 * runs["threads"]["metrics"]["wall_s"]
