"""The real app in its own process: `conclab PLAN --run --models M` (offscreen), with its window closed
mid-run under every model, or sent SIGTERM, exits with status 0 within 2 s and leaves no process behind:
no lab, no pool worker, no loopback server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from conclab.model.trace import MODELS
from tests.reliability.labtools import alive, cmdline

CLOSE_LIMIT_S = 2.0
# Long enough to be mid-run when the window closes, short enough (under a minute for every model) that
# the window does not first ask whether to run it.
PLAN = "2x sleep 8s; net 8s; cpu 8s; hash 8s\n"

# The launcher, as `python -m conclab` runs it, plus a timer that closes the window once the run has
# been going for a while (and, under processes, once the lab's pool is up): the same close a user's
# click on the title bar makes.
SCRIPT = r"""
import sys, time
import psutil
from PySide6.QtCore import QTimer
from conclab.ui.shell.qt_app import ensure_app

app = ensure_app()
from conclab.app import main
from conclab.ui.shell.main_window import MainWindow

seen = []
want = int(sys.argv[1])
me = psutil.Process()

def close_mid_run():
    windows = [w for w in app.topLevelWidgets() if isinstance(w, MainWindow)]
    if windows and windows[0].controller.running and not seen:
        seen.append(time.perf_counter())
    if seen and time.perf_counter() - seen[0] > 1.0 and len(me.children(recursive=True)) >= want:
        print("closing", flush=True)
        windows[0].close()
        return
    QTimer.singleShot(50, close_mid_run)

QTimer.singleShot(50, close_mid_run)
code = main(sys.argv[2:])
print("returned", code, flush=True)
sys.exit(code)
"""


def _env(tmp_path: Path) -> dict[str, str]:
    return dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"),
                XDG_CACHE_HOME=str(tmp_path / "cache"), PYTHONFAULTHANDLER="1")


def _left(descendants: list[psutil.Process]) -> list[str]:
    return [f"{p.pid} {cmdline(p)[:80]}" for p in descendants if alive(p.pid)]


@pytest.mark.parametrize("model", MODELS)
def test_window_closed_mid_run_exits_0_quickly(tmp_path: Path, model: str) -> None:
    plan = tmp_path / "long.plan"
    plan.write_text(PLAN, encoding="utf-8")
    # The lab and its loopback server; under processes also the pool's workers and resource tracker.
    want = 5 if model == "processes" else 2
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(want), str(plan), "--run", "--models", model],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(tmp_path))
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        closing_at = time.perf_counter()
        descendants = psutil.Process(proc.pid).children(recursive=True)
        names = [cmdline(p) for p in descendants]
        assert first.strip() == "closing", first + (proc.stderr.read() if proc.stderr else "")
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
    print(f"\n{model}: the app exited {took:.2f} s after its window was closed mid-run")
    assert took < CLOSE_LIMIT_S, f"the app took {took:.2f} s to exit after its window was closed"
    assert any("conclab.engines.lab" in n for n in names), f"the run was not measured in a lab: {names}"
    time.sleep(0.3)
    assert _left(descendants) == [], "processes outlived the app"


def test_sigterm_mid_run_closes_the_app_cleanly(tmp_path: Path) -> None:
    plan = tmp_path / "long.plan"
    plan.write_text(PLAN, encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "conclab", "--run", "--models", "processes", str(plan)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(tmp_path))
    try:
        me = psutil.Process(proc.pid)
        deadline = time.perf_counter() + 60
        # Wait until the run is really going: the lab, its server, and the pool's workers exist.
        while time.perf_counter() < deadline and len(me.children(recursive=True)) < 5:
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
    assert len(descendants) >= 5
    assert took < CLOSE_LIMIT_S
    time.sleep(0.3)
    assert _left(descendants) == []
