"""What the Inside panel draws at one instant, as plain data: boxes of task chips under the three words.

Every model is told with the same three words — running, ready, waiting (plus queued) — so that
asyncio's "ready for the event loop" and threads' "ready for the GIL" are seen to be the same idea.
Each box says, in the model's own terms, what the word means there: on the event loop, the ready
queue, timers and sockets (asyncio); the cores, who waits for the GIL or a core, who sleeps with the
GIL released (threads); the cores, the workers waiting for one, the queue (processes).

A box shows at most `cap` chips and says how many more there are, so a 10,000-task run stays legible
and cheap to draw. No Qt here: the command line prints the same picture as text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from conclab.model.inside import Entry, Inside, loop_summary
from conclab.model.trace import Cause, State

CAP = 12

RUNNING, READY, WAITING, QUEUED, OFFLOADED = "running", "ready", "waiting", "queued", "offloaded"
WORDS: tuple[str, ...] = (RUNNING, READY, WAITING, QUEUED, OFFLOADED)
# The state whose colour each word is drawn in (ui/palette.py).
WORD_STATE: dict[str, str] = {RUNNING: State.RUNNING, READY: State.READY_WAIT, WAITING: State.IO_WAIT,
                              QUEUED: State.QUEUED, OFFLOADED: ""}


@dataclass(frozen=True)
class Chip:
    """One task in a box: its name and a short note (a timer's due time, the step it runs), its state."""

    task: int
    side: bool  # the work an asyncio task handed to an offload worker (the task itself waits elsewhere)
    name: str
    state: str
    text: str
    detail: str
    step: int
    badge: str = ""  # "GIL": it holds the GIL

    @property
    def key(self) -> tuple[int, bool]:
        return (self.task, self.side)


@dataclass(frozen=True)
class Box:
    """A group of chips under one of the three words; `slots` are places a chip sits in (cores, the loop)."""

    key: str
    word: str
    title: str
    chips: tuple[Chip, ...]
    total: int
    slots: tuple[str, ...] = ()
    empty: str = "nobody"

    @property
    def more(self) -> int:
        """How many tasks are in the box beyond the chips shown."""
        return max(0, self.total - len(self.chips))


@dataclass(frozen=True)
class Counts:
    """Totals that the snapshot's own entries do not hold (a live snapshot indexes only what it shows)."""

    boxes: dict[str, int] = field(default_factory=dict)
    not_started: int = 0
    done: int = 0
    lag_s: float | None = None
    tasks: int = 0


@dataclass(frozen=True)
class Picture:
    """The panel's content at instant `at` of the run called `name`."""

    model: str
    name: str
    at: float
    summary: str
    boxes: tuple[Box, ...]
    footer: str
    tasks: int = 0

    def box(self, key: str) -> Box | None:
        return next((b for b in self.boxes if b.key == key), None)

    def where(self, task: int) -> str | None:
        """The key of the box showing this task's own chip (not its offloaded work), or None."""
        return next((b.key for b in self.boxes for c in b.chips if c.task == task and not c.side), None)

    def names(self, key: str) -> list[str]:
        """The names on the chips of a box, in order ([] when there is no such box)."""
        box = self.box(key)
        return [c.name for c in box.chips] if box is not None else []

    def chips(self) -> Iterable[Chip]:
        for b in self.boxes:
            yield from b.chips


class _Builder:
    """Boxes for one snapshot: caps each box, takes totals from `counts` where given."""

    def __init__(self, inside: Inside, cap: int, counts: Counts | None) -> None:
        self.inside = inside
        self.cap = cap
        self.counts = counts
        self.boxes: list[Box] = []

    def add(self, key: str, word: str, title: str, entries: Sequence[Entry], *, always: bool = True,
            slots: tuple[str, ...] = (), empty: str = "nobody", side: bool = False) -> int:
        total = len(entries)
        if self.counts is not None:
            total = self.counts.boxes.get(key, total)
        if total or always:
            chips = tuple(self.chip(e, side) for e in entries[: self.cap])
            self.boxes.append(Box(key, word, title, chips, max(total, len(chips)), slots, empty))
        return total

    def chip(self, e: Entry, side: bool) -> Chip:
        inside = self.inside
        if e.due is not None and e.state == State.IO_WAIT:
            text = f"due {e.due:.3f} s"
        elif e.state in (State.RUNNING, State.BLOCKING) or side:
            text = e.step_text
        else:
            text = ""
        if side:
            text = f"{text} · {e.lane}" if text else e.lane
        badge = "GIL" if inside.gil_holder is not None and e is inside.gil_holder else ""
        if inside.model == "asyncio" and e is inside.loop and e.state == State.READY_WAIT:
            badge = "off its core"
        return Chip(e.task, side, e.name, e.state, text, e.detail, e.step, badge)


def picture_of(inside: Inside, name: str = "", cap: int = CAP, counts: Counts | None = None) -> Picture:
    """The boxes, summary and footer of one snapshot (`counts` gives totals a live snapshot lacks)."""
    b = _Builder(inside, max(1, cap), counts)
    summary = {"asyncio": _asyncio, "processes": _processes}.get(inside.model, _threads)(b)
    tasks = counts.tasks if counts is not None else inside.tasks_total
    return Picture(inside.model, name or inside.model, inside.at, summary, tuple(b.boxes),
                   _footer(inside, counts, tasks), tasks)


def _asyncio(b: _Builder) -> str:
    inside = b.inside
    holder = inside.loop
    on_loop = [*inside.running, *([holder] if holder is not None and holder not in inside.running else [])]
    b.add("loop", RUNNING, "on the event loop: one task at a time", on_loop, slots=("event loop",), empty="free")
    ready = b.add("ready", READY, "the ready queue: waiting for the event loop, served in this order",
                  [e for e in inside.ready if e is not holder], empty="empty")
    listed = {e.task for e in (*inside.timers, *inside.sockets)}
    b.add("timers", WAITING, "on a timer (asyncio.sleep), by due time", inside.timers, empty="none")
    b.add("sockets", WAITING, "on a socket: the request is out, the reply not yet in", inside.sockets, empty="none")
    b.add("awaits", WAITING, "awaiting work offloaded to a thread or a process",
          [e for e in inside.waiting if e.task not in listed], always=False)
    b.add("offloaded", OFFLOADED, "the offloaded work, in an offload worker", inside.offloaded, always=False,
          side=True)
    b.add("queued", QUEUED, "waiting for a free slot (a limit on how many run at once)", inside.queued,
          always=False)
    words = f"The event loop is {loop_summary(inside)}."
    if holder is not None and ready:
        words += f" {ready} ready task{_s(ready)} must wait until it lets go."
    return words


def _threads(b: _Builder) -> str:
    inside = b.inside
    sequential = inside.model == "sequential"
    cores = _cores_first(inside)
    if sequential:
        b.add("cores", RUNNING, "the one worker: one task after another", cores, slots=("worker",), empty="idle")
    else:
        b.add("cores", RUNNING, "on the cores: the GIL lets one thread at a time run Python", cores,
              slots=_core_names(inside.cpus), empty="idle")
    gil = b.add("ready_gil", READY, "ready: waiting for the GIL", inside.ready_for(Cause.GIL), always=not sequential)
    b.add("ready_core", READY, "ready: waiting for a free core", inside.ready_for(Cause.CORE), always=False)
    b.add("ready_either", READY, "ready: waiting for the GIL or a core (not told apart here)",
          inside.ready_for(Cause.GIL_OR_CORE), always=sequential)
    b.add("waiting", WAITING, "sleeping or in I/O: the GIL released", _timers_first(inside), empty="none")
    queued = b.add("queued", QUEUED, "queue: waiting for the one worker" if sequential
                   else "queue: no free worker thread yet", inside.queued, always=sequential, empty="empty")
    holder = inside.gil_holder
    if sequential:
        now = f"running {holder.name}" if holder else (f"running {cores[0].name}" if cores else "idle")
        return f"The one worker is {now}; {queued} task{_s(queued)} wait{_s(queued, 'v')} in the queue."
    if holder is not None:
        others = f"{gil} other thread{_s(gil)} wait{_s(gil, 'v')} for it" if gil else "no other thread waits for it"
        return f"The GIL is held by {holder.name}, running Python; {others}."
    if gil:
        # Someone holds the GIL even when no one is seen running: it is being handed over, or its holder
        # is itself off its core (a busy machine) — the measurement cannot say which.
        return (f"No thread runs Python at this instant, yet {gil} wait{_s(gil, 'v')} for the GIL: it is being "
                "handed over, or its holder is itself waiting for a core.")
    return "The GIL is free: no thread runs Python code now" + (
        "; threads in C code or I/O run without it." if cores else ".")


def _processes(b: _Builder) -> str:
    inside = b.inside
    b.add("cores", RUNNING, "on the cores: each worker process has its own GIL", _cores_first(inside),
          slots=_core_names(inside.cpus), empty="idle")
    ready = b.add("ready_core", READY, "ready: a worker waiting for a free core", inside.ready_for(Cause.CORE),
                  empty="nobody")
    other = [e for e in inside.ready if e.cause != Cause.CORE]
    b.add("ready_other", READY, "ready: waiting (cause not measured)", other, always=False)
    b.add("waiting", WAITING, "sleeping or in I/O", _timers_first(inside), empty="none")
    queued = b.add("queued", QUEUED, "queue: tasks not yet given to a worker process", inside.queued,
                   empty="empty")
    busy = min(len(inside.on_cores), inside.cpus)
    return (f"{busy} of {inside.cpus} core{_s(inside.cpus)} busy, each worker with its own GIL; "
            f"{ready} worker{_s(ready)} wait{_s(ready, 'v')} for a core, {queued} task{_s(queued)} queued.")


def _cores_first(inside: Inside) -> list[Entry]:
    """The running tasks, those measured on a core first (the rest overlap at a hand-over)."""
    on = list(inside.on_cores)
    return on + [e for e in inside.running if e not in on]


def _timers_first(inside: Inside) -> list[Entry]:
    listed = {e.task for e in inside.timers}
    return [*inside.timers, *(e for e in inside.waiting if e.task not in listed)]


def _core_names(cpus: int) -> tuple[str, ...]:
    return tuple(f"core {n}" for n in range(1, max(1, cpus) + 1))


def _s(n: int, form: str = "n") -> str:
    """The plural ending: "s" on a noun when n != 1; on a verb ("wait"/"waits") when n == 1."""
    if form == "v":
        return "s" if n == 1 else ""
    return "" if n == 1 else "s"


def _footer(inside: Inside, counts: Counts | None, tasks: int) -> str:
    lag = counts.lag_s if counts is not None else inside.loop_lag_s
    not_started = counts.not_started if counts is not None else len(inside.not_started)
    done = counts.done if counts is not None else len(inside.done)
    parts = []
    if lag is not None:
        what = "event loop late by" if inside.model == "asyncio" else "main thread's heartbeat late by"
        parts.append(f"{what} {lag * 1e3:.0f} ms")
    parts.append(f"not started {not_started}")
    parts.append(f"done {done} of {tasks}")
    return " · ".join(parts)


def picture_text(picture: Picture) -> str:
    """The picture as plain text, one line per box (for the command line)."""
    lines = [f"{picture.name} at {picture.at:.3f} s", picture.summary]
    for box in picture.boxes:
        names = [c.name + (f" ({c.text})" if c.text else "") + (f" [{c.badge}]" if c.badge else "")
                 for c in box.chips]
        if box.more:
            names.append(f"+{box.more} more")
        lines.append(f"{box.word.upper():<9} {box.title}: {', '.join(names) or box.empty}")
    lines.append(picture.footer)
    return "\n".join(lines)
