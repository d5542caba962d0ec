"""Which line of the generated script ("Show as code") each step of a plan is, for the inside view.

The script is read back with `ast`, not re-derived from the generator's internals: the task functions
are the last top-level functions before `main`, one per group in the plan's order; inside each, the
statements that are steps are the plain expression statements in order (through `with`, `async with`
and `try` blocks), after the `after`/`every` wait a timed task begins with. A task that has not reached
its first step (queued, or waiting for its first turn) is on its limit's `with` line when its group has
a limit, else on its function's `def` line.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field

from conclab.model.codegen import generate
from conclab.model.plan import Plan


@dataclass(frozen=True)
class CodeLines:
    """The script and, per group of the plan, the 1-based line of each of its steps and of its start.

    A group whose function could not be matched to its steps has no entry: nothing is highlighted
    rather than the wrong line.
    """

    script: str
    steps: dict[int, tuple[int, ...]] = field(default_factory=dict)
    starts: dict[int, int] = field(default_factory=dict)

    def line_of(self, group: int, step: int) -> int | None:
        """The line a task of `group` is on at `step` (-1: before its first step); None when unknown."""
        if step < 0:
            return self.starts.get(group)
        lines = self.steps.get(group, ())
        return lines[step] if step < len(lines) else None


def code_lines(plan: Plan, model: str, workers: int | None = None) -> CodeLines:
    """The generated script for `plan` under `model` and where each step is in it."""
    return step_lines(generate(plan, model, workers), plan)


def step_lines(script: str, plan: Plan) -> CodeLines:
    """Where each group's steps are in a script generated for `plan`."""
    try:
        tree = ast.parse(script)
    except SyntaxError:
        return CodeLines(script)
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    names = [f.name for f in functions]
    end = names.index("main") if "main" in names else len(functions)
    tasks = functions[:end][-len(plan.groups):] if plan.groups else []
    if len(tasks) != len(plan.groups):
        return CodeLines(script)
    steps: dict[int, tuple[int, ...]] = {}
    starts: dict[int, int] = {}
    for index, (group, func) in enumerate(zip(plan.groups, tasks, strict=True)):
        body = list(func.body)
        if func.args.args and body and _is_wait_to_start(body[0]):
            body = body[1:]
        found = list(_step_statements(body, None))
        if len(found) != len(group.steps):
            continue
        steps[index] = tuple(stmt.lineno for stmt, _ in found)
        limit_line = found[0][1] if found and group.limit else None
        starts[index] = limit_line or func.lineno
    return CodeLines(script, steps, starts)


def _is_wait_to_start(stmt: ast.stmt) -> bool:
    """The `after`/`every` wait a timed task begins with: a sleep until `start_at`."""
    return isinstance(stmt, ast.Expr) and "start_at" in {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)}


def _step_statements(body: list[ast.stmt], limit: int | None) -> Iterator[tuple[ast.stmt, int | None]]:
    """The step statements of a task function's body, each with the line of the limit it runs under."""
    for stmt in body:
        if isinstance(stmt, ast.Expr):
            yield stmt, limit
        elif isinstance(stmt, ast.With | ast.AsyncWith):
            # A semaphore is a plain name or CONFIG[...]; a timeout is a call (asyncio.timeout(...)).
            held = any(not isinstance(item.context_expr, ast.Call) for item in stmt.items)
            yield from _step_statements(stmt.body, stmt.lineno if held else limit)
        elif isinstance(stmt, ast.Try):
            yield from _step_statements(stmt.body, limit)
