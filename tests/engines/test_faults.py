"""Faults inside a run fail the affected tasks with a message; the run completes and the next one works."""

from __future__ import annotations

import socket
import threading

import pytest

from conclab.engines.runtime import Runtime
from tests.engines.helpers import run_one


@pytest.mark.parametrize("model", ["asyncio", "threads", "processes"])
def test_server_dying_mid_run_fails_net_tasks_and_next_run_recovers(model: str) -> None:
    rt = Runtime()
    try:
        rt.server.start()
        pid = rt.server.pid
        proc = rt.server._proc
        assert proc is not None
        killer = threading.Timer(0.3 if model != "processes" else 1.0, proc.kill)
        killer.start()
        run = run_one(rt, "2x net 3s; sleep 50ms", model, workers=3 if model != "asyncio" else None)
        killer.join()
        failed = [t for t in run.tasks if t.state == "failed"]
        assert len(failed) == 2 and run.metrics["tasks_done"] == 1
        assert all("server" in (t.error or "") or "net step failed" in (t.error or "") for t in failed), failed
        assert run.metrics["wall_s"] < 2.5
        # The next run starts a fresh server.
        run = run_one(rt, "2x net 50ms", model)
        assert run.metrics["tasks_done"] == 2
        assert rt.server.pid != pid
    finally:
        rt.close()


@pytest.mark.parametrize("model", ["asyncio", "threads", "sequential", "processes"])
def test_a_failing_task_does_not_stop_the_others(model: str, monkeypatch: pytest.MonkeyPatch) -> None:
    rt = Runtime()
    try:
        rt.server.start()
        # Point net steps at a closed port: every net task fails fast with a connection error.
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            dead = s.getsockname()
        rt.server.addr = ("127.0.0.1", dead[1])
        run = run_one(rt, "net 10ms; 2x sleep 20ms", model)
        assert [t.state for t in run.tasks] == ["failed", "done", "done"]
        assert "refused the connection" in (run.tasks[0].error or "")
    finally:
        rt.close()


def test_server_survives_garbage() -> None:
    rt = Runtime()
    try:
        addr = rt.server.start()
        for junk in (b"hello\n", b"-5\n", b"9" * 100 + b"\n", b"\x00\xff\n", b"1e9\n", b"99999999999\n"):
            with socket.create_connection(addr, timeout=2) as s:
                s.sendall(junk)
                reply = s.recv(64)
                assert reply.startswith(b"ERR")
        with socket.create_connection(addr, timeout=2) as s:
            s.sendall(b"1000\n")
            accepted, sent = (float(x) for x in s.recv(64).split())
            assert sent >= accepted > 0
        assert rt.server.alive
        assert addr[0] == "127.0.0.1"
    finally:
        rt.close()
    assert not rt.server.alive
