"""What every command shares: the argument parser that raises instead of exiting, and PLAN/--models."""

from __future__ import annotations

import argparse
from pathlib import Path

from conclab.model.errors import ConclabError
from conclab.model.plan import Plan
from conclab.model.plan_text import parse
from conclab.model.trace import MODELS


class UsageError(ConclabError):
    """A bad command line."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are UsageErrors (one line, exit status 2), never a SystemExit."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def is_plan_file(arg: str) -> bool:
    """Whether a PLAN argument names an existing file (plan text can be too long to be a path)."""
    if "\n" in arg or len(arg) > 4096:
        return False
    try:
        return Path(arg).is_file()
    except (OSError, ValueError):
        return False


def read_plan_arg(arg: str) -> str:
    """PLAN is plan text, or the path of a `.plan` file: the plan's text either way."""
    if not (arg.endswith(".plan") or is_plan_file(arg)):
        return arg
    try:
        return Path(arg).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read plan file {arg}: {exc}") from None


def load_plan_arg(arg: str) -> Plan:
    """PLAN parsed (plan text, or the path of a `.plan` file)."""
    return parse(read_plan_arg(arg))


def parse_models(arg: str) -> list[str]:
    """`--models a,b`: known model names, in the order given."""
    models = [m.strip() for m in arg.split(",") if m.strip()]
    for m in models:
        if m not in MODELS:
            raise UsageError(f"unknown model {m!r} (choose from {', '.join(MODELS)})")
    if not models:
        raise UsageError("no model given")
    return models
