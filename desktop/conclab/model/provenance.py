"""The provenance footer of an exported picture: which plan ran, under which models, where and when.

A picture without it is an unsourced claim; with it, anyone can see what was measured on which machine.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from typing import Any

from conclab.model.run import RunDocument

PLAN_CHARS = 80
SEPARATOR = " · "


def shorten(text: str, limit: int = PLAN_CHARS) -> str:
    """`text` on one line, cut to at most `limit` characters with an ellipsis when longer."""
    flat = " ".join(text.replace(";", "; ").split()).replace(" ;", ";")
    if len(flat) <= limit:
        return flat
    return flat[: max(limit - 1, 0)].rstrip() + "…"


def machine_text(machine: Mapping[str, Any]) -> list[str]:
    """"Python 3.11.7 CPython", "GIL on", "2 CPUs" and the OS, from a run document's machine record.

    Missing or odd values are left out rather than guessed: the footer states only what was recorded.
    """
    parts: list[str] = []
    python, impl = machine.get("python"), machine.get("implementation")
    if isinstance(python, str) and python:
        parts.append(f"Python {python}" + (f" {impl}" if isinstance(impl, str) and impl else ""))
    gil = machine.get("gil_enabled")
    if isinstance(gil, bool):
        parts.append("GIL on" if gil else "GIL off")
    cpus = machine.get("cpus")
    if isinstance(cpus, int) and not isinstance(cpus, bool) and cpus > 0:
        parts.append(f"{cpus} CPU{'s' if cpus != 1 else ''}")
    system = machine.get("platform")
    if isinstance(system, str) and system:
        parts.append(shorten(system, 40))
    return parts


def models_text(doc: RunDocument) -> str:
    """The models in run order, each once: "asyncio, threads"."""
    return ", ".join(dict.fromkeys(run.model for run in doc.runs)) or "no runs"


def footer_text(doc: RunDocument, when: _dt.date | None = None) -> str:
    """One line: plan · models · Python version and implementation · GIL · CPUs · OS · date."""
    day = when if when is not None else _dt.date.today()
    parts = [f"plan: {shorten(doc.plan)}", f"models: {models_text(doc)}", *machine_text(doc.machine),
             day.isoformat() if isinstance(day, _dt.date) else str(day)]
    return SEPARATOR.join(parts)
