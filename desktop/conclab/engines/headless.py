"""A plan run in this process on a fresh plain asyncio loop, without a lab: for tests and benchmarks that
measure the engines themselves. It is the session layer's `run_session`, nothing more."""

from __future__ import annotations

import asyncio

from conclab.engines.runtime import Runtime
from conclab.engines.session import run_session
from conclab.model.plan import Plan
from conclab.model.plan_text import format_plan
from conclab.model.run import RunDocument
from conclab.model.session_spec import SessionRequest


def run_plan(plan: Plan, models: list[str], workers: int | None = None, detail: bool = True) -> RunDocument:
    """Run `plan` under each model, here, with ordinary threads; the loopback server stops afterwards."""
    runtime = Runtime()
    request = SessionRequest.for_models(format_plan(plan), models, workers, detail=detail)
    docs: list[RunDocument] = []

    async def main() -> None:
        # Not returned: asyncio's runner formats its main task (result included) when it leaves, and a
        # run document of 100,000 tasks takes seconds to format.
        docs.append(await run_session(runtime, request))

    try:
        asyncio.run(main())
    finally:
        runtime.close()
    return docs[0]
