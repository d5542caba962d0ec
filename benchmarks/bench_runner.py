"""Runner overhead: conclab's engines against plain scripts doing the same work, side by side.

Each pair compares the wall time of the work only. Conclab's is `metrics["wall_s"]` (recorder start to
the last span's end; pool start-up is `startup_s`, kept out). The plain script's is the time from its
first submit to its last completion, with its pool created and warmed beforehand. The plain side of a
`net` plan speaks the same loopback protocol to the same server process (`<delay_us>\\n`, one line back),
and the plain side of a `cpu` plan runs the same calibrated spin.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, wait
from time import perf_counter
from typing import Any

from benchmarks.common import Row, interleaved, ratio_row, report
from conclab.engines.calibrate import get_calibration, spin
from conclab.engines.recorder import Recorder
from conclab.engines.runtime import Runtime
from conclab.model.plan_text import parse

REPS = 5
TASKS = 2000
SLEEP_S = 0.200
NET_S = 0.050
SLEEP_THREADS = 200  # 2000 × 200 ms / 200 workers ≈ 2 s
NET_THREADS = 50  # 2000 × 50 ms / 50 workers ≈ 2 s
CPU_TASKS = 8
CPU_S = 0.100
TARGET_IO = 1.05
TARGET_PROC = 1.10


# --- plain asyncio --------------------------------------------------------------------------------------

async def _plain_net_async(addr: tuple[str, int], delay_us: int) -> None:
    reader, writer = await asyncio.open_connection(*addr)
    writer.write(b"%d\n" % delay_us)
    await reader.readline()
    writer.close()


async def plain_gather_sleep(n: int, secs: float) -> float:
    t0 = perf_counter()
    await asyncio.gather(*(asyncio.sleep(secs) for _ in range(n)))
    return perf_counter() - t0


async def plain_gather_net(n: int, secs: float, addr: tuple[str, int]) -> float:
    us = round(secs * 1e6)
    t0 = perf_counter()
    await asyncio.gather(*(_plain_net_async(addr, us) for _ in range(n)))
    return perf_counter() - t0


# --- plain threads --------------------------------------------------------------------------------------

def _plain_net_sync(addr: tuple[str, int], delay_us: int) -> None:
    with socket.create_connection(addr, timeout=5.0) as sock:
        sock.sendall(b"%d\n" % delay_us)
        buf = b""
        while b"\n" not in buf:
            chunk = sock.recv(64)
            if not chunk:
                raise ConnectionError("the loopback server closed the connection")
            buf += chunk


def warm_thread_pool(pool: ThreadPoolExecutor, n: int) -> None:
    """Make the executor start all `n` threads now (it starts them lazily, one per busy submit)."""
    barrier = threading.Barrier(n)
    wait([pool.submit(barrier.wait) for _ in range(n)])


def plain_threads(n_workers: int, n_tasks: int, job: Callable[..., object], *args: object) -> float:
    with ThreadPoolExecutor(max_workers=n_workers) as pool:
        warm_thread_pool(pool, n_workers)
        t0 = perf_counter()
        futs = [pool.submit(job, *args) for _ in range(n_tasks)]
        wait(futs)
        elapsed = perf_counter() - t0
    for f in futs:
        f.result()
    return elapsed


# --- plain processes ------------------------------------------------------------------------------------

def _warm_child(secs: float) -> int:
    time.sleep(secs)
    return os.getpid()


def plain_processes(n_workers: int, n_tasks: int, iters: int) -> float:
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(n_workers, mp_context=ctx) as pool:
        wait([pool.submit(_warm_child, 0.05) for _ in range(n_workers)])
        t0 = perf_counter()
        futs = [pool.submit(spin, iters) for _ in range(n_tasks)]
        wait(futs)
        elapsed = perf_counter() - t0
    for f in futs:
        f.result()
    return elapsed


# --- the pairs ------------------------------------------------------------------------------------------

ConclabSide = Callable[[], Coroutine[Any, Any, float]]
PlainSide = Callable[[], float | Coroutine[Any, Any, float]]


def _run_pair(loop: asyncio.AbstractEventLoop, conclab: ConclabSide, plain: PlainSide, reps: int
              ) -> tuple[list[float], list[float]]:
    def side_a() -> float:
        return loop.run_until_complete(conclab())

    def side_b() -> float:
        out = plain()
        if isinstance(out, float):
            return out
        return loop.run_until_complete(out)

    return interleaved(side_a, side_b, reps)


def _conclab(rt: Runtime, text: str, model: str, workers: int | None) -> ConclabSide:
    plan = parse(text)

    async def go() -> float:
        run = await rt.run(plan, model, workers=workers, recorder=Recorder())
        if run.metrics["tasks_done"] != plan.task_count:
            raise RuntimeError(f"{text} under {model}: only {run.metrics['tasks_done']:.0f} tasks done")
        return run.metrics["wall_s"]

    return go


def run(reps: int = REPS) -> list[Row]:
    """Every runner-overhead pair; one row per pair (median conclab/plain wall-time ratio)."""
    rt = Runtime()
    loop = asyncio.new_event_loop()
    rows: list[Row] = []
    try:
        sleep_plan = f"{TASKS}x sleep {round(SLEEP_S * 1000)}ms"
        net_plan = f"{TASKS}x net {round(NET_S * 1000)}ms"
        cpu_plan = f"{CPU_TASKS}x cpu {round(CPU_S * 1000)}ms"
        loop.run_until_complete(rt.ensure_ready(parse(f"{net_plan}; cpu 1ms")))
        addr = rt.server.addr
        assert addr is not None
        us = round(NET_S * 1e6)
        pairs: list[tuple[str, ConclabSide, PlainSide, float]] = [
            (f"runner asyncio {sleep_plan}", _conclab(rt, sleep_plan, "asyncio", None),
             lambda: plain_gather_sleep(TASKS, SLEEP_S), TARGET_IO),
            (f"runner asyncio {net_plan}", _conclab(rt, net_plan, "asyncio", None),
             lambda: plain_gather_net(TASKS, NET_S, addr), TARGET_IO),
            (f"runner threads×{SLEEP_THREADS} {sleep_plan}", _conclab(rt, sleep_plan, "threads", SLEEP_THREADS),
             lambda: plain_threads(SLEEP_THREADS, TASKS, time.sleep, SLEEP_S), TARGET_IO),
            (f"runner threads×{NET_THREADS} {net_plan}", _conclab(rt, net_plan, "threads", NET_THREADS),
             lambda: plain_threads(NET_THREADS, TASKS, _plain_net_sync, addr, us), TARGET_IO),
        ]
        cores = os.cpu_count() or 1
        iters = get_calibration().cpu_iters(CPU_S)
        pairs.append((f"runner processes×{cores} {cpu_plan}", _conclab(rt, cpu_plan, "processes", cores),
                      lambda: plain_processes(cores, CPU_TASKS, iters), TARGET_PROC))
        for name, conclab, plain, target in pairs:
            # Sub-second pairs get twice the repetitions: they are cheap, and relatively noisier.
            n = reps if "threads" in name else 2 * reps
            a, b = _run_pair(loop, conclab, plain, n)
            rows.append(ratio_row(name, a, b, target,
                                  note=f"conclab {min(a):.3f}s vs plain {min(b):.3f}s (best)"))
    finally:
        loop.close()
        rt.close()
    return rows


if __name__ == "__main__":
    sys.exit(report(run(), "runner overhead (conclab / plain wall time of the work)"))
