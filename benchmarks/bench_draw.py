"""Timeline drawing speed: paint 100,000 and 1,000,000 spans at several zoom levels, offscreen.

Each frame renders the whole plot into a QImage; the median of several frames is compared with the
target (100k spans <= 5 ms, 1M spans <= 16 ms). Exits non-zero when a target is missed by over 50 %.
Run: .venv/bin/python benchmarks/bench_draw.py
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QApplication

from conclab.ui.timeline.span_item import SpanItem
from conclab.ui.timeline.span_layer import SpanLayer

TARGETS_MS = {100_000: 5.0, 1_000_000: 16.0}
ZOOMS = {"whole run": 1.0, "10 %": 0.1, "1 %": 0.01}
FRAMES = 9
LANES = 64
RUN_S = 60.0


def _spans(n: int, seed: int = 7) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    t0 = np.sort(rng.uniform(0.0, RUN_S, n))
    t1 = t0 + rng.exponential(RUN_S * LANES / n * 0.5, n)
    return rng.integers(0, LANES, n), rng.integers(0, 5, n), t0, t1, np.arange(n)


def _median_frame_ms(widget: pg.PlotWidget, image: QImage) -> float:
    times = []
    for _ in range(FRAMES):
        painter = QPainter(image)
        start = time.perf_counter()
        widget.render(painter)
        times.append((time.perf_counter() - start) * 1000.0)
        painter.end()
    return statistics.median(times)


def run() -> list[dict[str, Any]]:
    """Time every size and zoom; rows of {"name", "value", "target", "unit", "ok"}."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    rows: list[dict[str, Any]] = []
    for n, target in TARGETS_MS.items():
        widget = pg.PlotWidget()
        widget.resize(1280, 720)
        plot = widget.getPlotItem()
        plot.setMouseEnabled(x=True, y=False)
        plot.invertY(True)
        layer = SpanLayer(LANES)
        layer.store.append(*_spans(n))
        item = SpanItem(layer)
        item.refresh()
        plot.addItem(item)
        plot.setYRange(0, LANES, padding=0)
        widget.show()
        app.processEvents()
        image = QImage(widget.size(), QImage.Format.Format_ARGB32_Premultiplied)
        for zoom_name, frac in ZOOMS.items():
            mid = RUN_S / 2
            plot.setXRange(mid - RUN_S * frac / 2, mid + RUN_S * frac / 2, padding=0)
            app.processEvents()
            value = _median_frame_ms(widget, image)
            rows.append({"name": f"paint {n:,} spans, {zoom_name}", "value": round(value, 2),
                         "target": target, "unit": "ms", "ok": value <= target})
        widget.close()
        widget.deleteLater()
        app.processEvents()
    return rows


def main() -> int:
    rows = run()
    print(f"{'benchmark':<36}{'median':>10}{'target':>10}  result")
    missed_badly = False
    for row in rows:
        verdict = "ok" if row["ok"] else "slow"
        print(f"{row['name']:<36}{row['value']:>8.2f}{row['unit']:>2}{row['target']:>8.1f}{row['unit']:>2}  "
              f"{verdict}")
        missed_badly |= row["value"] > row["target"] * 1.5
    return 1 if missed_badly else 0


if __name__ == "__main__":
    sys.exit(main())
