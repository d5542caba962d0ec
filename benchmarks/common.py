"""Shared pieces of the benchmarks: paired interleaved timing, medians, noise bands, rows and the table.

Every comparison is measured side by side in one process run: the two sides alternate (A B, B A, A B…)
so that slow drift on a shared machine lands on both, and each repetition gives one ratio. The value
reported is the median of those ratios; its noise band is the robust spread of the ratios
(1.4826 × median absolute deviation, i.e. one standard deviation for normal noise). A target counts as
missed when the value is past it by more than that band.
"""

from __future__ import annotations

import statistics
import sys
from collections.abc import Callable, Sequence
from typing import Any

Row = dict[str, Any]

MAD_TO_SD = 1.4826


def median(values: Sequence[float]) -> float:
    """The median of a non-empty sequence."""
    if not values:
        raise ValueError("median of no values")
    return float(statistics.median(values))


def noise(values: Sequence[float]) -> float:
    """Robust spread of repeated measurements: 1.4826 × the median absolute deviation (0 for one value)."""
    if len(values) < 2:
        return 0.0
    mid = median(values)
    return MAD_TO_SD * median([abs(v - mid) for v in values])


def interleaved(
    side_a: Callable[[], float], side_b: Callable[[], float], reps: int,
) -> tuple[list[float], list[float]]:
    """Run both sides `reps` times, alternating which goes first; returns both lists of measurements."""
    a: list[float] = []
    b: list[float] = []
    for i in range(reps):
        if i % 2 == 0:
            a.append(side_a())
            b.append(side_b())
        else:
            b.append(side_b())
            a.append(side_a())
    return a, b


def ratios(num: Sequence[float], den: Sequence[float]) -> list[float]:
    """Per-repetition ratios num[i] / den[i] (pairs measured next to each other)."""
    if len(num) != len(den) or not num:
        raise ValueError("ratios need two equally long, non-empty lists")
    return [n / d if d > 0 else float("inf") for n, d in zip(num, den, strict=True)]


def row(
    name: str, value: float | None, target: float | None, unit: str, band: float = 0.0, note: str = "",
) -> Row:
    """One result. `target` is an upper bound (None: reported only); `value` None means not measured."""
    ok = value is None or target is None or value <= target
    out: Row = {"name": name, "value": value, "target": target, "unit": unit, "ok": ok, "noise": band}
    if note:
        out["note"] = note
    return out


def ratio_row(name: str, num: Sequence[float], den: Sequence[float], target: float | None,
              note: str = "") -> Row:
    """A row for the median per-pair ratio of two interleaved series."""
    rs = ratios(num, den)
    return row(name, median(rs), target, "x", noise(rs), note)


def missed(r: Row) -> bool:
    """True when a row's value is past its target by more than its noise band."""
    value, target = r.get("value"), r.get("target")
    if value is None or target is None:
        return False
    return bool(value > target + float(r.get("noise") or 0.0))


def _num(x: Any, unit: str) -> str:
    if x is None:
        return "-"
    if unit == "x":
        return f"{x:.3f}x"
    if abs(x) >= 100:
        return f"{x:,.0f} {unit}"
    return f"{x:.3g} {unit}".rstrip()


def verdict(r: Row) -> str:
    if r.get("value") is None:
        return "n/a"
    if r.get("target") is None:
        return "report"
    if r.get("ok"):
        return "ok"
    return "MISS" if missed(r) else "miss~"


def format_table(rows: Sequence[Row]) -> str:
    """The one results table: name, measured, target, verdict, noise band (and a note when given)."""
    head = ("benchmark", "measured", "target", "", "noise ±")
    body = []
    for r in rows:
        unit = str(r.get("unit", ""))
        target = r.get("target")
        body.append((
            str(r.get("name", "?")), _num(r.get("value"), unit),
            "-" if target is None else "≤ " + _num(target, unit),
            verdict(r), _num(r.get("noise"), unit) if r.get("value") is not None else "-",
        ))
    widths = [max(len(x[i]) for x in [head, *body]) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(head, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for r, cells in zip(rows, body, strict=True):
        line = "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()
        if r.get("note"):
            line += f"   # {r['note']}"
        lines.append(line)
    return "\n".join(lines)


def exit_code(rows: Sequence[Row]) -> int:
    """1 when any target is missed by more than its noise band, else 0."""
    return 1 if any(missed(r) for r in rows) else 0


def report(rows: Sequence[Row], title: str = "") -> int:
    """Print the table (and a legend line) and return the process exit code."""
    if title:
        print(title)
    print(format_table(rows))
    print("ok: within target · miss~: past target but within noise · MISS: past target beyond noise "
          "· report: no target")
    sys.stdout.flush()
    return exit_code(rows)
