"""Start-up: from launching `python -m conclab` to its window being shown, against a bare Qt script.

Both are launched as fresh interpreters with the offscreen platform, alternately. The time is taken
from just before the launch to the moment the child's `shown …` line arrives on its stdout, so it
includes interpreter start, imports and the first paint — what a user waits for. The app quits by
itself once shown when `CONCLAB_QUIT_WHEN_SHOWN=1` is set (conclab.ui.shell.boot supports it). The bare
script imports PySide6, pyqtgraph and qasync and shows one PlotWidget.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from time import perf_counter

from benchmarks.common import Row, interleaved, median, noise, ratio_row, report, row

REPS = 5
TARGET_S = 0.8
TIMEOUT_S = 30.0

BARE_SCRIPT = """
import sys
from PySide6.QtWidgets import QApplication
import pyqtgraph as pg
import qasync
app = QApplication(sys.argv)
loop = qasync.QEventLoop(app)
w = pg.PlotWidget()
w.show()
app.processEvents()
print("shown", flush=True)
"""


class LaunchError(RuntimeError):
    """A launched child did not report a shown window."""


def _env() -> dict[str, str]:
    return dict(os.environ, QT_QPA_PLATFORM="offscreen", CONCLAB_QUIT_WHEN_SHOWN="1")


def time_to_shown(cmd: list[str]) -> float:
    """Seconds from launching `cmd` to its first stdout line starting with `shown`; the child must exit 0."""
    t0 = perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(), text=True)
    shown: float | None = None
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("shown"):
                shown = perf_counter() - t0
                break
        _, err = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise LaunchError(f"{' '.join(cmd[-2:])} did not exit within {TIMEOUT_S:.0f}s") from None
    if shown is None or proc.returncode != 0:
        last = (err or "").strip().splitlines()[-1:] or [f"exit status {proc.returncode}"]
        raise LaunchError(f"{' '.join(cmd[-2:])} showed no window: {last[0][:120]}")
    return shown


def app_available() -> bool:
    return importlib.util.find_spec("conclab.ui.shell.boot") is not None


def run(reps: int = REPS) -> list[Row]:
    """Time to a shown window for the app and for the bare script, and their ratio."""
    name = "startup python -m conclab → window shown"
    if not app_available():
        return [row(name, None, TARGET_S, "s", note="not available: conclab.ui.shell.boot does not exist yet")]
    app_cmd = [sys.executable, "-m", "conclab"]
    bare_cmd = [sys.executable, "-c", BARE_SCRIPT]
    try:
        app, bare = interleaved(lambda: time_to_shown(app_cmd), lambda: time_to_shown(bare_cmd), reps)
    except LaunchError as exc:
        return [row(name, None, TARGET_S, "s", note=f"not available: {exc}")]
    return [
        row(name, median(app), TARGET_S, "s", noise(app)),
        row("startup bare PySide6+pyqtgraph+qasync PlotWidget shown", median(bare), None, "s", noise(bare)),
        ratio_row("startup conclab / bare script", app, bare, None),
    ]


if __name__ == "__main__":
    sys.exit(report(run(), "start-up (launch to a shown window, offscreen)"))
