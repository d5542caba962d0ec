"""The timeline's model: one section per run, fed by `LiveFrame`s, observed by the views. No Qt here.

A live run is begun (`begin_run`), fed frames (`apply`) and ended with the finished run (`end_run`),
which replaces what the frames built by the run as recorded. Finished runs come in whole (`set_runs`,
`add_run`); a replay turns saved runs into frames and feeds them the same way. Views subscribe and are
told what changed — sections reset, added or replaced, or one section's data updated — and redraw at
their own pace. All sections share one time axis, from 0 to the end of the longest (`axis_end`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from enum import Enum

from conclab.model.live import LiveFrame
from conclab.model.run import ModelRun, python_label
from conclab.model.trace import LaneKind
from conclab.ui.timeline.section_model import SectionModel

MAX_ROWS = 64


class Change(Enum):
    """What changed in a timeline model, as its listeners are told (with a section index)."""

    RESET = "reset"  # every section replaced (index -1)
    ADDED = "added"  # a section appended at `index`
    REPLACED = "replaced"  # the section at `index` is a new object (a live run finished)
    UPDATED = "updated"  # the data or title of the section at `index` changed


Listener = Callable[[Change, int], None]


def run_title(run: ModelRun, several_pythons: bool) -> str:
    """A finished run's title: its label, where it ran when that was inside the window, its Python when
    the runs shown ran under several."""
    title = run.name + (" · inside this window" if run.runtime == "window" else "")
    return f"{title} · Python {python_label(run.python)}" if several_pythons and run.python else title


class TimelineModel:
    """The runs on the timeline, as sections; at most one of them live (being fed frames)."""

    def __init__(self, max_rows: int = MAX_ROWS) -> None:
        self.max_rows = max_rows
        self.sections: list[SectionModel] = []
        self.live: SectionModel | None = None
        self.horizon = 0.0
        self._listeners: list[Listener] = []
        self._reserved: list[SectionModel] = []  # placeholders for runs about to start, in order

    # -- observers ----------------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _tell(self, change: Change, index: int) -> None:
        for listener in list(self._listeners):
            listener(change, index)

    # -- whole runs ---------------------------------------------------------------------------------
    def set_runs(self, runs: Sequence[ModelRun]) -> None:
        """Show exactly these finished runs."""
        self.sections = []
        self.live = None
        self.horizon = 0.0
        self._reserved = []
        for run in runs:
            self._append_finished(run)
        self._retitle(notify=False)
        self._tell(Change.RESET, -1)

    def clear(self) -> None:
        self.set_runs([])

    def add_run(self, run: ModelRun) -> SectionModel:
        """Append a finished run after the sections there are."""
        section = self._append_finished(run)
        self._tell(Change.ADDED, len(self.sections) - 1)
        self._retitle()
        return section

    def _section_for(self, run: ModelRun) -> SectionModel:
        section = SectionModel(run.model, run.name, run.task_names(), live=False, max_rows=self.max_rows,
                               kind_of=run.lane_kind)
        section.apply(LiveFrame(-1, float("nan"), len(run.tasks), list(run.spans), [], list(run.lag),
                                dict(run.lanes)))
        section.run = run
        return section

    def _append_finished(self, run: ModelRun) -> SectionModel:
        section = self._section_for(run)
        self.sections.append(section)
        return section

    # -- live runs ----------------------------------------------------------------------------------
    def reserve(self, runs: Sequence[tuple[str, str]]) -> None:
        """Sections for runs about to start, as (model, title), shown as waiting until each begins.

        A view makes a section's plots when it appears, which takes the window's loop a tenth of a
        second: made now, before the runs, it costs nothing while they are measured (`begin_run` then
        takes the next placeholder's place, and a view keeps its items for it).
        """
        for model, title in runs:
            section = SectionModel(model, title, live=False, max_rows=self.max_rows)
            section.status = "waiting to run"
            self.sections.append(section)
            self._reserved.append(section)
            self._tell(Change.ADDED, len(self.sections) - 1)

    def drop_reserved(self) -> None:
        """Take away the placeholders of runs that never began (the session was stopped or failed)."""
        gone = [s for s in self._reserved if s in self.sections]
        self._reserved = []
        if gone:
            self.sections = [s for s in self.sections if s not in gone]
            self._tell(Change.RESET, -1)

    def begin_run(self, model: str, title: str | None = None, names: Mapping[int, str] | None = None,
                  lanes: Mapping[str, LaneKind] | None = None) -> SectionModel:
        """Append a section for a run that is starting; frames then feed it until `end_run`."""
        if self.live is not None:
            self.live.finish()
        section = SectionModel(model, title or model, names, live=True, max_rows=self.max_rows)
        if lanes:
            section.apply(LiveFrame(-1, 0.0, lanes=dict(lanes)))
        self.live = section
        placeholder = self._reserved.pop(0) if self._reserved else None
        if placeholder is not None and placeholder in self.sections:
            index = self.sections.index(placeholder)
            self.sections[index] = section
            self._tell(Change.REPLACED, index)
        else:
            self.sections.append(section)
            self._tell(Change.ADDED, len(self.sections) - 1)
        return section

    def apply(self, frame: LiveFrame) -> None:
        """Feed the live section one frame (ignored when no run is live)."""
        live = self.live
        if live is not None:
            live.apply(frame)
            self._tell(Change.UPDATED, self.sections.index(live))

    def end_run(self, run: ModelRun) -> SectionModel:
        """Replace the live section by the finished run as recorded (appended when none is live)."""
        live, self.live = self.live, None
        if live is None or live not in self.sections:
            return self.add_run(run)
        index = self.sections.index(live)
        section = self._section_for(run)
        self.sections[index] = section
        self._tell(Change.REPLACED, index)
        self._retitle()
        return section

    def _retitle(self, notify: bool = True) -> None:
        """Name finished sections after their runs, with their Python when the runs ran under several."""
        pythons = {python_label(s.run.python) for s in self.sections if s.run is not None and s.run.python}
        for index, section in enumerate(self.sections):
            run = section.run
            if run is None:
                continue
            title = run_title(run, len(pythons) > 1)
            if title != section.title:
                section.title = title
                section.version += 1
                if notify:
                    self._tell(Change.UPDATED, index)

    # -- reading ------------------------------------------------------------------------------------
    def set_horizon(self, t: float) -> None:
        """Keep the time axis at least `t` seconds long (a replay knows how long its runs will take)."""
        self.horizon = max(t, 0.0)

    def end(self) -> float:
        """The last instant any section shows."""
        return max([s.t_end() for s in self.sections], default=0.0)

    def axis_end(self) -> float:
        """Where the shared time axis ends: the longest run, or the horizon when that is later."""
        return max(self.end(), self.horizon)
