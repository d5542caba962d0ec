"""`python -m benchmarks [NAME ...]`: run every benchmark (or the named ones) and print one table.

Exit status: 0 when every target is met or missed by no more than its noise band; 1 when a target is
missed by more than that; 2 when a benchmark could not run at all. A benchmark module that does not
exist yet (the drawing benchmark is optional) is listed as not available and fails nothing.
"""

from __future__ import annotations

import gc
import importlib
import sys
from collections.abc import Sequence
from time import perf_counter

from benchmarks.common import Row, report, row

# Qt-loading benchmarks go last, so the process pools of the others are spawned from a Qt-free parent.
MODULES: tuple[str, ...] = (
    "bench_runner", "bench_observer", "bench_scale", "bench_runfile", "bench_startup", "bench_draw",
    "bench_live", "bench_qt_loop", "bench_lab", "bench_inside",
)
OPTIONAL: frozenset[str] = frozenset({"bench_draw"})


def run_module(name: str) -> tuple[list[Row], bool]:
    """Rows of one benchmark module, and whether it ran (False: it raised)."""
    try:
        module = importlib.import_module(f"benchmarks.{name}")
    except ModuleNotFoundError as exc:
        if name in OPTIONAL and exc.name == f"benchmarks.{name}":
            return [row(name, None, None, "", note="not available: module not present")], True
        return [row(name, None, None, "", note=f"failed to import: {exc}")], False
    try:
        rows: list[Row] = list(module.run())
    except Exception as exc:
        return [row(name, None, None, "", note=f"failed: {type(exc).__name__}: {exc}")], False
    return rows, True


def main(argv: Sequence[str]) -> int:
    names = list(argv) or list(MODULES)
    unknown = [n for n in names if n not in MODULES]
    if unknown:
        print(f"unknown benchmark {unknown[0]!r}; choose from: {', '.join(MODULES)}", file=sys.stderr)
        return 2
    rows: list[Row] = []
    broken = False
    t0 = perf_counter()
    for name in names:
        print(f"running {name} …", file=sys.stderr, flush=True)
        started = perf_counter()
        module_rows, ran = run_module(name)
        broken |= not ran
        rows.extend(module_rows)
        gc.collect()
        print(f"  {name} took {perf_counter() - started:.0f}s", file=sys.stderr, flush=True)
    code = report(rows, f"conclab benchmarks ({perf_counter() - t0:.0f}s)")
    return 2 if broken else code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
