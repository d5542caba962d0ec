"""`conclab --self-test`: build the real window, run a tiny plan under every model, export pictures.

Meant for installed and frozen builds: it proves that Qt, the qasync loop, QThread workers, the
spawn-based process pool, the loopback server and the exporters all work where the app is installed.
It prints one JSON line and exits 0 when everything worked, 1 otherwise.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path
from time import perf_counter
from typing import Any

from conclab.model.trace import MODELS

PLAN = "2x fetch: net 20ms, cpu 20ms; hasher: hash 20ms; sleeper: sleep 20ms, block 10ms in thread"


async def _exercise(report: dict[str, Any], out_dir: Path) -> None:
    from PySide6.QtCore import QSettings

    from conclab.model.plan_text import parse
    from conclab.ui.exports.picture_export import save_png, save_svg
    from conclab.ui.shell.main_window import MainWindow

    store = QSettings(str(out_dir / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(store)
    window.show()
    try:
        window.editor.set_plan(parse(PLAN))
        window.controls.set_models(list(MODELS))
        done: list[Any] = []
        window.run_finished.connect(done.append)
        window.run_action.trigger()
        deadline = perf_counter() + 120
        while not done and perf_counter() < deadline:
            await asyncio.sleep(0.05)
        if not done:
            raise RuntimeError("the run did not finish within 120 s")
        doc = done[0]
        report["models"] = {r.model: {"wall_s": round(r.metrics["wall_s"], 3),
                                      "done": int(r.metrics["tasks_done"]),
                                      "failed": int(r.metrics["tasks_failed"])} for r in doc.runs}
        expected = len(parse(PLAN).tasks())
        if [r.model for r in doc.runs] != list(MODELS) or any(
                r.metrics["tasks_done"] != expected for r in doc.runs):
            raise RuntimeError(f"not every task finished under every model: {report['models']}")
        await asyncio.sleep(0.2)
        png, svg = out_dir / "timeline.png", out_dir / "timeline.svg"
        save_png(window.timeline, str(png), scale=2)
        save_svg(window.timeline, str(svg))
        report["png_bytes"] = png.stat().st_size
        report["svg_bytes"] = svg.stat().st_size
        if report["png_bytes"] < 1000 or report["svg_bytes"] < 1000:
            raise RuntimeError("the exported pictures are empty")
    finally:
        window.editor.mark_saved()
        window.close()
        for _ in range(100):
            if not window.controller.running:
                break
            await asyncio.sleep(0.05)
        window.controller.shutdown()


def run_self_test() -> int:
    from conclab.ui.shell.qt_app import ensure_app, run_on_loop

    t0 = perf_counter()
    report: dict[str, Any] = {"ok": False, "python": sys.version.split()[0],
                              "platform": os.environ.get("QT_QPA_PLATFORM", ""),
                              "frozen": bool(getattr(sys, "frozen", False))}
    app = ensure_app()
    report["qt_platform"] = app.platformName()
    with tempfile.TemporaryDirectory(prefix="conclab-selftest-") as tmp:
        try:
            run_on_loop(lambda: _exercise(report, Path(tmp)), app)
            report["ok"] = True
        except Exception as exc:  # the report is the output, whatever failed
            report["error"] = f"{type(exc).__name__}: {exc}"
    report["seconds"] = round(perf_counter() - t0, 2)
    print(json.dumps(report), flush=True)
    return 0 if report["ok"] else 1
