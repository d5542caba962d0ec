"""The example plans shipped in `resources/examples/*.plan`.

Each file starts with one header comment line, ``# <Title> — <one-line description>``, followed by the
plan text (which may hold more comments). A file that cannot be read, lacks the header or does not
parse is left out and reported, so one broken file never hides the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from conclab.model.errors import ConclabError
from conclab.model.plan import Plan
from conclab.model.plan_text import parse
from conclab.model.resources import resource

SUFFIX = ".plan"
_DASH = " — "


@dataclass(frozen=True)
class Example:
    """One example plan: `id` is the file name without `.plan`; `text` is the plan without the header."""

    id: str
    title: str
    description: str
    text: str

    def plan(self) -> Plan:
        return parse(self.text)


def _header(first_line: str) -> tuple[str, str]:
    line = first_line.strip()
    if not line.startswith("#") or _DASH not in line:
        raise ConclabError("the first line must be a comment '# <Title> — <description>'")
    title, description = (part.strip() for part in line.lstrip("#").split(_DASH, 1))
    if not title or not description:
        raise ConclabError("the header needs both a title and a description around ' — '")
    return title, description


def read_example(path: Path) -> Example:
    """Read one example file; raises ConclabError (or a PlanError from its plan text) if it is broken."""
    try:
        content = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ConclabError(f"cannot read it: {err}") from err
    first, _, body = content.partition("\n")
    title, description = _header(first)
    parse(content)  # the whole file, so an error names the file's own line numbers
    text = body.strip("\r\n")
    return Example(path.name.removesuffix(SUFFIX), title, description, text)


def load_examples_with_errors(folder: Path | None = None) -> tuple[list[Example], list[str]]:
    """All readable examples sorted by file name, and one message per broken file (or missing folder)."""
    try:
        where = folder if folder is not None else resource("examples")
        paths = sorted(p for p in where.iterdir() if p.name.endswith(SUFFIX))
    except (ConclabError, OSError) as err:
        return [], [f"example plans unavailable: {err}"]
    examples: list[Example] = []
    errors: list[str] = []
    for path in paths:
        try:
            examples.append(read_example(path))
        except ConclabError as err:
            errors.append(f"{path.name}: {err}")
    return examples, errors


def load_examples(folder: Path | None = None) -> list[Example]:
    """All examples that load cleanly, sorted by file name; broken files are skipped."""
    return load_examples_with_errors(folder)[0]
