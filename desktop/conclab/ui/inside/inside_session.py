"""What the Inside panels show and when: the runs of a session, one instant t on one clock, and stepping.

Every panel (the dock's, the presenter's) and the code view read one InsideSession, so they always show
the same instant. The runs of a comparison share the clock: t is seconds from each run's own start,
as on the timeline, whose sections all start at 0. While a run is measured, t follows its "now"
until the user moves it (a click on the timeline, a step, play).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from time import perf_counter

from PySide6.QtCore import QObject, QTimer, Signal

from conclab.model.errors import PlanError
from conclab.model.inside import InsideIndex, cpus_of, plan_of
from conclab.model.live import LiveFrame
from conclab.model.plan import Plan
from conclab.model.plan_text import parse
from conclab.model.run import ModelRun, RunDocument
from conclab.model.session_spec import RunSpec
from conclab.ui.inside.live_run import LiveRun
from conclab.ui.inside.picture import CAP, Picture, picture_of

ALL = -1
SPEEDS: tuple[float, ...] = (0.05, 0.1, 0.25, 0.5, 1.0)
SHIFT_S = 0.010
FRAME_MS = 33


@dataclass
class Source:
    """One run of the session: finished (`run`) or still being measured (`live`)."""

    name: str
    model: str
    workers: int | None = None
    run: ModelRun | None = None
    live: LiveRun | None = None
    _end: float | None = field(default=None, repr=False)

    def end(self) -> float:
        """The run's last recorded instant (its "now" while measured)."""
        if self.live is not None:
            return self.live.now
        if self._end is None:
            run = self.run
            ends = [s.t1 for s in run.spans] + [t for t, _ in run.lag] if run is not None else []
            self._end = max(ends, default=0.0)
        return self._end


class InsideSession(QObject):
    """The runs shown inside, the instant `t`, which run (or all), the task stepping follows, and play."""

    changed = Signal()  # anything shown changed: t, the runs, the run chosen, the task followed
    runs_changed = Signal()  # runs came or went (the run choosers rebuild)
    moved = Signal(float)  # t moved by stepping, playing or a seek (the timeline's now line follows)
    playing_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.plan: Plan | None = None
        self.document: RunDocument | None = None  # the finished session or opened file shown, if any
        self.cpus = os.cpu_count() or 1
        self.t = 0.0
        self.mode = 0
        self.selected: int | None = None
        self.following = False
        self.speed = 0.25
        self._sources: list[Source] = []
        self._indexes: dict[int, tuple[ModelRun, InsideIndex]] = {}
        self._last_single = 0
        self._wall = 0.0
        self._memo: dict[tuple[int, int], Picture | None] = {}
        self.changed.connect(self._memo.clear)  # first: every view after it reads the new instant
        self._timer = QTimer(self)
        self._timer.setInterval(FRAME_MS)
        self._timer.timeout.connect(self._on_tick)

    # -- the runs --------------------------------------------------------------------------------
    def sources(self) -> list[Source]:
        return list(self._sources)

    def begin_session(self, plan_text: str) -> None:
        """A session is about to be measured: forget the last one; t will follow each run's "now"."""
        self.pause()
        try:
            self.plan = parse(plan_text)
        except PlanError:
            self.plan = None
        self.cpus = os.cpu_count() or 1
        self.document = None
        self._sources = []
        self._indexes.clear()
        self.following = True
        self.selected = None
        self.t = 0.0
        self.runs_changed.emit()
        self.changed.emit()

    def add_live(self, index: int, spec: RunSpec) -> None:
        """Run `index` of the session has started."""
        live = LiveRun(spec.model, spec.name, self.plan, self.cpus)
        source = Source(spec.name, spec.model, spec.workers, live=live)
        while len(self._sources) <= index:
            self._sources.append(Source(spec.name, spec.model))
        self._sources[index] = source
        if self.following:
            self.t = 0.0
            if self.mode != ALL:
                self.mode = self._last_single = index
        self.runs_changed.emit()
        self.changed.emit()

    def apply_frame(self, frame: LiveFrame) -> None:
        if 0 <= frame.run_index < len(self._sources):
            live = self._sources[frame.run_index].live
            if live is not None:
                live.apply(frame)
                if self.following:
                    self.t = live.now
                self.changed.emit()

    def finish_run(self, index: int, run: ModelRun) -> None:
        """Run `index` has been measured to its end: show it as recorded from now on."""
        if 0 <= index < len(self._sources):
            source = self._sources[index]
            source.run, source.live = run, None
            source.workers = run.workers
            if self.following:
                self.t = source.end()
            self.changed.emit()

    def set_document(self, doc: RunDocument, *, keep_time: bool = False) -> None:
        """Show a whole document (a finished session, an opened run file)."""
        self.pause()
        self.plan = plan_of(doc)
        self.document = doc
        self.cpus = cpus_of(doc) if doc.machine.get("cpus") else self.cpus
        self._sources = [Source(r.name, r.model, r.workers, run=r) for r in doc.runs]
        self._indexes.clear()
        self.following = False
        if not keep_time:
            self.t = 0.0
            self.selected = None
        if self.mode != ALL and self.mode >= len(self._sources):
            self.mode = self._last_single = 0
        self.runs_changed.emit()
        self.changed.emit()

    def shown(self) -> list[Source]:
        """The runs shown now: the one chosen, or all."""
        if self.mode == ALL:
            return list(self._sources)
        return [self._sources[self.mode]] if 0 <= self.mode < len(self._sources) else []

    def code_source(self) -> Source | None:
        """The run whose code is shown: the one chosen (in "all", the last one chosen)."""
        k = self._last_single if self.mode == ALL else self.mode
        return self._sources[k] if 0 <= k < len(self._sources) else None

    def set_mode(self, mode: int) -> None:
        """Show run `mode` (an index) or ALL of them."""
        if mode != ALL and not 0 <= mode < len(self._sources):
            return
        if mode != ALL:
            self._last_single = mode
        if mode != self.mode:
            self.mode = mode
            self.changed.emit()

    def select_task(self, task: int | None) -> None:
        """Step through this task's changes only (None: any task's)."""
        self.selected = task
        self.changed.emit()

    def task_name(self, task: int) -> str:
        specs = self.plan.tasks() if self.plan is not None else []
        return specs[task].name if 0 <= task < len(specs) else f"task {task}"

    # -- instants ----------------------------------------------------------------------------------
    def index(self, source: Source) -> InsideIndex:
        """The index of a run (kept while the session shows it)."""
        if source.live is not None:
            return source.live.index()
        run = source.run
        assert run is not None
        got = self._indexes.get(id(run))
        if got is None or got[0] is not run:
            got = self._indexes[id(run)] = (run, InsideIndex(run, self.plan))
        return got[1]

    def picture(self, source: Source, cap: int = CAP) -> Picture | None:
        """What `source` was doing at t (made once per instant and cap, whoever asks)."""
        key = (id(source), cap)
        if key not in self._memo:
            self._memo[key] = self._picture(source, cap)
        return self._memo[key]

    def _picture(self, source: Source, cap: int) -> Picture | None:
        live = source.live
        if live is not None and self.following:
            inside, counts = live.snapshot(cap)
            return picture_of(inside, source.name, cap, counts)
        if live is None and source.run is None:
            return None
        return picture_of(self.index(source).at(self.t, self.cpus), source.name, cap)

    def duration(self) -> float:
        return max((s.end() for s in self.shown()), default=0.0)

    # -- moving t --------------------------------------------------------------------------------
    def seek(self, t: float) -> None:
        """Show instant t (and stop following a run in progress)."""
        if not math.isfinite(t):
            return
        self.following = False
        self.t = max(0.0, float(t))
        self.moved.emit(self.t)
        self.changed.emit()

    def step(self, direction: int) -> bool:
        """To the next (direction > 0) or previous state change of any task, or of the selected one."""
        return self._go(self._nearest(self.t, direction))

    def home(self) -> bool:
        """To the first state change (of the selected task, if one is)."""
        return self._go(self._nearest(-math.inf, +1))

    def end(self) -> bool:
        """To the last state change (of the selected task, if one is)."""
        return self._go(self._nearest(math.inf, -1))

    def shift(self, dt: float) -> None:
        self.pause()
        self.seek(min(max(self.t + dt, 0.0), self.duration()))

    def _nearest(self, t: float, direction: int) -> float | None:
        found: list[float] = []
        for source in self.shown():
            if source.live is None and source.run is None:
                continue
            index = self.index(source)
            got = (index.next_change(t, self.selected) if direction > 0
                   else index.previous_change(t, self.selected))
            if got is not None:
                found.append(got)
        if not found:
            return None
        return min(found) if direction > 0 else max(found)

    def _go(self, t: float | None) -> bool:
        self.pause()
        if t is None:
            return False
        self.seek(t)
        return True

    # -- play ---------------------------------------------------------------------------------------
    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    def play(self) -> None:
        if self.playing or self.duration() <= 0:
            return
        if self.t >= self.duration():
            self.seek(0.0)
        self.following = False
        self._wall = perf_counter()
        self._timer.start()
        self.playing_changed.emit(True)

    def pause(self) -> None:
        if self.playing:
            self._timer.stop()
            self.playing_changed.emit(False)

    def toggle_play(self) -> None:
        if self.playing:
            self.pause()
        else:
            self.play()

    def set_speed(self, speed: float) -> None:
        """Play at `speed` times real time (SPEEDS: 0.05x to 1x)."""
        self.speed = min(max(float(speed), SPEEDS[0]), SPEEDS[-1])

    def _on_tick(self) -> None:
        now = perf_counter()
        dt, self._wall = now - self._wall, now
        end = self.duration()
        t = min(self.t + dt * self.speed, end)
        self.t = t
        self.moved.emit(t)
        self.changed.emit()
        if t >= end:
            self.pause()
