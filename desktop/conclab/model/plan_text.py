"""The plan's text form: `parse` turns text into a Plan, `format_plan` writes the canonical text back.

Grammar::

    plan  = group { (";" | newline) group }            # "#" starts a comment to end of line
    group = [COUNT "x"] [NAME ":"] { "after" DUR | "every" DUR | "limit" COUNT | "timeout" DUR }
            step { "," step }
    step  = KIND DUR ["in" ("thread" | "process")]
    KIND  = sleep | block | net | cpu | hash
    DUR   = NUMBER ("us" | "ms" | "s")

Example: ``3x fetch: net 200ms, cpu 20ms, net 100ms; 2x crunch: cpu 300ms; logger: block 150ms``
With options: ``1000x req: limit 10 timeout 2s net 200ms`` (what they mean: `conclab.model.plan`).

Details of the rules:

- Whitespace (spaces, tabs) is free between tokens: ``3x``, ``3 x``, ``200ms`` and ``200 ms`` all work.
  A newline ends a group, except right after a ``,``, where the group's steps continue on the next line.
  Empty groups (blank lines, ``;;``, comment-only lines) are skipped.
- ``after``, ``every``, ``limit`` and ``timeout`` may come in any order, each at most once; the canonical
  text writes them in that order. ``limit`` takes a whole number of at least 1 (at most MAX_TASKS).
- NAME: a letter or ``_`` followed by letters, digits, ``_``, ``-`` or ``.``; at most MAX_NAME_LEN
  characters. A name is always followed by ``:``, and a word followed by ``:`` is always a name, so a
  name may even be spelled like a keyword (``sleep: sleep 1s``) without ambiguity.
- NUMBER: digits with an optional decimal point (``200``, ``1.5``, ``.5``); no exponents. Durations are
  rounded to whole microseconds, halves away from zero; a duration that rounds to 0 is an error.
- Keywords, kinds and units are lower case; other spellings get a "did you mean" hint.
- Outside comments only printable ASCII is allowed; comments may hold any printable character.
- Limits: the text is at most MAX_TEXT_BYTES (checked first), at most MAX_TASKS tasks in all,
  MAX_GROUPS groups, MAX_STEPS_PER_GROUP steps per group, a step at most MAX_STEP_US, ``after``,
  ``every`` and ``timeout`` at most MAX_OFFSET_US.

Every problem raises PlanError with the 1-based line and column of the offending token.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from conclab.model.errors import PlanError
from conclab.model.plan import (
    KINDS,
    MAX_GROUPS,
    MAX_NAME_LEN,
    MAX_OFFSET_US,
    MAX_STEP_US,
    MAX_STEPS_PER_GROUP,
    MAX_TASKS,
    MAX_TEXT_BYTES,
    OFFLOADS,
    Group,
    Offload,
    Plan,
    Step,
    StepKind,
    check_group,
    limit_problem,
)

__all__ = ["MAX_GROUPS", "MAX_NAME_LEN", "MAX_OFFSET_US", "MAX_STEPS_PER_GROUP", "UNITS", "format_duration",
           "format_group", "format_plan", "is_valid_name", "parse", "validate_plan"]

UNITS: dict[str, int] = {"us": 1, "ms": 1000, "s": 1_000_000}
OPTIONS = ("after", "every", "limit", "timeout")
KEYWORDS = (*OPTIONS, "in")

_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*\Z")
_INT_RE = re.compile(r"[0-9]+\Z")
_DEC_RE = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\Z")
_TOKEN_RE = re.compile(
    r"(?P<ws>[ \t]+)"
    r"|(?P<comment>\#[^\n]*)"
    r"|(?P<nl>\n)"
    r"|(?P<num>(?:[0-9]|\.[0-9])[0-9.]*(?:[eE][+-]?[0-9]+)?)"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_.\-]*)"
    r"|(?P<punct>[;,:])"
)
_SHOWN_CHARS = 24


def is_valid_name(name: str) -> bool:
    """True if `name` can be written as a group name and parsed back unchanged."""
    return len(name) <= MAX_NAME_LEN and _NAME_RE.match(name) is not None


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # num, word, punct, nl, eof
    text: str
    line: int
    col: int


def _show(text: str) -> str:
    """A token quoted for a message, shortened so huge inputs make short messages."""
    if len(text) > _SHOWN_CHARS:
        text = text[: _SHOWN_CHARS - 1] + "…"
    return f"'{text}'"


def _hint(word: str, candidates: Iterable[str]) -> str:
    match = difflib.get_close_matches(word.lower(), list(candidates), n=1, cutoff=0.6)
    return f" — did you mean '{match[0]}'?" if match else ""


def _bad_char(ch: str, line: int, col: int) -> PlanError:
    if ch.isprintable() and ord(ch) >= 0x80:
        why = f"unexpected character '{ch}' (U+{ord(ch):04X}) — plans are written in plain ASCII"
    elif ch.isprintable():
        why = f"unexpected character '{ch}'"
    else:
        why = f"unexpected control character U+{ord(ch):04X}"
    return PlanError(why, line, col)


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos, line, line_start = 0, 1, 0
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if m is None:
            raise _bad_char(text[pos], line, pos - line_start + 1)
        kind = m.lastgroup or ""
        col = pos - line_start + 1
        if kind == "comment":
            for i, ch in enumerate(m.group()):
                if not ch.isprintable() and ch != "\t":
                    raise _bad_char(ch, line, col + i)
        elif kind == "nl":
            tokens.append(_Token("nl", "\n", line, col))
            line, line_start = line + 1, m.end()
        elif kind != "ws":
            tokens.append(_Token(kind, m.group(), line, col))
        pos = m.end()
    tokens.append(_Token("eof", "", line, pos - line_start + 1))
    return tokens


def format_duration(us: int) -> str:
    """The shortest exact spelling of a duration in whole µs, as the text form writes it: 1s, 200ms, 1500us."""
    if us % 1_000_000 == 0:
        return f"{us // 1_000_000}s"
    if us % 1000 == 0:
        return f"{us // 1000}ms"
    return f"{us}us"


class _Parser:
    """Recursive descent over the token list; one instance per `parse` call."""

    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.i = 0
        self.total_tasks = 0

    def peek(self, ahead: int = 0) -> _Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def take(self) -> _Token:
        tok = self.peek()
        self.i = min(self.i + 1, len(self.tokens) - 1)
        return tok

    def fail(self, message: str, tok: _Token) -> PlanError:
        return PlanError(message, tok.line, tok.col)

    def plan(self) -> Plan:
        groups: list[Group] = []
        while True:
            while self.peek().kind == "nl" or self.peek().text == ";":
                self.take()
            tok = self.peek()
            if tok.kind == "eof":
                break
            if len(groups) >= MAX_GROUPS:
                raise self.fail(f"too many groups — a plan has at most {MAX_GROUPS}", tok)
            groups.append(self.group())
            end = self.peek()
            if end.kind not in ("nl", "eof") and end.text != ";":
                raise self.junk(end)
        if not groups:
            raise PlanError("the plan has no tasks")
        return Plan(tuple(groups))

    def group(self) -> Group:
        count = self.count()
        name: str | None = None
        tok = self.peek()
        if tok.kind == "word" and self.peek(1).text == ":":
            if len(tok.text) > MAX_NAME_LEN:
                limit = f"at most {MAX_NAME_LEN} characters"
                raise self.fail(f"the name {_show(tok.text)} is too long — {limit}", tok)
            name = self.take().text
            self.take()
        options = self.options()
        steps = [self.step()]
        while self.peek().text == ",":
            self.take()
            while self.peek().kind == "nl":
                self.take()
            if len(steps) >= MAX_STEPS_PER_GROUP:
                raise self.fail(f"too many steps — a group has at most {MAX_STEPS_PER_GROUP}", self.peek())
            steps.append(self.step())
        return Group(tuple(steps), count, name, options["after"], options["every"], options["limit"],
                     options["timeout"])

    def options(self) -> dict[str, int]:
        """`after`, `every`, `limit` and `timeout`, in any order, each at most once (absent: 0)."""
        given = dict.fromkeys(OPTIONS, 0)
        seen: set[str] = set()
        while self.peek().kind == "word" and self.peek().text in given:
            word = self.take()
            if word.text in seen:
                raise self.fail(f"'{word.text}' is given twice in this group", word)
            seen.add(word.text)
            if word.text == "limit":
                given["limit"] = self.limit(word)
            else:
                given[word.text] = self.duration(word, MAX_OFFSET_US, f"'{word.text}' is")
        return given

    def limit(self, word: _Token) -> int:
        num = self.peek()
        if num.kind != "num":
            raise self.fail("missing number after 'limit' (as in 'limit 10')", num)
        self.take()
        if not _INT_RE.match(num.text):
            raise self.fail(f"the limit {_show(num.text)} must be a whole number", num)
        digits = num.text.lstrip("0")
        if not digits:
            raise self.fail("the limit must be at least 1", num)
        if len(digits) > 9 or int(digits) > MAX_TASKS:
            raise self.fail(f"the limit is at most {MAX_TASKS}; {_show(num.text)} is too many", num)
        if self.peek().kind == "word" and self.peek().text in UNITS:
            raise self.fail("a limit is a number of tasks, not a duration (as in 'limit 10')", self.peek())
        return int(digits)

    def count(self) -> int:
        tok = self.peek()
        count = 1
        if tok.kind == "num":
            self.take()
            if not _INT_RE.match(tok.text):
                raise self.fail(f"the count {_show(tok.text)} must be a whole number", tok)
            digits = tok.text.lstrip("0")
            count = int(digits or "0") if len(digits) <= 9 else MAX_TASKS + 1
            if count < 1:
                raise self.fail("the count must be at least 1", tok)
            x = self.peek()
            if x.kind != "word" or x.text != "x":
                raise self.fail(f"expected 'x' after the count {_show(tok.text)} (as in '3x')", x)
            self.take()
        self.total_tasks += count
        if self.total_tasks > MAX_TASKS:
            raise self.fail(f"too many tasks — a plan has at most {MAX_TASKS}", tok)
        return count

    def step(self) -> Step:
        tok = self.peek()
        if tok.kind != "word" or tok.text not in KINDS:
            raise self.not_a_step(tok)
        self.take()
        kind: StepKind = _kind(tok.text)
        duration = self.duration(tok, MAX_STEP_US, "a step lasts")
        offload: Offload | None = None
        if self.peek().text == "in":
            self.take()
            where = self.peek()
            if where.kind != "word" or where.text not in OFFLOADS:
                found = "nothing" if where.kind in ("nl", "eof") else _show(where.text)
                hint = _hint(where.text, OFFLOADS) if where.kind == "word" else ""
                raise self.fail(f"expected 'thread' or 'process' after 'in', found {found}{hint}", where)
            self.take()
            offload = _offload(where.text)
        return Step(kind, duration, offload)

    def not_a_step(self, tok: _Token) -> PlanError:
        kinds = ", ".join(KINDS)
        if tok.kind == "word" and self.peek(1).text == ":":
            return self.fail(f"the name {_show(tok.text)} must come first in its group", tok)
        if tok.kind == "word":
            hint = _hint(tok.text, (*KINDS, *OPTIONS))
            if hint:
                what = "step kind" if hint.split("'")[1] in KINDS else "word"
                return self.fail(f"unknown {what} {_show(tok.text)}{hint}", tok)
            return self.fail(f"unknown step kind {_show(tok.text)} — expected one of {kinds}", tok)
        found = "the end of the line" if tok.kind in ("nl", "eof") else _show(tok.text)
        return self.fail(f"expected a step ({kinds}) but found {found}", tok)

    def junk(self, tok: _Token) -> PlanError:
        where = "expected ',', ';' or a new line"
        if tok.kind == "word" and tok.text in KINDS:
            return self.fail(f"missing ',' before the step {_show(tok.text)}", tok)
        if tok.kind == "word" and tok.text in OPTIONS:
            return self.fail(f"'{tok.text}' goes before the steps of a group", tok)
        hint = _hint(tok.text, KEYWORDS) if tok.kind == "word" and tok.text not in KEYWORDS else ""
        if hint:
            return self.fail(f"unexpected {_show(tok.text)} after the step{hint}", tok)
        return self.fail(f"unexpected {_show(tok.text)} after the step — {where}", tok)

    def duration(self, after: _Token, limit_us: int, what: str) -> int:
        num = self.peek()
        if num.kind != "num":
            raise self.fail(f"missing duration after '{after.text}' (as in '{after.text} 100ms')", num)
        self.take()
        if not _DEC_RE.match(num.text):
            how = "write digits with an optional point, like 1.5"
            raise self.fail(f"bad number {_show(num.text)} — {how}", num)
        unit = self.peek()
        if unit.kind != "word":
            raise self.fail(f"missing unit after {_show(num.text)} — use us, ms or s", unit)
        if unit.text not in UNITS:
            hint = _hint(unit.text, UNITS) or " — use us, ms or s"
            raise self.fail(f"unknown unit {_show(unit.text)}{hint}", unit)
        self.take()
        shown = _show(num.text + unit.text)
        whole = num.text.split(".")[0].lstrip("0")
        if len(whole) > 12:
            raise self.fail(f"{what} at most {format_duration(limit_us)}; {shown} is too long", num)
        us = int((Decimal(num.text) * UNITS[unit.text]).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        if us > limit_us:
            raise self.fail(f"{what} at most {format_duration(limit_us)}; {shown} is too long", num)
        if us <= 0:
            raise self.fail(f"the duration {shown} must be > 0 (durations are whole microseconds)", num)
        return us


def _kind(text: str) -> StepKind:
    for k in KINDS:
        if k == text:
            return k
    raise ValueError(text)


def _offload(text: str) -> Offload:
    for o in OFFLOADS:
        if o == text:
            return o
    raise ValueError(text)


def parse(text: str) -> Plan:
    """Parse plan text into a Plan; any problem raises PlanError naming its line and column."""
    if len(text) > MAX_TEXT_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_TEXT_BYTES:
        raise PlanError(f"the plan text is too long — at most {MAX_TEXT_BYTES // 1024} KiB")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _Parser(_tokenize(text)).plan()


def validate_plan(plan: Plan) -> None:
    """Raise PlanError if `plan` could not have come from `parse` (bad values or broken limits)."""
    for g in plan.groups:
        check_group(g, g.name is None or is_valid_name(g.name))
    problem = limit_problem(plan)
    if problem:
        raise PlanError(problem)


def _format_step(step: Step) -> str:
    where = f" in {step.offload}" if step.offload else ""
    return f"{step.kind} {format_duration(step.duration_us)}{where}"


def format_group(group: Group) -> str:
    """The canonical text of one group."""
    check_group(group, group.name is None or is_valid_name(group.name))
    head: list[str] = []
    if group.count > 1:
        head.append(f"{group.count}x")
    if group.name is not None:
        head.append(f"{group.name}:")
    if group.after_us:
        head.append(f"after {format_duration(group.after_us)}")
    if group.every_us:
        head.append(f"every {format_duration(group.every_us)}")
    if group.limit:
        head.append(f"limit {group.limit}")
    if group.timeout_us:
        head.append(f"timeout {format_duration(group.timeout_us)}")
    steps = ", ".join(_format_step(s) for s in group.steps)
    return " ".join([*head, steps])


def format_plan(plan: Plan, *, multiline: bool = False) -> str:
    """The canonical text of a plan: groups joined by "; " (or one per line when `multiline`).

    Raises PlanError for a group that has no text form (an invalid name, no steps, a duration <= 0);
    limits are not checked here (see `validate_plan`). An empty plan gives an empty string.
    """
    return ("\n" if multiline else "; ").join(format_group(g) for g in plan.groups)
