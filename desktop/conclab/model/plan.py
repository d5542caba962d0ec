"""The plan: a list of task groups, each a list of steps. Frozen dataclasses; durations in whole µs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

StepKind = Literal["sleep", "block", "net", "cpu", "hash"]
Offload = Literal["thread", "process"]

KINDS: tuple[StepKind, ...] = ("sleep", "block", "net", "cpu", "hash")
OFFLOADS: tuple[Offload, ...] = ("thread", "process")

KIND_HELP: dict[str, str] = {
    "sleep": "Pure waiting: await asyncio.sleep / time.sleep. Needs no CPU.",
    "block": "A blocking wait (time.sleep) even inside a coroutine: freezes the event loop.",
    "net": "A real TCP round trip to a loopback server that answers after the given delay.",
    "cpu": "Pure-Python work that holds the GIL, calibrated to take this long alone.",
    "hash": "Hashing in C code (hashlib) that releases the GIL, calibrated to take this long alone.",
}

MAX_TASKS = 100_000
MAX_STEP_US = 60_000_000
MAX_TEXT_BYTES = 64 * 1024


@dataclass(frozen=True)
class Step:
    """One step of a task: a kind, a duration, and (under asyncio) an optional offload."""

    kind: StepKind
    duration_us: int
    offload: Offload | None = None

    @property
    def duration_s(self) -> float:
        return self.duration_us / 1e6


@dataclass(frozen=True)
class Group:
    """`count` identical tasks sharing a name, a start offset (`after`) and a spacing (`every`)."""

    steps: tuple[Step, ...]
    count: int = 1
    name: str | None = None
    after_us: int = 0
    every_us: int = 0


@dataclass(frozen=True)
class TaskSpec:
    """One concrete task of a plan: groups expanded, start offset resolved."""

    id: int
    name: str
    start_s: float
    steps: tuple[Step, ...]

    @property
    def duration_s(self) -> float:
        return sum(s.duration_us for s in self.steps) / 1e6


@dataclass(frozen=True)
class Plan:
    """An ordered collection of task groups."""

    groups: tuple[Group, ...]

    @property
    def task_count(self) -> int:
        return sum(g.count for g in self.groups)

    def tasks(self) -> list[TaskSpec]:
        """Expand the groups into concrete tasks, ids 0..N-1 in plan order."""
        out: list[TaskSpec] = []
        for gi, g in enumerate(self.groups):
            base = g.name or f"task{gi + 1}"
            for i in range(g.count):
                name = f"{base} {i + 1}" if g.count > 1 else base
                start = (g.after_us + i * g.every_us) / 1e6
                out.append(TaskSpec(len(out), name, start, g.steps))
        return out

    def kinds(self) -> set[str]:
        return {s.kind for g in self.groups for s in g.steps}

    def offloads(self) -> set[str]:
        return {s.offload for g in self.groups for s in g.steps if s.offload}

    @property
    def serial_s(self) -> float:
        """Sum of all step durations: what running every task one after another would take."""
        return sum(g.count * sum(s.duration_us for s in g.steps) for g in self.groups) / 1e6

    @property
    def critical_s(self) -> float:
        """The latest finish under perfect overlap: start offset plus length of the longest task."""
        best = 0
        for g in self.groups:
            length = sum(s.duration_us for s in g.steps)
            best = max(best, g.after_us + (g.count - 1) * g.every_us + length)
        return best / 1e6
