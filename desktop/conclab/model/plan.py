"""The plan: a list of task groups, each a list of steps. Frozen dataclasses; durations in whole µs.

Two group options shape how a group's tasks may run, whatever the model (the engines and the generated
code implement exactly this):

`limit N` — at most N of the group's tasks *hold a slot* at once. A task takes its group's slot when it
is due (its start offset has passed) and keeps it until it ends, however it ends (done, failed, timed out,
cancelled). Tasks wait for a slot in task order (FIFO); the wait is recorded as `queued` (cause: the
group's limit), like a wait for a free worker. The limit comes on top of the model's worker count: a task
needs a slot *and* a worker. Idioms: `asyncio.Semaphore(N)` around the task's steps; for threads and
processes the engine hands the pool at most N of the group's tasks at a time (a waiting task must not sit
on a worker), while generated scripts use a semaphore held inside the task. Sequential runs one task at a
time, so a limit changes nothing there.

`timeout DUR` — each task of the group has a deadline of DUR after it is *due* (its start offset), so the
time spent waiting for a slot or a worker counts, as it does for `asyncio.wait_for(...)` around a
task or `future.result(timeout=...)` on a submitted one. A task not finished by its deadline *times out*:
its outcome is `failed` with the error "timed out after DUR", decided at the deadline (a later end of the
same task does not change it). What happens to its work depends on the model, and showing that is the
point:

- asyncio: the task's coroutine is cancelled at the deadline — `CancelledError` is raised at the `await`
  it is suspended in, so a sleep or a network wait stops at once. A step that holds the loop (`block`,
  `cpu` or `hash` on the loop) cannot be interrupted: the cancellation lands at the next `await` after it
  returns. An offloaded step (`in thread` / `in process`) keeps running in its worker to its end; only the
  coroutine awaiting it stops.
- threads and processes: a task that has not started by its deadline never starts (its future is
  cancelled). A task already running cannot be stopped: the caller stops waiting for it at the deadline,
  but its worker runs the task's remaining steps to the end, recorded as usual, so the run's wall time
  includes the abandoned work.
- sequential: a task whose deadline passed before its turn never starts; a running task is not
  interrupted (it times out if it ends after its deadline).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from conclab.model.errors import PlanError

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
MAX_GROUPS = 10_000
MAX_STEPS_PER_GROUP = 1000
MAX_OFFSET_US = 3_600_000_000  # `after`, `every` and `timeout`
MAX_NAME_LEN = 64


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
    """`count` identical tasks sharing a name, a start offset (`after`), a spacing (`every`), a limit on
    how many run at once (`limit`, 0: none) and a deadline after each task is due (`timeout_us`, 0: none)."""

    steps: tuple[Step, ...]
    count: int = 1
    name: str | None = None
    after_us: int = 0
    every_us: int = 0
    limit: int = 0
    timeout_us: int = 0

    @property
    def length_us(self) -> int:
        """One task's planned length: the sum of its steps."""
        return sum(s.duration_us for s in self.steps)


@dataclass(frozen=True)
class TaskSpec:
    """One concrete task of a plan: groups expanded, start offset resolved.

    `group` is the index of the group it came from: tasks with the same `group` share its `limit` slots
    (0: no limit). `timeout_s` is the group's timeout (None: none); the task's deadline is `deadline_s`,
    in seconds from the run's start. See the module docstring for what the engines do with both.
    """

    id: int
    name: str
    start_s: float
    steps: tuple[Step, ...]
    group: int = 0
    limit: int = 0
    timeout_s: float | None = None

    @property
    def duration_s(self) -> float:
        return sum(s.duration_us for s in self.steps) / 1e6

    @property
    def deadline_s(self) -> float | None:
        """When the task times out, from the run's start (None: it has no timeout)."""
        return None if self.timeout_s is None else self.start_s + self.timeout_s


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
            timeout = g.timeout_us / 1e6 if g.timeout_us else None
            for i in range(g.count):
                name = f"{base} {i + 1}" if g.count > 1 else base
                start = (g.after_us + i * g.every_us) / 1e6
                out.append(TaskSpec(len(out), name, start, g.steps, gi, g.limit, timeout))
        return out

    def kinds(self) -> set[str]:
        return {s.kind for g in self.groups for s in g.steps}

    def offloads(self) -> set[str]:
        return {s.offload for g in self.groups for s in g.steps if s.offload}

    @property
    def has_limits(self) -> bool:
        return any(g.limit for g in self.groups)

    @property
    def has_timeouts(self) -> bool:
        return any(g.timeout_us for g in self.groups)

    @property
    def serial_s(self) -> float:
        """Sum of all step durations: what running every task one after another would take."""
        return sum(g.count * g.length_us for g in self.groups) / 1e6

    @property
    def critical_s(self) -> float:
        """The latest finish under perfect overlap: unbounded workers, but each group's `limit` honoured
        and each task ended at its deadline at the latest."""
        return max((_group_finish_us(g) for g in self.groups), default=0) / 1e6


def _group_finish_us(g: Group) -> int:
    """The last finish of a group's tasks with unbounded workers: task i starts when due and, under a
    limit of N, not before task i-N has finished (slots are taken in task order)."""
    finishes: list[int] = []
    for i in range(g.count):
        due = g.after_us + i * g.every_us
        start = due if not g.limit or i < g.limit else max(due, finishes[i - g.limit])
        end = start + g.length_us
        if g.timeout_us:
            end = max(min(end, due + g.timeout_us), due)
        finishes.append(end)
    return max(finishes, default=0)


def group_problem(g: Group, valid_name: bool = True) -> str | None:
    """What makes a group impossible to write as text (None: nothing); `valid_name` is the caller's
    check of the name's spelling."""
    if g.name is not None and not valid_name:
        return f"the name '{g.name[:24]}' is not a valid name (letters, digits, '_', '-', '.')"
    if not isinstance(g.count, int) or g.count < 1:
        return f"the count {g.count!r} must be a whole number of at least 1"
    if not g.steps:
        return "a group needs at least one step"
    if g.after_us < 0 or g.every_us < 0:
        return "'after' and 'every' cannot be negative"
    if not isinstance(g.limit, int) or g.limit < 0:
        return f"the limit {g.limit!r} must be a whole number of at least 1 (or 0 for none)"
    if not isinstance(g.timeout_us, int) or g.timeout_us < 0:
        return f"the timeout {g.timeout_us!r} must be a whole number of microseconds > 0 (or 0 for none)"
    for s in g.steps:
        if s.kind not in KINDS:
            return f"unknown step kind {s.kind!r}"
        if s.offload is not None and s.offload not in OFFLOADS:
            return f"unknown offload {s.offload!r}"
        if not isinstance(s.duration_us, int) or s.duration_us <= 0:
            return f"the step duration {s.duration_us!r} must be a whole number of microseconds > 0"
    return None


def limit_problem(plan: Plan) -> str | None:
    """Which of the text form's limits the plan breaks (None: none)."""
    if not plan.groups:
        return "the plan has no tasks"
    if len(plan.groups) > MAX_GROUPS:
        return f"too many groups — a plan has at most {MAX_GROUPS}"
    if plan.task_count > MAX_TASKS:
        return f"too many tasks — a plan has at most {MAX_TASKS}"
    for g in plan.groups:
        if len(g.steps) > MAX_STEPS_PER_GROUP:
            return f"too many steps — a group has at most {MAX_STEPS_PER_GROUP}"
        if max(g.after_us, g.every_us, g.timeout_us) > MAX_OFFSET_US:
            return "'after', 'every' and 'timeout' are at most 3600s"
        if g.limit > MAX_TASKS:
            return f"a limit is at most {MAX_TASKS}"
        if any(s.duration_us > MAX_STEP_US for s in g.steps):
            return "a step lasts at most 60s"
    return None


def check_group(g: Group, valid_name: bool = True) -> None:
    """Raise PlanError when a group has no text form."""
    problem = group_problem(g, valid_name)
    if problem:
        raise PlanError(problem)
