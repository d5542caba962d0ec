"""The lab process: sessions stream frames whose spans are the run's, stops answer fast, a crashed or
silent lab is replaced, and a lab never outlives the process that started it (SIGKILL included)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from conclab.engines.lab_client import LabClient, LabError, LabPool
from conclab.engines.session import SessionError, drive
from conclab.engines.stop import StopToken
from conclab.model.metrics import SPEEDUP_MEASURED
from conclab.model.run import ModelRun
from conclab.model.session_spec import SessionRequest
from conclab.model.trace import MODELS
from tests.reliability.labtools import Collect, alive


@pytest.fixture
def lab() -> Iterator[LabClient]:
    client = LabClient()
    yield client
    client.close()


def test_a_session_streams_frames_that_add_up_to_the_runs(lab: LabClient) -> None:
    request = SessionRequest.for_models("3x fetch: net 50ms, cpu 20ms; crunch: cpu 100ms", ["asyncio", "threads"])
    got = Collect()
    doc = asyncio.run(drive(request, lambda _s: lab, got))
    assert [r.model for r in doc.runs] == ["asyncio", "threads"]
    assert got.started == [(0, "asyncio"), (1, "threads")]
    for i, run in enumerate(doc.runs):
        assert run.metrics["tasks_done"] == 4
        assert sorted(got.live_spans(i)) == sorted(run.spans), "the streamed spans are the run's spans"
        assert run.python["executable"] and run.python["version"]
        assert run.lanes, "lanes and their kinds come with the run"
    assert any(f.opened for f in got.frames), "spans in progress are streamed while they run"
    assert doc.calibration.get("cpu_iters_per_s", 0) > 0
    assert doc.machine["cpus"] >= 1


def test_the_lab_is_kept_warm_between_sessions(lab: LabClient) -> None:
    async def twice() -> tuple[int | None, int | None, float]:
        request = SessionRequest.for_models("sleep 10ms", ["asyncio"])
        await drive(request, lambda _s: lab, Collect())
        first = lab.pid
        t0 = time.perf_counter()
        await drive(request, lambda _s: lab, Collect())
        return first, lab.pid, time.perf_counter() - t0

    first, second, took = asyncio.run(twice())
    assert first == second, "one lab serves every session"
    assert took < 1.0, f"a warm lab runs a 10 ms plan in {took:.2f} s"


@pytest.mark.parametrize("model", MODELS)
def test_stop_ends_the_run_within_200_ms(lab: LabClient, model: str) -> None:
    async def go() -> tuple[float, ModelRun]:
        stop = StopToken()
        got = Collect()
        request = SessionRequest.for_models("4x sleep 10s; 2x cpu 10s", [model])
        task = asyncio.ensure_future(drive(request, lambda _s: lab, got, stop))
        while not any(f.spans or f.opened for f in got.frames):
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)
        t0 = time.perf_counter()
        stop.set()
        doc = await task
        return time.perf_counter() - t0, doc.runs[0]

    best = min((asyncio.run(go()) for _ in range(2)), key=lambda r: r[0])
    took, run = best
    assert run.metrics["tasks_cancelled"] >= 1
    assert took < 0.2 + 0.1, f"stop took {took * 1000:.0f} ms under {model}"


def test_a_lab_that_dies_mid_run_fails_the_run_with_the_reason_and_the_next_starts_afresh(lab: LabClient) -> None:
    async def go() -> tuple[str, int, int | None, int | None]:
        got = Collect()
        request = SessionRequest.for_models("sleep 5s", ["asyncio"])
        task = asyncio.ensure_future(drive(request, lambda _s: lab, got))
        while not got.frames:
            await asyncio.sleep(0.01)
        dead = lab.pid
        assert dead is not None
        os.kill(dead, signal.SIGKILL)
        with pytest.raises(SessionError) as caught:
            await task
        doc = await drive(SessionRequest.for_models("sleep 10ms", ["asyncio"]), lambda _s: lab, Collect())
        return str(caught.value), len(doc.runs), dead, lab.pid

    message, runs, dead, fresh = asyncio.run(go())
    assert "SIGKILL" in message and "fresh lab" in message
    assert runs == 1 and fresh != dead


def test_a_lab_that_does_not_answer_a_stop_is_ended_after_a_second(lab: LabClient) -> None:
    async def go() -> tuple[float, SessionError, int | None, int | None]:
        got = Collect()
        stop = StopToken()
        request = SessionRequest.for_models("sleep 5s", ["asyncio"])
        task = asyncio.ensure_future(drive(request, lambda _s: lab, got, stop))
        while not got.frames:
            await asyncio.sleep(0.01)
        frozen = lab.pid
        assert frozen is not None
        os.kill(frozen, signal.SIGSTOP)
        t0 = time.perf_counter()
        stop.set()
        with pytest.raises(SessionError) as caught:
            await task
        took = time.perf_counter() - t0
        await drive(SessionRequest.for_models("sleep 10ms", ["asyncio"]), lambda _s: lab, Collect())
        return took, caught.value, frozen, lab.pid

    took, error, frozen, fresh = asyncio.run(go())
    assert isinstance(error, LabError) and "did not answer the stop" in str(error)
    assert 0.9 < took < 2.0
    assert fresh != frozen and frozen is not None and not alive(frozen)


def test_the_lab_imports_no_qt() -> None:
    code = ("import sys, asyncio; from conclab.engines.lab_client import LabClient; "
            "from conclab.engines.session import drive; from conclab.model.session_spec import SessionRequest\n"
            "class L:\n def run_started(s,*a): pass\n def frame(s,f): pass\n def run_finished(s,*a): pass\n"
            "c = LabClient(); doc = asyncio.run(drive(SessionRequest.for_models('sleep 1ms', ['asyncio']), "
            "lambda s: c, L())); c.close()\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'qasync', 'pyqtgraph')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


PARENT = textwrap.dedent("""
    import asyncio, sys
    from conclab.engines.lab_client import LabPool
    from conclab.engines.session import drive
    from conclab.model.session_spec import SessionRequest

    class L:
        def run_started(self, *a): pass
        def frame(self, f):
            if f.spans or f.opened:
                print("running", flush=True)
        def run_finished(self, *a): pass

    pool = LabPool()
    asyncio.run(drive(SessionRequest.for_models(sys.argv[1], [sys.argv[2]]), lambda s: pool, L()))
""")


@pytest.mark.parametrize("model", MODELS)
def test_killing_the_parent_leaves_no_process_of_ours_after_2_s(tmp_path: Path, model: str) -> None:
    script = tmp_path / "parent.py"
    script.write_text(PARENT)
    parent = subprocess.Popen([sys.executable, str(script), "2x net 10s; 2x sleep 10s; cpu 10s", model],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        assert parent.stdout.readline().strip() == "running"
        family = [p.pid for p in psutil.Process(parent.pid).children(recursive=True)]
        assert family, "the lab (and its helpers) run under the parent"
        parent.kill()
        parent.wait()
        deadline = time.monotonic() + 2.0
        left = family
        while time.monotonic() < deadline:
            left = [pid for pid in family if alive(pid)]
            if not left:
                break
            time.sleep(0.05)
        assert not left, f"still alive 2 s after the parent was killed: {left}"
    finally:
        if parent.poll() is None:
            parent.kill()


def test_an_interpreter_that_cannot_run_the_lab_is_refused_with_the_reason() -> None:
    with pytest.raises(Exception, match=r"older than 3\.11|no Python 3\.9"):
        LabPool().client("3.9")


def test_a_frozen_app_starts_its_lab_by_re_running_itself_with_dash_dash_lab(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bundle's executable is the app, not a Python: `conclab --lab` must serve as the lab."""
    launcher = Path(sys.executable).with_name("conclab")
    assert launcher.exists(), f"the conclab launcher is installed beside {sys.executable}"
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(launcher))
    client = LabClient()
    try:
        doc = asyncio.run(drive(SessionRequest.for_models("2x crunch: cpu 20ms", ["threads"]), lambda _s: client,
                                Collect()))
        assert client.pid is not None and psutil.Process(client.pid).cmdline()[-1] == "--lab"
    finally:
        client.close()
    assert doc.runs[0].metrics["tasks_done"] == 2


def test_speed_ups_in_a_lab_session_are_against_its_measured_sequential_run(lab: LabClient) -> None:
    request = SessionRequest.for_models("2x cpu 100ms", ["sequential", "threads"])
    doc = asyncio.run(drive(request, lambda _s: lab, Collect()))
    sequential, threads = doc.runs
    assert sequential.metrics["speedup"] == pytest.approx(1.0)
    assert threads.metrics["speedup"] == pytest.approx(sequential.metrics["wall_s"] / threads.metrics["wall_s"])
    assert threads.metrics["speedup_basis"] == sequential.metrics["speedup_basis"] == SPEEDUP_MEASURED
