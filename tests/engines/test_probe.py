"""Resource probe: context switches of every thread (not only the main one), and no need for psutil."""

from __future__ import annotations

import asyncio
import json
import os
import resource
import subprocess
import sys
import textwrap
from pathlib import Path

from conclab.engines.probe import ResourceProbe
from conclab.engines.runtime import Runtime
from conclab.model.plan_text import parse
from tests.engines.helpers import run_one

DESKTOP = Path(__file__).resolve().parents[2] / "desktop"


def _switches() -> int:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_nvcsw + ru.ru_nivcsw


def test_context_switches_are_the_whole_process_over_the_run(runtime: Runtime) -> None:
    plan = "2x cpu 300ms"
    asyncio.run(runtime.ensure_ready(parse(plan)))  # calibration stays out of the window
    ratios: list[float] = []
    for _ in range(3):
        before = _switches()
        run = run_one(runtime, plan, "threads")
        around = _switches() - before
        ratios.append(run.metrics["ctx_switches"] / max(1, around))
        if 0.5 <= ratios[-1] <= 2.0:
            break
    # The run's window lies inside the test's: the probe may see fewer, but not half as many.
    assert any(0.5 <= r <= 2.0 for r in ratios), ratios
    assert run.metrics["ctx_switches"] > 20  # two threads handing the GIL over for 0.6 s


def test_probe_reads_and_names_its_sources() -> None:
    probe = ResourceProbe()
    probe.begin()
    sum(range(200_000))
    probe.end()
    assert probe.cpu_s >= 0.0 and probe.ctx_switches >= 0 and probe.peak_rss_mb > 0.0
    assert probe.sources["ctx_switches"] == "getrusage"
    assert "ctx_switches=getrusage" in probe.metrics_source


def test_probe_works_without_psutil() -> None:
    script = textwrap.dedent("""
        import json, sys, threading
        sys.modules["psutil"] = None  # import psutil now fails, as where it is not installed
        from conclab.engines.probe import ResourceProbe

        probe = ResourceProbe()
        probe.begin()
        def spin():
            x = 0
            for i in range(300_000):
                x += i
        threads = [threading.Thread(target=spin) for _ in range(2)]
        for t in threads: t.start()
        for t in threads: t.join()
        probe.end()
        print(json.dumps({"sources": probe.sources, "source": probe.metrics_source, "cpu": probe.cpu_s,
                          "ctx": probe.ctx_switches, "rss": probe.peak_rss_mb}))
    """)
    env = {**os.environ, "PYTHONPATH": str(DESKTOP)}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60,
                         check=True)
    got = json.loads(out.stdout)
    assert got["sources"] == {"cpu": "getrusage", "ctx_switches": "getrusage", "rss": "ru_maxrss"}
    assert got["source"] == "cpu=getrusage ctx_switches=getrusage rss=ru_maxrss"
    assert got["cpu"] > 0.0 and got["ctx"] > 0 and got["rss"] > 1.0
