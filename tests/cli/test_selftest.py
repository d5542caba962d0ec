"""`conclab --self-test` and the desktop-entry flags work from the same launcher as everything else."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def test_self_test_runs_every_model_and_exports(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path)}
    p = subprocess.run([sys.executable, "-m", "conclab", "--self-test"], capture_output=True, text=True,
                       timeout=180, env=env)
    assert p.returncode == 0, p.stdout + p.stderr[-2000:]
    report = json.loads(p.stdout.strip().splitlines()[-1])
    assert report["ok"] is True
    assert set(report["models"]) == {"sequential", "asyncio", "threads", "processes"}
    assert all(m["done"] == 4 and m["failed"] == 0 for m in report["models"].values())
    assert report["png_bytes"] > 1000 and report["svg_bytes"] > 1000


def test_desktop_entry_flags_from_the_launcher(tmp_path: Path) -> None:
    home = tmp_path / "share"
    cmd = [sys.executable, "-m", "conclab"]
    p = subprocess.run([*cmd, "--install-desktop-entry", "--data-home", str(home)], capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    entry = home / "applications" / "io.github.conclab.ConcurrencyLab.desktop"
    assert entry.is_file() and f"installed {entry}" in p.stdout
    p = subprocess.run([*cmd, "--uninstall-desktop-entry", "--data-home", str(home)], capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0 and not entry.exists()
