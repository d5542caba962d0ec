"""The example plans shipped in `resources/examples/*.plan`.

Each file starts with a header comment, ``# <Title> — <one-line description>``, and may go on with
comment lines before the plan: ``# models: asyncio, threads`` names the models the example is meant to
run under (ticked when it is chosen); other comment lines are notes, shown with the description. The
plan text follows (it may hold more comments). A file that cannot be read, lacks the header, names an
unknown model or does not parse is left out and reported, so one broken file never hides the others.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from conclab.model.errors import ConclabError
from conclab.model.plan import Plan
from conclab.model.plan_text import parse
from conclab.model.resources import resource
from conclab.model.trace import MODELS

SUFFIX = ".plan"
_DASH = " — "
_MODELS_RE = re.compile(r"#\s*models\s*:(.*)\Z", re.IGNORECASE)


@dataclass(frozen=True)
class Example:
    """One example plan: `id` is the file name without `.plan`; `text` is the plan without its header lines.

    `models` are the models it is meant for (empty: no preference); `notes` its comment lines after the
    header, joined into one paragraph.
    """

    id: str
    title: str
    description: str
    text: str
    models: tuple[str, ...] = ()
    notes: str = ""

    def plan(self) -> Plan:
        return parse(self.text)

    @property
    def about(self) -> str:
        """The description and the notes, as one paragraph to show under the title ("… — <about>")."""
        return f"{self.description}. {self.notes}" if self.notes else f"{self.description}."


def _header(first_line: str) -> tuple[str, str]:
    line = first_line.strip()
    if not line.startswith("#") or _DASH not in line:
        raise ConclabError("the first line must be a comment '# <Title> — <description>'")
    title, description = (part.strip() for part in line.lstrip("#").split(_DASH, 1))
    if not title or not description:
        raise ConclabError("the header needs both a title and a description around ' — '")
    return title, description


def parse_models_line(line: str, line_no: int) -> tuple[str, ...] | None:
    """The models of a ``# models: a, b`` line (None when the line is something else)."""
    match = _MODELS_RE.match(line.strip())
    if match is None:
        return None
    models = tuple(m.strip() for m in match[1].split(",") if m.strip())
    for m in models:
        if m not in MODELS:
            raise ConclabError(f"line {line_no}: unknown model {m!r} in '# models:' — choose from {', '.join(MODELS)}")
    if not models:
        raise ConclabError(f"line {line_no}: '# models:' names no model — e.g. '# models: asyncio, threads'")
    return models


def _split_body(body: str) -> tuple[tuple[str, ...], str, str]:
    """(models, notes, plan text) of the file after its first line."""
    lines = body.splitlines()
    models: tuple[str, ...] = ()
    notes: list[str] = []
    kept: list[str] = []
    leading = True
    for n, line in enumerate(lines, 2):
        stripped = line.strip()
        found = parse_models_line(stripped, n) if leading else None
        if found is not None:
            models = found
            continue
        if leading and stripped.startswith("#"):
            notes.append(stripped.lstrip("#").strip())
        elif stripped:
            leading = False
        kept.append(line)
    return models, " ".join(n for n in notes if n), "\n".join(kept).strip("\r\n")


def read_example(path: Path) -> Example:
    """Read one example file; raises ConclabError (or a PlanError from its plan text) if it is broken."""
    try:
        content = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ConclabError(f"cannot read it: {err}") from err
    first, _, body = content.partition("\n")
    title, description = _header(first)
    parse(content)  # the whole file, so an error names the file's own line numbers
    models, notes, text = _split_body(body)
    return Example(path.name.removesuffix(SUFFIX), title, description, text, models, notes)


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
