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
from tests.reliability.labtools import alive

LONG_PLAN = "2x net 10s; 2x sleep 10s; cpu 10s; hash 10s"


def _env(tmp_path: Path, platform: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    env.update(QT_QPA_PLATFORM=platform, XDG_CONFIG_HOME=str(tmp_path / "config"))
    return env


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
        left = family
        while left and time.monotonic() < deadline:
            time.sleep(0.05)
            left = [pid for pid in family if alive(pid)]
        assert not left, f"{len(left)} of {len(family)} processes still alive 2 s after the window was killed"
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


@pytest.mark.xvfb
def test_a_scripted_lesson_run_in_the_window_saves_the_run_with_its_verdicts(tmp_path: Path) -> None:
    """`conclab --lesson ID --run --save-run OUT`: the lesson page's Run, its verdicts saved with the run."""
    xvfb = shutil.which("xvfb-run")
    assert xvfb, "xvfb-run is missing: .ci/run installs the xvfb package"
    out = tmp_path / "lesson.json"
    proc = subprocess.run(
        [xvfb, "-a", "-s", "-screen 0 1600x1000x24", sys.executable, "-m", "conclab", "--lesson", "offload-fix",
         "--run", "--save-run", str(out), "--quit-after-run"],
        capture_output=True, text=True, timeout=180, env=_env(tmp_path, "xcb"))
    doc = json.loads(out.read_text(encoding="utf-8"))
    lesson = doc["lesson"]
    assert lesson["id"] == "offload-fix"
    assert lesson["prediction"] is None or lesson["prediction"]["chosen"] is None, "a scripted run predicts nothing"
    [run] = doc["runs"]
    assert run["model"] == "asyncio" and run["runtime"] == "lab" and run["metrics"]["tasks_done"] == 3
    wall = run["metrics"]["wall_s"]
    first = lesson["claims"][0]
    assert first["left_value"] == pytest.approx(wall), "the verdict is about the run saved beside it"
    assert first["held"] == (abs(wall - first["right_value"]) <= 0.2 * first["right_value"])
    held = [c["held"] for c in lesson["claims"] if c["held"] is not None and not c["hidden"]]
    assert proc.returncode == (0 if all(held) else 1), proc.stderr[-2000:]


def test_a_lesson_on_the_window_command_line_is_checked_before_the_window_opens(tmp_path: Path) -> None:
    for args, said in ((["--lesson", "no-such-lesson"], "no lesson 'no-such-lesson'"),
                       (["--lesson", "offload-fix", "--models", "threads"], "leave out --models"),
                       (["--lesson", "offload-fix", "--save-run", "x.json"], "--save-run needs --run")):
        proc = subprocess.run([sys.executable, "-m", "conclab", *args], capture_output=True, text=True,
                              timeout=60, env=_env(tmp_path, "offscreen"))
        assert proc.returncode == 2 and said in proc.stderr, (args, proc.stderr)


def test_a_scripted_lesson_that_names_other_pythons_runs_once_they_have_been_looked_for(tmp_path: Path) -> None:
    """The free-threaded lesson's Run is offered only after the machine's Pythons were looked for: the
    scripted run waits for that, runs what can be made here and says what could not."""
    out = tmp_path / "lesson.json"
    proc = subprocess.run([sys.executable, "-m", "conclab", "--lesson", "free-threaded", "--run", "--save-run",
                           str(out), "--quit-after-run"], capture_output=True, text=True, timeout=180,
                          env=_env(tmp_path, "offscreen"))
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["lesson"]["id"] == "free-threaded"
    assert "threads" in [r["model"] for r in doc["runs"]], "the run this Python can make was made"
    if not any(r["python"].get("free_threaded") for r in doc["runs"]):
        assert not doc["lesson"]["complete"] and "free-threaded Python" in doc["lesson"]["status"]
