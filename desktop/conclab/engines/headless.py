"""Headless runs: a plan under several models, one after another, on a plain asyncio loop or any loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from conclab.engines.machine import machine_info
from conclab.engines.runtime import Runtime
from conclab.engines.stop import StopToken
from conclab.model.plan import Plan
from conclab.model.plan_text import format_plan
from conclab.model.run import ModelRun, RunDocument


async def run_models(
    runtime: Runtime, plan: Plan, models: list[str], workers: int | None = None,
    stop: StopToken | None = None, on_run: Callable[[ModelRun], None] | None = None, detail: bool = True,
) -> RunDocument:
    """Run `plan` under each model in turn on the running loop."""
    runs: list[ModelRun] = []
    for model in models:
        if stop is not None and stop.is_set():
            break
        run = await runtime.run(plan, model, workers=workers, stop=stop, detail=detail)
        runs.append(run)
        if on_run is not None:
            on_run(run)
    return RunDocument(format_plan(plan), machine_info(), runtime.calibration_info(), runs)


def run_plan(plan: Plan, models: list[str], workers: int | None = None, detail: bool = True) -> RunDocument:
    """Run on a fresh plain asyncio loop with ordinary threads (no Qt); the server stops afterwards."""
    runtime = Runtime()

    async def main() -> RunDocument:
        return await run_models(runtime, plan, models, workers, detail=detail)

    try:
        return asyncio.run(main())
    finally:
        runtime.close()
