"""`conclab run` and `conclab lesson` as typed in a terminal: measured in the lab by default; Ctrl+C and
SIGTERM stop them within moments, print what was measured so far, exit 130/143 and leave nothing behind;
progress shows on a terminal's stderr only."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tests.reliability.labtools import alive

CONCLAB = [sys.executable, "-m", "conclab"]


def _family(pid: int) -> list[int]:
    try:
        return [p.pid for p in psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def test_run_measures_in_the_lab_by_default(tmp_path: Path) -> None:
    out = tmp_path / "run.json"
    p = subprocess.run([*CONCLAB, "run", "2x sleep 100ms", "--models", "asyncio", "--json", str(out)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    run = json.loads(out.read_text())["runs"][0]
    assert run["runtime"] == "lab"
    assert run["python"]["executable"]


@pytest.mark.parametrize(("sig", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
@pytest.mark.parametrize("command", ["run", "lesson"])
def test_a_signal_stops_the_run_prints_what_was_measured_and_leaves_nothing(
        tmp_path: Path, sig: signal.Signals, status: int, command: str) -> None:
    args = (["run", "4x sleep 10s; 2x cpu 10s", "--models", "threads,processes"] if command == "run"
            else ["lesson", "ten-thousand-waiters"])
    proc = subprocess.Popen([*CONCLAB, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(_family(proc.pid)) < 2:
            time.sleep(0.05)
        time.sleep(1.5)  # the lab is warm and the run is going
        family = _family(proc.pid)
        assert family, "no lab was started"
        sent = time.monotonic()
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=10)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == status, err[-1000:]
    assert took < 2.0, f"exit took {took:.2f} s after the signal"
    assert "wall time" in out or "✓" in out or "✗" in out or "–" in out, out
    assert "stopped" in err.lower()
    assert "Traceback" not in err
    time.sleep(0.5)
    assert not [pid for pid in family if alive(pid)], "processes left behind"


def test_progress_shows_on_a_terminal_and_not_when_piped() -> None:
    plan = "200x sleep 15ms"
    piped = subprocess.run([*CONCLAB, "run", plan, "--models", "sequential"], capture_output=True, text=True,
                           timeout=120)
    assert piped.returncode == 0
    assert "tasks done" not in piped.stderr
    leader, follower = pty.openpty()
    proc = subprocess.Popen([*CONCLAB, "run", plan, "--models", "sequential"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=follower)
    os.close(follower)
    seen = b""
    try:
        while proc.poll() is None or select.select([leader], [], [], 0.1)[0]:
            if select.select([leader], [], [], 0.2)[0]:
                try:
                    seen += os.read(leader, 4096)
                except OSError:
                    break
    finally:
        proc.wait(timeout=60)
        os.close(leader)
    text = seen.decode(errors="replace")
    assert "sequential:" in text and "of 200 tasks done" in text, text[-500:]
