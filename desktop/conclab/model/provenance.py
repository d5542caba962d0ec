"""The provenance footer of an exported picture: which plan ran, under which models, on which Pythons,
on what machine, and when.

A picture without it is an unsourced claim; with it, anyone can see what was measured where. Nothing is
shortened: the plan is given whole (pictures wrap it), and when the runs of one document ran under
different Pythons, each Python is named with the runs it ran.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from typing import Any

from conclab.model.run import RunDocument

SEPARATOR = " · "


def flat_plan(text: str) -> str:
    """A plan's text on one line: comments dropped, its lines joined with "; ", spacing made even."""
    lines = [line.split("#", 1)[0].strip() for line in text.splitlines()]
    joined = "; ".join(line.strip(" ;") for line in lines if line.strip(" ;"))
    groups = [" ".join(part.split()) for part in joined.split(";")]
    return "; ".join(g for g in groups if g)


def shorten(text: str, limit: int) -> str:
    """`text` on one line, cut to at most `limit` characters with an ellipsis (for one-line status texts;
    pictures never shorten)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: max(limit - 1, 0)].rstrip() + "…"


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def machine_text(machine: Mapping[str, Any]) -> list[str]:
    """"2 CPUs" and the OS, from a run document's machine record; odd values are left out, never guessed."""
    parts: list[str] = []
    cpus = _count(machine.get("cpus"))
    if cpus is not None:
        parts.append(f"{cpus} CPU{'s' if cpus != 1 else ''}")
    system = machine.get("platform")
    if isinstance(system, str) and system.strip():
        parts.append(" ".join(system.split()))
    return parts


def python_words(version: Any, implementation: Any, gil: Any, free_threaded: Any = False) -> str:
    """"Python 3.13.0t CPython · GIL off" from what a record holds ("" without a version)."""
    if not isinstance(version, str) or not version:
        return ""
    words = f"Python {version}{'t' if free_threaded is True else ''}"
    if isinstance(implementation, str) and implementation:
        words += f" {implementation}"
    if isinstance(gil, bool):
        words += SEPARATOR + ("GIL on" if gil else "GIL off")
    return words


def _run_python(python: Mapping[str, Any]) -> str:
    return python_words(python.get("version"), python.get("implementation"), python.get("gil_enabled"),
                        python.get("free_threaded"))


def pythons_text(doc: RunDocument) -> str:
    """Which Python ran the runs: one Python for all, or each Python with the runs it ran.

    A run that recorded no Python of its own (older files) is taken to have run on the machine's.
    """
    machine = python_words(doc.machine.get("python"), doc.machine.get("implementation"),
                           doc.machine.get("gil_enabled"))
    by_python: dict[str, list[str]] = {}
    for run in doc.runs:
        words = (_run_python(run.python) if isinstance(run.python, Mapping) else "") or machine
        if words:
            by_python.setdefault(words, []).append(run.name)
    if not by_python:
        return machine
    if len(by_python) == 1:
        return next(iter(by_python))
    return "; ".join(f"{words} ({', '.join(dict.fromkeys(names))})" for words, names in by_python.items())


def models_text(doc: RunDocument) -> str:
    """The runs in order, each name once: "asyncio, threads"."""
    return ", ".join(dict.fromkeys(run.name for run in doc.runs)) or "no runs"


def footer_parts(doc: RunDocument, when: _dt.date | None = None) -> list[str]:
    """plan · models · Python(s) · CPUs · OS · date, each part whole."""
    day = when if when is not None else _dt.date.today()
    python = pythons_text(doc)
    return [f"plan: {flat_plan(doc.plan)}", f"models: {models_text(doc)}", *([python] if python else []),
            *machine_text(doc.machine), day.isoformat() if isinstance(day, _dt.date) else str(day)]


def footer_text(doc: RunDocument, when: _dt.date | None = None) -> str:
    """The footer as one text (pictures wrap it to their width)."""
    return SEPARATOR.join(footer_parts(doc, when))
