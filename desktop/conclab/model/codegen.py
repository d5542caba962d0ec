""""Show as code": a short, runnable, standalone Python script that runs a plan under one model.

The script uses only the standard library and the idiomatic tool of each model: a plain loop
(sequential), `asyncio.gather` (asyncio), `threading.Thread` or a `ThreadPoolExecutor` (threads), a
`ProcessPoolExecutor` under `if __name__ == "__main__":` (processes). `cpu` and `hash` work is sized by a
quick calibration inside the script; `net` talks to a tiny delayed echo server the script starts on
127.0.0.1. The script ends by printing `wall: <seconds>` (after `timed out: <n>` when the plan has
timeouts).

A group's `limit N` becomes a semaphore held around the task's steps: `asyncio.Semaphore` under
asyncio, `threading.BoundedSemaphore` for threads, a manager's semaphore shared with the worker
processes (sequential needs none). A group's `timeout` becomes `asyncio.timeout` around the task under
asyncio — which cancels it — and, for threads and processes, `future.result(timeout=...)` until the
task's deadline, which stops only the waiting: `future.cancel()` drops a task no worker has taken yet,
but a running one goes on to its end. Sequential code skips a task whose deadline passed before its turn.
"""

from __future__ import annotations

import keyword
import re

from conclab.model import codegen_snippets as snip
from conclab.model.plan import Group, Plan, Step
from conclab.model.plan_text import format_duration, format_plan
from conclab.model.session_spec import default_workers
from conclab.model.trace import MODELS

THREADS_PER_TASK_MAX = 32
_RESERVED = {"main", "spin", "spin_loops", "hash_work", "hash_blocks", "rate", "calibrate", "net",
             "net_async", "start_server", "configure", "limited", "time_left", "asyncio", "time", "threading",
             "socket", "socketserver", "hashlib", "multiprocessing", "CONFIG", "BLOCK", "PROCESS_POOL",
             "TIMED_OUT", "DelayedEcho", "EchoServer", "ThreadPoolExecutor", "ProcessPoolExecutor"}
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


def _limit_name(ident: str, model: str) -> str:
    return f'CONFIG["{ident}_limit"]' if model == "processes" else f"{ident.upper()}_LIMIT"


def _task_body(ident: str, group: Group, model: str) -> list[str]:
    """The task's steps, inside its limit (and, under asyncio, its timeout), indented for a function."""
    body = [_step_line(s, model) for s in group.steps]
    if group.limit and model != "sequential":
        head = "async with" if model == "asyncio" else "with"
        what = f"at most {group.limit} {ident} task{'s' if group.limit > 1 else ''} at once"
        body = [f"{head} {_limit_name(ident, model)}:  # limit {group.limit}: {what}", *(f"    {b}" for b in body)]
    elif group.limit:
        body.insert(0, f"# limit {group.limit}: one task runs at a time here anyway")
    if group.timeout_us and model == "asyncio":
        when = format_duration(group.timeout_us)
        body = ["try:", f"    async with asyncio.timeout({_secs(group.timeout_us)}):  # timeout {when}: "
                "cancelled when its time is up", *(f"        {b}" for b in body),
                "except TimeoutError:", f'    TIMED_OUT.append("{ident}")']
    return body


def _task_function(ident: str, group: Group, model: str, timed: bool) -> str:
    head = "async def" if model == "asyncio" else "def"
    lines = [f"{head} {ident}({'start_at' if timed else ''}):"]
    if timed:
        wait = "await asyncio.sleep" if model == "asyncio" else "time.sleep"
        lines.append(f"    {wait}(max(0.0, start_at - time.perf_counter()))  # `after` / `every`")
    lines += [f"    {line}" for line in _task_body(ident, group, model)]
    return "\n".join(lines) + "\n"


def _deadlines(plan: Plan, model: str) -> bool:
    """True when the runner itself must watch deadlines (asyncio's tasks watch their own)."""
    return plan.has_timeouts and model != "asyncio"


def _task_list(idents: list[str], plan: Plan, timed: bool, deadlines: bool) -> str:
    parts: list[str] = []
    for ident, g in zip(idents, plan.groups, strict=True):
        if timed or deadlines:
            start = f"t0 + {_secs(g.after_us)}" if g.after_us else "t0"
            if g.every_us:
                start += f" + i * {_secs(g.every_us)}"
            item = f"({ident}, {start}"
            if deadlines:
                item += f", {start} + {_secs(g.timeout_us)}" if g.timeout_us else ", None"
            item += ")"
            parts.append(f"[{item} for i in range({g.count})]" if g.every_us
                         else f"[{item}] * {g.count}" if g.count > 1 else f"[{item}]")
        elif g.count > 3:
            parts.append(f"[{ident}] * {g.count}")
        else:
            parts.append("[" + ", ".join([ident] * g.count) + "]")
    return " + ".join(parts)


def _thread_pool_size(plan: Plan, workers: int | None) -> int | None:
    """None when one plain Thread per task reads best (few tasks, no worker count, no deadlines)."""
    if workers is None and plan.task_count <= THREADS_PER_TASK_MAX and not plan.has_timeouts:
        return None
    return workers or default_workers("threads", plan.task_count, 1)


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


def _process_pool(workers: int | None, with_config: bool) -> str:
    args = [f"max_workers={workers}" if workers else "", "mp_context=context"]
    if with_config:
        args += ["initializer=configure", "initargs=(CONFIG,)"]
    return f"ProcessPoolExecutor({', '.join(a for a in args if a)})"


def _setup_lines(plan: Plan, model: str, idents: list[str]) -> list[str]:
    kinds = plan.kinds()
    lines: list[str] = []
    if kinds & {"cpu", "hash"}:
        lines.append("calibrate()")
    if "net" in kinds:
        lines.append("start_server()  # serves from a background thread until the script ends")
    if model == "processes" and plan.has_limits:
        lines.append("manager = context.Manager()  # its semaphores are shared with the worker processes")
        lines += [f'CONFIG["{i}_limit"] = manager.BoundedSemaphore({g.limit})'
                  for i, g in zip(idents, plan.groups, strict=True) if g.limit]
    return lines


def _future_lines(pool: str, timed: bool, deadlines: bool) -> list[str]:
    args = "task, start_at" if timed else "task"
    if not deadlines:
        return [f"with {pool} as pool:", f"    futures = [pool.submit({args}) for {args} in tasks]",
                "    for future in futures:", "        future.result()  # re-raises a task's exception"]
    return [f"with {pool} as pool:",
            f"    futures = [(pool.submit({args}), deadline) for task, start_at, deadline in tasks]",
            "    for future, deadline in futures:", "        try:",
            "            future.result(timeout=time_left(deadline))  # re-raises a task's exception",
            "        except TimeoutError:",
            "            future.cancel()  # stops it only if no worker has taken it yet: a running one goes on",
            "            timed_out += 1"]


def _runner_lines(plan: Plan, model: str, workers: int | None, timed: bool, config: bool) -> list[str]:
    deadlines = _deadlines(plan, model)
    call = "task(start_at)" if timed else "task()"
    pair = "task, start_at" if timed else "task"
    if model == "sequential" and deadlines:
        return ["for task, start_at, deadline in tasks:",
                "    if deadline is not None and time.perf_counter() >= deadline:",
                "        timed_out += 1  # its time was up before its turn: it never starts", "        continue",
                f"    {call}", "    if deadline is not None and time.perf_counter() > deadline:",
                "        timed_out += 1  # it ended after its deadline: a plain call cannot be interrupted"]
    if model == "sequential":
        return [f"for {pair} in tasks:", f"    {call}"]
    if model == "asyncio":
        if workers:
            return [f"limit = asyncio.Semaphore({workers})  # at most {workers} tasks at a time", "",
                    "async def limited(task, *args):", "    async with limit:", "        await task(*args)",
                    "", f"await asyncio.gather(*(limited({pair}) for {pair} in tasks))"]
        return [f"await asyncio.gather(*({call} for {pair} in tasks))"]
    if model == "threads" and _thread_pool_size(plan, workers) is None:
        args = ", args=(start_at,)" if timed else ""
        return [f"threads = [threading.Thread(target=task{args}) for {pair} in tasks]",
                "for thread in threads:", "    thread.start()", "for thread in threads:", "    thread.join()"]
    pool = (f"ThreadPoolExecutor(max_workers={_thread_pool_size(plan, workers)})" if model == "threads"
            else _process_pool(workers, config))
    return _future_lines(pool, timed, deadlines)


def _main(plan: Plan, model: str, workers: int | None, idents: list[str], offloads: set[str]) -> str:
    timed = any(g.after_us or g.every_us for g in plan.groups)
    config = bool(plan.kinds() & {"cpu", "hash", "net"}) or (model == "processes" and plan.has_limits)
    body: list[str] = []
    if model == "processes" or "process" in offloads:
        body.append('context = multiprocessing.get_context("spawn")  # fresh workers, as on Windows/macOS')
    body += _setup_lines(plan, model, idents)
    if "process" in offloads:
        body = ["global PROCESS_POOL", *body, f"PROCESS_POOL = {_process_pool(None, config)}"]
    if _deadlines(plan, model):
        body.append("timed_out = 0")
    body.append("t0 = time.perf_counter()")
    body.append(f"tasks = {_task_list(idents, plan, timed, _deadlines(plan, model))}")
    body += _runner_lines(plan, model, workers, timed, config)
    if "process" in offloads:
        body.append("PROCESS_POOL.shutdown()")
    if plan.has_timeouts:
        count = "len(TIMED_OUT)" if model == "asyncio" else "timed_out"
        body.append(f'print(f"timed out: {{{count}}}")')
    body.append('print(f"wall: {time.perf_counter() - t0:.3f}")')
    head = "async def main():" if model == "asyncio" else "def main():"
    text = head + "\n" + "\n".join(f"    {line}" if line else "" for line in body) + "\n"
    run = "asyncio.run(main())" if model == "asyncio" else "main()"
    return text + f'\n\nif __name__ == "__main__":\n    {run}\n'


def _calibrate_block(kinds: set[str]) -> str:
    lines = [snip.CALIBRATE_HEAD.rstrip("\n")]
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


def _globals(plan: Plan, model: str, idents: list[str], offloads: set[str]) -> list[str]:
    kinds = plan.kinds()
    parts: list[str] = []
    if kinds & {"cpu", "hash", "net"} or (model == "processes" and plan.has_limits):
        parts.append("CONFIG = {}  # set up by the main process; worker processes get a copy\n")
    if "process" in offloads:
        parts.append("PROCESS_POOL = None  # started in main()\n")
    if model == "asyncio" and plan.has_timeouts:
        parts.append("TIMED_OUT = []  # the tasks whose timeout ran out\n")
    if model in ("asyncio", "threads") and plan.has_limits:
        kind = "asyncio.Semaphore" if model == "asyncio" else "threading.BoundedSemaphore"
        parts.append("\n".join(f"{_limit_name(i, model)} = {kind}({g.limit})"
                               for i, g in zip(idents, plan.groups, strict=True) if g.limit) + "\n")
    return parts


def generate(plan: Plan, model: str, workers: int | None = None) -> str:
    """A standalone script that runs `plan` under `model` and prints `wall: <seconds>`."""
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r} (choose from {', '.join(MODELS)})")
    if workers is not None and workers < 1:
        raise ValueError("workers must be at least 1")
    kinds = plan.kinds()
    offloads = plan.offloads() if model == "asyncio" else set()
    sync_kinds: set[str] = set(kinds) if model != "asyncio" else {
        s.kind for g in plan.groups for s in g.steps if s.offload or s.kind in ("cpu", "hash")}
    taken: set[str] = set()
    idents = [_identifier(g.name or f"task{i + 1}", taken) for i, g in enumerate(plan.groups)]
    parts = [_describe(plan, model, workers), _imports(plan, model, sync_kinds, offloads, workers),
             *_globals(plan, model, idents, offloads)]
    if "cpu" in kinds:
        parts.append(snip.CPU)
    if "hash" in kinds:
        parts.append(snip.HASH)
    if kinds & {"cpu", "hash"}:
        parts.append(_calibrate_block(kinds))
    if "net" in kinds:
        parts.append(snip.SERVER)
    if "net" in sync_kinds:
        parts.append(snip.NET_SYNC)
    if model == "asyncio" and any(s.kind == "net" and not s.offload for g in plan.groups for s in g.steps):
        parts.append(snip.NET_ASYNC)
    if (model == "processes" or "process" in offloads) and (kinds & {"cpu", "hash", "net"} or plan.has_limits):
        parts.append(snip.CONFIGURE)
    if _deadlines(plan, model) and model != "sequential":
        parts.append(snip.TIME_LEFT)
    timed = any(g.after_us or g.every_us for g in plan.groups)
    parts += [_task_function(i, g, model, timed) for i, g in zip(idents, plan.groups, strict=True)]
    parts.append(_main(plan, model, workers, idents, offloads))
    head, *rest = (p.strip("\n") for p in parts)
    return head + "\n" + "\n\n\n".join(rest) + "\n"
