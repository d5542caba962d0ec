"""The network surface is closed: the lab talks to the window only over its pipes, and its family (the lab,
its loopback server and pool workers) has no socket but the server's, on 127.0.0.1, and connections to
it; the loopback server listens on 127.0.0.1 only, on an ephemeral port, speaks only its own one-line
protocol and outlives abuse; nothing in the app connects anywhere else; and the package source holds
none of the usual ways to run or unpickle foreign input."""

from __future__ import annotations

import ast
import asyncio
import contextlib
import os
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psutil
import pytest

import conclab
from conclab.engines import procpool
from conclab.engines.lab_client import LabClient
from conclab.engines.runtime import Runtime
from conclab.engines.session import drive
from conclab.model.plan_text import parse
from conclab.model.session_spec import SessionRequest
from conclab.model.trace import MODELS
from tests.reliability import faulty
from tests.reliability.labtools import Collect, cmdline, family, fd_targets, until

PACKAGE = Path(conclab.__file__).resolve().parent


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[Runtime, tuple[str, int]]]:
    rt = Runtime()
    addr = rt.server.start()
    yield rt, addr
    rt.close()


def _ask(addr: tuple[str, int], payload: bytes, timeout: float = 5.0) -> bytes:
    with socket.create_connection(addr, timeout=timeout) as s:
        s.sendall(payload)
        data = b""
        while b"\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        return data


def _good(addr: tuple[str, int]) -> None:
    reply = _ask(addr, b"2000\n")
    accepted, sent = (float(x) for x in reply.split())
    assert sent >= accepted > 0


def test_listens_on_loopback_only_on_an_ephemeral_port(server: tuple[Runtime, tuple[str, int]]) -> None:
    rt, addr = server
    assert addr[0] == "127.0.0.1"
    listening = [c for c in psutil.Process(rt.server.pid).net_connections(kind="inet")
                 if c.status == psutil.CONN_LISTEN]
    assert [(c.laddr.ip, c.laddr.port) for c in listening] == [addr]
    low, high = (int(x) for x in Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    assert low <= addr[1] <= high
    other = Runtime()
    try:
        assert other.server.start()[1] != addr[1]
    finally:
        other.close()


FOREIGN = [b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\n",
           b"SSH-2.0-OpenSSH_9.0\r\n", b"1 2\n", b"+5\n", b"5.0\n", b"\n"]


@pytest.mark.parametrize("junk", FOREIGN)
def test_answers_only_its_own_protocol(server: tuple[Runtime, tuple[str, int]], junk: bytes) -> None:
    _, addr = server
    assert _ask(addr, junk).startswith(b"ERR")


def test_many_garbage_connections_at_once_then_a_good_request(server: tuple[Runtime, tuple[str, int]]) -> None:
    rt, addr = server
    junk = [b"hello\n", b"-1\n", b"\x00\xff\xfe\n", b"9" * 40 + b"\n", b"99999999999\n", b"", b"1e9\n"]

    def abuse(i: int) -> bytes:
        payload = junk[i % len(junk)]
        try:
            with socket.create_connection(addr, timeout=10) as s:
                if payload:
                    s.sendall(payload)
                else:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    return b"reset"  # closed at once with a reset, mid-nothing
                return s.recv(64)
        except OSError as exc:  # a reset from our own side is fine; the server must stay up
            return repr(exc).encode()

    with ThreadPoolExecutor(64) as pool:
        replies = list(pool.map(abuse, range(400)))
    answered = [r for r in replies if r.startswith(b"ERR")]
    assert len(answered) >= 300, replies[:5]
    assert rt.server.alive
    _good(addr)


def test_slow_loris_and_idle_connections_do_not_block_others(server: tuple[Runtime, tuple[str, int]]) -> None:
    rt, addr = server
    held = []
    try:
        for _ in range(200):
            s = socket.create_connection(addr, timeout=5)
            s.sendall(b"12")  # a partial line, never finished
            held.append(s)
        t0 = time.perf_counter()
        _good(addr)
        assert time.perf_counter() - t0 < 1.0
        for s in held[:50]:  # finishing a partial line later still gets its answer
            s.sendall(b"\n")
        for s in held[:50]:
            assert b" " in s.recv(64)
    finally:
        for s in held:
            s.close()
    assert rt.server.alive


def test_a_huge_line_is_refused_and_the_server_carries_on(server: tuple[Runtime, tuple[str, int]]) -> None:
    rt, addr = server
    with socket.create_connection(addr, timeout=5) as s:
        # The server may hang up before it has all 4 MB: that is the refusal too.
        with contextlib.suppress(OSError):
            s.sendall(b"7" * (4 * 2**20))
        reply = b""
        with contextlib.suppress(OSError):
            reply = s.recv(64)
    assert reply in (b"", b"ERR line too long\n") or reply.startswith(b"ERR")
    assert rt.server.alive
    _good(addr)


# -- nothing beyond loopback ---------------------------------------------------------------------------

@pytest.mark.parametrize("model", ["sequential", "asyncio", "threads"])
def test_runs_connect_to_loopback_only(model: str, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Any] = []
    real = socket.socket.connect
    real_ex = socket.socket.connect_ex

    def connect(self: socket.socket, address: Any) -> None:
        seen.append(address)
        real(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        seen.append(address)
        return real_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    rt = Runtime()
    try:
        text = "3x net 20ms; net 10ms in thread" if model == "asyncio" else "3x net 20ms"
        run = asyncio.run(rt.run(parse(text), model))
    finally:
        rt.close()
    assert {t.state for t in run.tasks} == {"done"}
    assert len(seen) >= run.metrics["tasks_done"]
    assert {a[0] for a in seen} == {"127.0.0.1"}, seen


@pytest.mark.parametrize(("model", "text"), [("processes", "3x net 20ms"), ("asyncio", "2x net 20ms in process")])
def test_worker_processes_connect_to_loopback_only(model: str, text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """In the workers, a guard fails any connection to anything but 127.0.0.1 (the task would fail)."""
    monkeypatch.setattr(procpool, "child_job", faulty.loopback_guarded_child_job)
    rt = Runtime()
    try:
        run = asyncio.run(rt.run(parse(text), model))
    finally:
        rt.close()
    assert [t.state for t in run.tasks] == ["done"] * len(run.tasks), run.tasks
    assert rt.server.addr is None  # stopped


def test_the_guard_in_the_workers_does_refuse_other_addresses() -> None:
    with socket.socket() as s, pytest.raises(PermissionError, match="beyond loopback"):
        faulty._loopback_only_connect(s, ("10.0.0.1", 9))


# -- the lab ------------------------------------------------------------------------------------------

def _pipe_ids(pid: int) -> set[str]:
    return {t for t in fd_targets(pid) if t.startswith("pipe:")}


def _sockets(procs: list[psutil.Process]) -> list[tuple[str, Any, Any, str]]:
    """Every socket of these processes: (who, local address, remote address, status)."""
    out = []
    for p in procs:
        with contextlib.suppress(psutil.Error):
            for c in p.net_connections(kind="all"):
                out.append((f"{p.pid} {cmdline(p)[-40:]}", c.laddr, c.raddr, c.status))
    return out


def test_the_lab_talks_to_the_window_only_over_its_pipes() -> None:
    """While runs with net steps go under every model (the lab's own threads and loop, and its pool
    workers), the lab's standard streams are pipes to this process, and the only sockets of its family
    are the server's one listening socket on 127.0.0.1, connections between 127.0.0.1 ports ending at it,
    and unnamed socket pairs (asyncio's wake-up pipe)."""
    lab = LabClient()
    seen: list[tuple[str, Any, Any, str]] = []
    mine_before = psutil.Process().net_connections(kind="inet")

    async def go() -> int:
        await lab.start()
        assert lab.pid is not None
        for model in MODELS:
            got = Collect()
            request = SessionRequest.for_models("4x net 400ms; net 300ms, net 300ms in thread", [model])
            task = asyncio.ensure_future(drive(request, lambda _s: lab, got))
            await until(lambda got=got: got.running, 30.0)
            for _ in range(3):
                await asyncio.sleep(0.1)
                procs = [psutil.Process(lab.pid), *family(lab.pid)]
                seen.extend(_sockets(procs))
            doc = await task
            assert doc.runs[0].metrics["tasks_done"] == 5, model
        return lab.pid

    try:
        pid = asyncio.run(go())
        streams = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in (0, 1, 2)]
        ours = _pipe_ids(os.getpid())
    finally:
        lab.close()
    assert all(s.startswith("pipe:") for s in streams), streams
    assert set(streams) <= ours, "the lab's stdin, stdout and stderr are pipes to the window"
    listening = [(laddr.ip, laddr.port) for _w, laddr, _r, status in seen if status == psutil.CONN_LISTEN]
    assert listening, "the loopback server was seen"
    assert {ip for ip, _port in listening} == {"127.0.0.1"}
    ports = {port for _ip, port in listening}
    assert len(ports) == 1, f"one server, one port: {ports}"
    inet = [(w, laddr, raddr) for w, laddr, raddr, status in seen if laddr and not isinstance(laddr, str)
            and status != psutil.CONN_LISTEN]
    assert inet, "net steps were seen connected"
    for who, laddr, raddr in inet:
        assert laddr.ip == "127.0.0.1", (who, laddr)
        assert not raddr or (raddr.ip == "127.0.0.1" and (raddr.port in ports or laddr.port in ports)), (who, raddr)
    unix = [(w, laddr, raddr) for w, laddr, raddr, _s in seen if isinstance(laddr, str)]
    assert all(laddr == "" and raddr == "" for _w, laddr, raddr in unix), "no named unix socket"
    assert psutil.Process().net_connections(kind="inet") == mine_before, "the window opened no socket to the lab"


# -- the source itself ---------------------------------------------------------------------------------

FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__"}
FORBIDDEN_ATTRS = {("pickle", "load"), ("pickle", "loads"), ("marshal", "loads"), ("marshal", "load"),
                   ("yaml", "load"), ("os", "system"), ("os", "popen"), ("shelve", "open")}
SOCKET_CALLS = {"connect", "connect_ex", "bind", "create_connection", "open_connection", "start_server",
                "create_server"}


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_name(node.value)}.{node.attr}"
    return "?"


def _problems(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out: list[str] = []
    where = path.relative_to(PACKAGE.parent) if path.is_relative_to(PACKAGE.parent) else path.name
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = _name(node.func)
        last = func.rsplit(".", 1)[-1]
        head = func.rsplit(".", 1)[0] if "." in func else ""
        if func in FORBIDDEN_CALLS:
            out.append(f"{where}:{node.lineno}: {func}()")
        if (head.rsplit(".", 1)[-1], last) in FORBIDDEN_ATTRS:
            out.append(f"{where}:{node.lineno}: {func}()")
        if any(k.arg == "shell" and not (isinstance(k.value, ast.Constant) and k.value.value is False)
               for k in node.keywords):
            out.append(f"{where}:{node.lineno}: {func}(shell=...)")
        if last in SOCKET_CALLS:
            hosts = [a for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            hosts += [a.elts[0] for a in node.args if isinstance(a, ast.Tuple) and a.elts
                      and isinstance(a.elts[0], ast.Constant)]
            hosts += [k.value for k in node.keywords if k.arg in ("host", "address")
                      and isinstance(k.value, ast.Constant)]
            for h in hosts:
                if isinstance(h, ast.Constant) and h.value != "127.0.0.1":
                    out.append(f"{where}:{node.lineno}: {func}({h.value!r})")
    return out


def test_source_scan_finds_nothing_dangerous() -> None:
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 40
    problems = [p for f in files for p in _problems(f)]
    assert problems == []


def test_the_scan_catches_what_it_looks_for(tmp_path: Path) -> None:
    text = ("import pickle, subprocess, socket, yaml\n"
            "eval('1')\nexec('x=1')\npickle.loads(b'')\nyaml.load('')\n"
            "subprocess.run('ls', shell=True)\nsocket.create_connection(('0.0.0.0', 80))\n"
            "s.bind(('', 0))\nasyncio.start_server(h, '0.0.0.0', 0)\n")
    probe = tmp_path / "probe.py"
    probe.write_text(text)
    found = _problems(probe)
    assert len(found) == 8, found
