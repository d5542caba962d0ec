"""The loopback server behind `net` steps: its own process, bound to 127.0.0.1 on an ephemeral port.

Protocol, one request per line: the client sends a delay in whole microseconds (`200000\n`); after
that delay the server answers with two `perf_counter` stamps: when it accepted the connection and when
it sent the answer (`12345.601 12345.801\n`). `perf_counter` is one system-wide clock, so the client
can tell how long it was connected but not yet running, and how long the answer waited for it.
Anything else gets `ERR\n` and the connection is closed; the server itself never dies of bad input.
The child exits when its parent goes away (its end of a pipe reaches EOF), so it is never orphaned.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import threading
from multiprocessing.connection import Connection
from time import perf_counter

from conclab.engines.context import settle_threadsafe

MAX_DELAY_US = 60_000_000
MAX_LINE = 32
STARTUP_TIMEOUT_S = 20.0


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    accepted = perf_counter()
    try:
        while True:
            try:
                line = await reader.readuntil(b"\n")
            except asyncio.LimitOverrunError:
                writer.write(b"ERR line too long\n")
                return
            except asyncio.IncompleteReadError:
                return
            text = line.strip()
            if not text.isdigit() or len(text) > 9 or int(text) > MAX_DELAY_US:
                writer.write(b"ERR bad request\n")
                return
            await asyncio.sleep(int(text) / 1e6)
            writer.write(b"%.9f %.9f\n" % (accepted, perf_counter()))
            await writer.drain()
    except (ConnectionError, OSError, asyncio.CancelledError):
        # The peer went away, or the server is shutting down: either way this connection is over.
        return
    finally:
        with contextlib.suppress(Exception):
            writer.close()


async def _serve(conn: Connection) -> None:
    server = await asyncio.start_server(_handle, "127.0.0.1", 0, backlog=4096, limit=MAX_LINE)
    port = server.sockets[0].getsockname()[1]
    conn.send(("port", port))
    loop = asyncio.get_running_loop()
    gone: asyncio.Future[None] = loop.create_future()

    def watch_parent() -> None:
        with contextlib.suppress(EOFError, OSError):
            conn.recv()
        settle_threadsafe(loop, gone, None)

    threading.Thread(target=watch_parent, daemon=True).start()
    async with server:
        await gone


def serve(conn: Connection) -> None:
    """Child-process entry point."""
    asyncio.run(_serve(conn))


class NetServer:
    """Starts and stops the server process; `addr` is where `net` steps connect."""

    def __init__(self) -> None:
        self._proc: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self.addr: tuple[str, int] | None = None

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.is_alive()

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def start(self) -> tuple[str, int]:
        if self.alive and self.addr is not None:
            return self.addr
        self.stop()
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=serve, args=(child,), name="conclab-netserver", daemon=True)
        proc.start()
        child.close()
        if not parent.poll(STARTUP_TIMEOUT_S):
            proc.kill()
            proc.join(1)
            raise RuntimeError("the loopback server did not start")
        __kind, port = parent.recv()
        self._proc, self._conn = proc, parent
        self.addr = ("127.0.0.1", int(port))
        return self.addr

    def stop(self) -> None:
        proc, conn = self._proc, self._conn
        self._proc = self._conn = None
        self.addr = None
        if conn is not None:
            conn.close()
        if proc is not None:
            proc.join(1.0)
            if proc.is_alive():
                proc.kill()
                proc.join(1.0)
