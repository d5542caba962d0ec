"""Replay without Qt: saved runs turned into the frames a live run streams, fed to a timeline model.

`RunFrames` plays one run: each call to `advance(t)` returns a `LiveFrame` of what changed since the
previous call — spans begun (in progress, keyed by their index in the run), spans ended, lag samples
reached, "now". `ReplayFeed` lays several runs one after another on one replay clock, as they were
measured, and shows any position on a `TimelineModel`: runs before it finished, the run at it live up
to that instant. Going back rebuilds from the start of the runs.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from conclab.model.live import LiveFrame
from conclab.model.run import ModelRun, python_label
from conclab.model.trace import Span
from conclab.ui.timeline.timeline_model import TimelineModel, run_title


def run_duration(run: ModelRun) -> float:
    """How long a run lasts on the replay clock: to its last span's end or lag sample."""
    return max([s[5] for s in run.spans] + [t for t, _ in run.lag] + [0.0])


class RunFrames:
    """One saved run as a sequence of frames up to ever later instants."""

    def __init__(self, run: ModelRun, index: int) -> None:
        self.run = run
        self.index = index
        spans = [s if type(s) is Span else Span(*s) for s in run.spans]
        self._by_t0 = sorted(range(len(spans)), key=lambda i: spans[i].t0)
        self._t0s = [spans[i].t0 for i in self._by_t0]
        self._by_t1 = sorted(range(len(spans)), key=lambda i: spans[i].t1)
        self._t1s = [spans[i].t1 for i in self._by_t1]
        self._lag_ts = [t for t, _ in run.lag]
        self._spans = spans
        self.duration = run_duration(run)
        self._started = self._ended = self._lag_seen = 0
        self._open: set[int] = set()

    def first(self) -> LiveFrame:
        """The frame that announces every lane, before anything happened."""
        lanes = dict(self.run.lanes) or {s.worker: self.run.lane_kind(s.worker) for s in self._spans}
        return LiveFrame(self.index, 0.0, lanes=lanes)

    def advance(self, t: float) -> LiveFrame:
        """What changed between the previous call's instant and `t` (which must not be earlier)."""
        started = bisect.bisect_right(self._t0s, t)
        ended = bisect.bisect_right(self._t1s, t)
        lag_to = bisect.bisect_right(self._lag_ts, t)
        closing = self._by_t1[self._ended:ended]
        closed_now = set(closing)
        opened: list[tuple[int, Span | None]] = []
        for i in self._by_t0[self._started:started]:
            if i not in closed_now:
                self._open.add(i)
                opened.append((i, self._spans[i]))
        for i in closing:
            if i in self._open:
                self._open.discard(i)
                opened.append((i, None))
        frame = LiveFrame(self.index, t, spans=[self._spans[i] for i in closing], opened=opened,
                          lag=list(self.run.lag[self._lag_seen:lag_to]))
        self._started, self._ended, self._lag_seen = started, ended, lag_to
        return frame


class ReplayFeed:
    """Several saved runs on one replay clock (one after another), shown on a model at any position."""

    def __init__(self, model: TimelineModel, runs: Sequence[ModelRun]) -> None:
        self.model = model
        self.runs = list(runs)
        self.starts: list[float] = []
        start = 0.0
        for run in self.runs:
            self.starts.append(start)
            start += run_duration(run)
        self.duration = start
        self._playing: RunFrames | None = None
        self._shown = -1.0
        self._complete = False

    def run_at(self, pos: float) -> int:
        """The index of the run playing at replay position `pos` (the last one past the end)."""
        return max(bisect.bisect_right(self.starts, pos) - 1, 0)

    def show(self, pos: float) -> None:
        """Make the model show the runs as they were at replay position `pos`."""
        if not self.runs:
            if self.model.sections:
                self.model.clear()
            return
        pos = min(max(pos, 0.0), self.duration)
        k = self.run_at(pos)
        if pos >= self.duration:
            self._complete_all()
            self._shown = pos
            return
        current = self._playing.index if self._playing is not None else -1
        if self._complete or k < current or (k == current and pos < self._shown) or self._playing is None:
            self._rebuild_to(k)
        while self._playing is not None and self._playing.index < k:
            self.model.end_run(self._playing.run)
            self._begin(self._playing.index + 1)
        assert self._playing is not None
        self.model.apply(self._playing.advance(pos - self.starts[k]))
        self._shown = pos

    def _complete_all(self) -> None:
        """Every run finished: the one playing ends as recorded, the ones after it come in whole."""
        if self._complete:
            return
        if self._playing is None:
            self._rebuild_to(len(self.runs))
            return
        playing, self._playing = self._playing, None
        self.model.end_run(playing.run)
        for run in self.runs[playing.index + 1:]:
            self.model.add_run(run)
        self._complete = True

    def _rebuild_to(self, k: int) -> None:
        """Finished sections for the runs before `k`, and run `k` begun (all finished when k is past the end)."""
        self.model.set_runs(self.runs[:k])
        self.model.set_horizon(max(run_duration(r) for r in self.runs))
        self._playing = None
        self._complete = k >= len(self.runs)
        if not self._complete:
            self._begin(k)

    def _begin(self, k: int) -> None:
        run = self.runs[k]
        self._playing = RunFrames(run, k)
        several = len({python_label(r.python) for r in self.runs if r.python}) > 1
        section = self.model.begin_run(run.model, run_title(run, several), run.task_names())
        section.status = "replaying…"
        self.model.apply(self._playing.first())
