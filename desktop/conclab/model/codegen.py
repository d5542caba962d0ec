""""Show as code": a short, runnable, standalone Python script that runs a plan under one model.

The script uses only the standard library and the idiomatic tool of each model: a plain loop
(sequential), `asyncio.gather` (asyncio), `threading.Thread` or a `ThreadPoolExecutor` (threads), a
`ProcessPoolExecutor` under `if __name__ == "__main__":` (processes). `cpu` and `hash` work is sized by a
quick calibration inside the script; `net` talks to a tiny delayed echo server the script starts on
127.0.0.1. The script ends by printing `wall: <seconds>`.
"""

from __future__ import annotations

import keyword
import re

from conclab.model.plan import Group, Plan, Step
from conclab.model.plan_text import format_plan
from conclab.model.trace import MODELS

THREADS_PER_TASK_MAX = 32
DEFAULT_THREAD_CAP = 1000
_RESERVED = {"main", "spin", "spin_loops", "hash_work", "hash_blocks", "rate", "calibrate", "net",
             "net_async", "start_server", "configure", "limited", "asyncio", "time", "threading",
             "socket", "socketserver", "hashlib", "multiprocessing", "CONFIG", "BLOCK", "PROCESS_POOL",
             "DelayedEcho", "EchoServer", "ThreadPoolExecutor", "ProcessPoolExecutor"}

_CPU = '''
def spin_loops(n):
    total = 0
    for i in range(n):
        total += i % 7
    return total


def spin(seconds):
    """Pure-Python work that holds the GIL for about `seconds`."""
    return spin_loops(int(seconds * CONFIG["cpu_rate"]))
'''

_HASH = '''
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

_CALIBRATE_HEAD = '''
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

_SERVER = '''
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

_NET_SYNC = '''
def net(seconds):
    """A TCP round trip to the local server, answered after `seconds`."""
    with socket.create_connection(("127.0.0.1", CONFIG["port"])) as sock:
        sock.sendall(f"{seconds}\\n".encode())
        with sock.makefile("rb") as reply:
            reply.readline()
'''

_NET_ASYNC = '''
async def net_async(seconds):
    """A TCP round trip to the local server with asyncio streams, answered after `seconds`."""
    reader, writer = await asyncio.open_connection("127.0.0.1", CONFIG["port"])
    writer.write(f"{seconds}\\n".encode())
    await reader.readline()
    writer.close()
    await writer.wait_closed()
'''

_CONFIGURE = '''
def configure(config):
    """Runs in each worker process: the calibration and server port measured by the main process."""
    CONFIG.update(config)
'''

_SYNC_CALL = {"sleep": "time.sleep", "block": "time.sleep", "net": "net", "cpu": "spin", "hash": "hash_work"}


def _secs(us: int) -> str:
    return repr(us / 1e6)


def _identifier(name: str, taken: set[str]) -> str:
    base = re.sub(r"\W", "_", name.lower()).strip("_") or "task"
    if base[0].isdigit() or keyword.iskeyword(base) or base in _RESERVED:
        base = f"task_{base}"
    ident, n = base, 2
    while ident in taken:
        ident, n = f"{base}_{n}", n + 1
    taken.add(ident)
    return ident


def _step_line(step: Step, model: str) -> str:
    secs = _secs(step.duration_us)
    call = _SYNC_CALL[step.kind]
    if model != "asyncio":
        return f"{call}({secs})"
    if step.offload == "thread":
        return f"await asyncio.to_thread({call}, {secs})"
    if step.offload == "process":
        return f"await asyncio.get_running_loop().run_in_executor(PROCESS_POOL, {call}, {secs})"
    return {
        "sleep": f"await asyncio.sleep({secs})",
        "block": f"time.sleep({secs})  # blocks the event loop: no other task runs meanwhile",
        "net": f"await net_async({secs})",
        "cpu": f"spin({secs})  # pure Python on the loop's thread: other tasks wait",
        "hash": f"hash_work({secs})  # runs on the loop's thread: other tasks wait",
    }[step.kind]


def _task_function(ident: str, group: Group, model: str, timed: bool) -> str:
    head = "async def" if model == "asyncio" else "def"
    lines = [f"{head} {ident}({'start_at' if timed else ''}):"]
    if timed:
        wait = "await asyncio.sleep" if model == "asyncio" else "time.sleep"
        lines.append(f"    {wait}(max(0.0, start_at - time.perf_counter()))  # `after` / `every`")
    lines += [f"    {_step_line(s, model)}" for s in group.steps]
    return "\n".join(lines) + "\n"


def _task_list(idents: list[str], plan: Plan, timed: bool) -> str:
    parts: list[str] = []
    for ident, g in zip(idents, plan.groups, strict=True):
        if timed:
            start = f"t0 + {_secs(g.after_us)}" if g.after_us else "t0"
            if g.every_us:
                parts.append(f"[({ident}, {start} + i * {_secs(g.every_us)}) for i in range({g.count})]")
            else:
                parts.append(f"[({ident}, {start})] * {g.count}" if g.count > 1 else f"[({ident}, {start})]")
        elif g.count > 3:
            parts.append(f"[{ident}] * {g.count}")
        else:
            parts.append("[" + ", ".join([ident] * g.count) + "]")
    return " + ".join(parts)


def _needs(plan: Plan, model: str) -> tuple[set[str], set[str]]:
    kinds: set[str] = plan.kinds()
    offloads = plan.offloads() if model == "asyncio" else set()
    sync_kinds: set[str] = kinds if model != "asyncio" else {
        s.kind for g in plan.groups for s in g.steps if s.offload or s.kind in ("cpu", "hash")
    }
    return sync_kinds, offloads


def _imports(plan: Plan, model: str, sync_kinds: set[str], offloads: set[str], workers: int | None) -> str:
    kinds = plan.kinds()
    mods = {"time"}
    if model == "asyncio":
        mods.add("asyncio")
    if "net" in kinds:
        mods |= {"socketserver", "threading"}
    if "net" in sync_kinds:
        mods.add("socket")
    if "hash" in kinds:
        mods.add("hashlib")
    if model == "threads":
        mods.add("threading")
    if model == "processes" or "process" in offloads:
        mods.add("multiprocessing")
    lines = [f"import {m}" for m in sorted(mods)]
    if model == "processes" or "process" in offloads:
        lines.append("from concurrent.futures import ProcessPoolExecutor")
    if model == "threads" and _thread_pool_size(plan, workers):
        lines.append("from concurrent.futures import ThreadPoolExecutor")
    return "\n".join(lines) + "\n"


def _thread_pool_size(plan: Plan, workers: int | None) -> int | None:
    """None when one plain Thread per task reads best (few tasks, no worker count asked for)."""
    if workers is None and plan.task_count <= THREADS_PER_TASK_MAX:
        return None
    return workers or min(plan.task_count, DEFAULT_THREAD_CAP)


def _process_pool(workers: int | None, with_config: bool) -> str:
    args = [f"max_workers={workers}" if workers else "", "mp_context=context"]
    if with_config:
        args += ["initializer=configure", "initargs=(CONFIG,)"]
    return f"ProcessPoolExecutor({', '.join(a for a in args if a)})"


def _setup_lines(plan: Plan) -> list[str]:
    kinds = plan.kinds()
    lines: list[str] = []
    if kinds & {"cpu", "hash"}:
        lines.append("calibrate()")
    if "net" in kinds:
        lines.append("start_server()  # serves from a background thread until the script ends")
    return lines


def _runner_lines(plan: Plan, model: str, workers: int | None, timed: bool, config: bool) -> list[str]:
    call = "task(start_at)" if timed else "task()"
    loop_head = "for task, start_at in tasks:" if timed else "for task in tasks:"
    if model == "sequential":
        return [loop_head, f"    {call}"]
    if model == "asyncio":
        if workers:
            return [f"limit = asyncio.Semaphore({workers})  # at most {workers} tasks at a time", "",
                    "async def limited(task, *args):", "    async with limit:", "        await task(*args)",
                    "",
                    "await asyncio.gather(*(limited(" + ("task, start_at" if timed else "task")
                    + ") for " + ("task, start_at" if timed else "task") + " in tasks))"]
        gen = f"({call} for {'task, start_at' if timed else 'task'} in tasks)"
        return [f"await asyncio.gather(*{gen})"]
    submit_args = "task, start_at" if timed else "task"
    if model == "threads" and _thread_pool_size(plan, workers) is None:
        args = ", args=(start_at,)" if timed else ""
        target = f"threading.Thread(target=task{args})"
        return [f"threads = [{target} for {submit_args} in tasks]",
                "for thread in threads:", "    thread.start()",
                "for thread in threads:", "    thread.join()"]
    pool = (f"ThreadPoolExecutor(max_workers={_thread_pool_size(plan, workers)})" if model == "threads"
            else _process_pool(workers, config))
    return [f"with {pool} as pool:",
            f"    futures = [pool.submit({submit_args}) for {submit_args} in tasks]",
            "    for future in futures:", "        future.result()  # re-raises a task's exception"]


def _main(plan: Plan, model: str, workers: int | None, idents: list[str], offloads: set[str]) -> str:
    timed = any(g.after_us or g.every_us for g in plan.groups)
    config = bool(plan.kinds() & {"cpu", "hash", "net"})
    body = _setup_lines(plan)
    if model == "processes" or "process" in offloads:
        body.append('context = multiprocessing.get_context("spawn")  # fresh workers, as on Windows/macOS')
    if "process" in offloads:
        body = ["global PROCESS_POOL", *body, f"PROCESS_POOL = {_process_pool(None, config)}"]
    body.append("t0 = time.perf_counter()")
    body.append(f"tasks = {_task_list(idents, plan, timed)}")
    body += _runner_lines(plan, model, workers, timed, config)
    if "process" in offloads:
        body.append("PROCESS_POOL.shutdown()")
    body.append('print(f"wall: {time.perf_counter() - t0:.3f}")')
    head = "async def main():" if model == "asyncio" else "def main():"
    text = head + "\n" + "\n".join(f"    {line}" if line else "" for line in body) + "\n"
    run = "asyncio.run(main())" if model == "asyncio" else "main()"
    return text + f'\n\nif __name__ == "__main__":\n    {run}\n'


def _calibrate_block(kinds: set[str]) -> str:
    lines = [_CALIBRATE_HEAD.rstrip("\n")]
    if "cpu" in kinds:
        lines.append('    CONFIG["cpu_rate"] = max(rate(spin_loops) for _ in range(2))  # loops/second')
    if "hash" in kinds:
        lines.append('    CONFIG["hash_rate"] = max(rate(hash_blocks, 1) for _ in range(2))  # blocks/second')
    return "\n".join(lines) + "\n"


def _describe(plan: Plan, model: str, workers: int | None) -> str:
    how = {
        "sequential": "one task after another",
        "asyncio": "as coroutines on one event loop (asyncio.gather)",
        "threads": "in threads",
        "processes": "in a pool of worker processes",
    }[model]
    extra = f", {workers} workers" if workers and model != "sequential" else ""
    plan_lines = "\n".join(f"    {line}" for line in format_plan(plan, multiline=True).splitlines())
    return (f'"""Run this plan {how}{extra}, then print the wall time.\n\n{plan_lines}\n\n'
            f'Generated by Concurrency Lab; needs only the standard library.\n"""\n')


def generate(plan: Plan, model: str, workers: int | None = None) -> str:
    """A standalone script that runs `plan` under `model` and prints `wall: <seconds>`."""
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r} (choose from {', '.join(MODELS)})")
    if workers is not None and workers < 1:
        raise ValueError("workers must be at least 1")
    kinds = plan.kinds()
    sync_kinds, offloads = _needs(plan, model)
    taken: set[str] = set()
    idents = [_identifier(g.name or f"task{i + 1}", taken) for i, g in enumerate(plan.groups)]
    parts = [_describe(plan, model, workers), _imports(plan, model, sync_kinds, offloads, workers)]
    if kinds & {"cpu", "hash", "net"}:
        parts.append("CONFIG = {}  # measured by the main process; worker processes get a copy\n")
    if "process" in offloads:
        parts.append("PROCESS_POOL = None  # started in main()\n")
    if "cpu" in kinds:
        parts.append(_CPU)
    if "hash" in kinds:
        parts.append(_HASH)
    if kinds & {"cpu", "hash"}:
        parts.append(_calibrate_block(kinds))
    if "net" in kinds:
        parts.append(_SERVER)
    if "net" in sync_kinds:
        parts.append(_NET_SYNC)
    if model == "asyncio" and any(s.kind == "net" and not s.offload for g in plan.groups for s in g.steps):
        parts.append(_NET_ASYNC)
    if (model == "processes" or "process" in offloads) and kinds & {"cpu", "hash", "net"}:
        parts.append(_CONFIGURE)
    timed = any(g.after_us or g.every_us for g in plan.groups)
    parts += [_task_function(i, g, model, timed) for i, g in zip(idents, plan.groups, strict=True)]
    parts.append(_main(plan, model, workers, idents, offloads))
    head, *rest = (p.strip("\n") for p in parts)
    return head + "\n" + "\n\n\n".join(rest) + "\n"
