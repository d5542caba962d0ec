"""The fixed parts of a generated script (see `conclab.model.codegen`): work bodies, calibration, the
delayed echo server and its clients, the worker-process set-up and the deadline helper."""

from __future__ import annotations

CPU = '''
def spin_loops(n):
    total = 0
    for i in range(n):
        total += i % 7
    return total


def spin(seconds):
    """Pure-Python work that holds the GIL for about `seconds`."""
    return spin_loops(int(seconds * CONFIG["cpu_rate"]))
'''

HASH = '''
BLOCK = bytes(256 * 1024)


def hash_blocks(n):
    digest = hashlib.sha256()
    for _ in range(n):
        digest.update(BLOCK)  # hashlib releases the GIL while it hashes a large buffer
    return digest.hexdigest()


def hash_work(seconds):
    """Hashing in C code that releases the GIL, for about `seconds`."""
    return hash_blocks(max(1, round(seconds * CONFIG["hash_rate"])))
'''

CALIBRATE_HEAD = '''
def rate(work, n=1000):
    """How many units of `work` this machine does per second (doubling n until a run takes 50 ms)."""
    while True:
        start = time.perf_counter()
        work(n)
        elapsed = time.perf_counter() - start
        if elapsed >= 0.05:
            return n / elapsed
        n *= 2


def calibrate():
    """Size the work so that each step takes about its planned time on this machine."""
'''

SERVER = '''
class DelayedEcho(socketserver.StreamRequestHandler):
    """Reads a delay in seconds, waits that long, then echoes the line back."""

    def handle(self):
        line = self.rfile.readline()
        time.sleep(float(line))
        self.wfile.write(line)


class EchoServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    request_queue_size = 1024


def start_server():
    """A local server on a free port, answering each request after the delay it asks for."""
    server = EchoServer(("127.0.0.1", 0), DelayedEcho)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    CONFIG["port"] = server.server_address[1]
    return server
'''

NET_SYNC = '''
def net(seconds):
    """A TCP round trip to the local server, answered after `seconds`."""
    with socket.create_connection(("127.0.0.1", CONFIG["port"])) as sock:
        sock.sendall(f"{seconds}\\n".encode())
        with sock.makefile("rb") as reply:
            reply.readline()
'''

NET_ASYNC = '''
async def net_async(seconds):
    """A TCP round trip to the local server with asyncio streams, answered after `seconds`."""
    reader, writer = await asyncio.open_connection("127.0.0.1", CONFIG["port"])
    writer.write(f"{seconds}\\n".encode())
    await reader.readline()
    writer.close()
    await writer.wait_closed()
'''

CONFIGURE = '''
def configure(config):
    """Runs in each worker process: the calibration, server port and limits set up by the main process."""
    CONFIG.update(config)
'''

TIME_LEFT = '''
def time_left(deadline):
    """Seconds until `deadline` (None: no deadline, wait as long as it takes)."""
    return None if deadline is None else max(0.0, deadline - time.perf_counter())
'''
