"""The real app in its own process: `python -m conclab --run --models threads,processes PLAN` (offscreen),
with its window closed mid-run, exits with status 0 within 2 s and leaves no process behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

CLOSE_LIMIT_S = 2.0
PLAN = "2x sleep 20s; 2x net 20s; cpu 20s; hash 20s\n"

# The launcher, as `python -m conclab` runs it, plus a timer that closes the window once the run has
# been going for a while: the same close a user's click on the title bar makes.
SCRIPT = r"""
import sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

app = QApplication(sys.argv[:1])
from conclab.app import main
from conclab.ui.shell.main_window import MainWindow

seen = []

def close_mid_run():
    windows = [w for w in app.topLevelWidgets() if isinstance(w, MainWindow)]
    if windows and windows[0].controller.running:
        seen.append(time.perf_counter())
    if seen and time.perf_counter() - seen[0] > 1.0:
        print("closing", flush=True)
        windows[0].close()
        return
    QTimer.singleShot(50, close_mid_run)

QTimer.singleShot(50, close_mid_run)
code = main(sys.argv[1:])
print("returned", code, flush=True)
sys.exit(code)
"""


def test_window_closed_mid_run_exits_0_quickly(tmp_path: Path) -> None:
    plan = tmp_path / "long.plan"
    plan.write_text(PLAN, encoding="utf-8")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"),
               PYTHONFAULTHANDLER="1")
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, "--run", "--models", "threads,processes", str(plan)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        closing_at = time.perf_counter()
        assert first.strip() == "closing", first + proc.stderr.read() if proc.stderr else ""
        descendants = psutil.Process(proc.pid).children(recursive=True)
        code = proc.wait(timeout=30)
        took = time.perf_counter() - closing_at
        out, err = proc.communicate(timeout=5)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
    assert code == 0, err
    assert "returned 0" in out
    assert "Traceback" not in err, err
    print(f"\napp exited {took:.2f} s after its window was closed mid-run")
    assert took < CLOSE_LIMIT_S, f"the app took {took:.2f} s to exit after its window was closed"
    time.sleep(0.3)
    left = [p for p in descendants if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert left == [], f"processes outlived the app: {left}"


def test_sigterm_mid_run_closes_the_app_cleanly(tmp_path: Path) -> None:
    plan = tmp_path / "long.plan"
    plan.write_text(PLAN, encoding="utf-8")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"))
    proc = subprocess.Popen([sys.executable, "-m", "conclab", "--run", "--models", "threads,processes",
                             str(plan)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        me = psutil.Process(proc.pid)
        deadline = time.perf_counter() + 30
        # Wait until the run is really going: the process pool's workers exist.
        while time.perf_counter() < deadline and len(me.children(recursive=True)) < 3:
            time.sleep(0.1)
        time.sleep(0.5)
        descendants = me.children(recursive=True)
        sent = time.perf_counter()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
        took = time.perf_counter() - sent
        _out, err = proc.communicate(timeout=5)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
    assert code == 0, err
    assert "Traceback" not in err and "QThread: Destroyed" not in err, err
    assert took < CLOSE_LIMIT_S
    time.sleep(0.3)
    assert [p for p in descendants if p.is_running() and p.status() != psutil.STATUS_ZOMBIE] == []
