"""The house rules, checked on the source: floors import only the floors below them, no import cycles
(function-local and TYPE_CHECKING imports included), small modules and functions, docstrings."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "desktop" / "conclab"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
# What each part may import (besides itself and the standard library / third-party packages).
FLOORS: dict[str, set[str]] = {
    "model": set(),
    "engines": {"model"},
    "ui": {"model", "engines"},
    "cli": {"model", "engines", "ui"},
    "root": {"model", "engines", "ui", "cli"},
}
QT = ("PySide6", "qasync", "pyqtgraph")


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        yield ".".join(parts), path


MODULES = dict(_modules())


def _part(module: str) -> str:
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 2 or (len(pieces) == 2 and pieces[1] in FLOORS) else "root"


def _imports(module: str, path: Path) -> set[str]:
    """Every module this one imports, anywhere in the file (functions and TYPE_CHECKING blocks too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _internal(names: set[str]) -> set[str]:
    return {n for n in names if n in MODULES}


GRAPH = {m: _internal(_imports(m, p)) - {m} for m, p in MODULES.items()}


def test_floors_import_only_the_floors_below() -> None:
    wrong = []
    for module, deps in GRAPH.items():
        part = _part(module)
        allowed = FLOORS[part] | {part}
        for dep in deps:
            dep_part = _part(dep)
            if dep != "conclab" and dep_part not in allowed:
                wrong.append(f"{module} ({part}) imports {dep} ({dep_part})")
    assert not wrong, "\n".join(sorted(wrong))


def test_model_and_engines_never_import_qt() -> None:
    wrong = [f"{m} imports {name}" for m, p in MODULES.items() if _part(m) in ("model", "engines")
             for name in _imports(m, p) if name.split(".")[0] in QT]
    assert not wrong, "\n".join(wrong)


def test_no_import_cycles() -> None:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in GRAPH:
        if module not in index:
            visit(module)
    # A package's __init__ importing its own submodules is not a cycle a reader has to untangle.
    real = [c for c in cycles if not all(m.startswith(c[0] + ".") or m == c[0] for m in c)]
    assert not real, "import cycles:\n" + "\n".join(" ↔ ".join(c) for c in real)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_modules_and_functions_are_small_and_documented(module: str) -> None:
    path = MODULES[module]
    text = path.read_text(encoding="utf-8")
    lines = text.count("\n")
    assert lines <= MAX_MODULE_LINES, f"{module} has {lines} lines (at most {MAX_MODULE_LINES}): split it by job"
    tree = ast.parse(text)
    assert ast.get_docstring(tree), f"{module} has no module docstring"
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            assert length <= MAX_FUNCTION_LINES, f"{module}.{node.name} has {length} lines"
        if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            assert ast.get_docstring(node), f"{module}.{node.name} has no docstring"
