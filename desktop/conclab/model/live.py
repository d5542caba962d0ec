"""What a run in progress reports, a few dozen times a second: the one frame type of the live stream.

The lab streams frames to the window, a run inside the window produces the same frames from its own
recorder, and a replay makes them from a saved run, so the timeline model has one way to be fed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from conclab.model.trace import LaneKind, Span

# A span in progress, by the recorder buffer it belongs to; None: that buffer has nothing in progress now.
OpenChange = tuple[int, Span | None]


@dataclass
class LiveFrame:
    """Everything that changed in one run since the previous frame.

    `now` is seconds since the run's origin; `done` counts the run's finished tasks so far; `lanes` are
    lanes first seen since the previous frame, in the order they were made.
    """

    run_index: int
    now: float
    done: int = 0
    spans: list[Span] = field(default_factory=list)
    opened: list[OpenChange] = field(default_factory=list)
    lag: list[tuple[float, float]] = field(default_factory=list)
    lanes: dict[str, LaneKind] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not (self.spans or self.opened or self.lag or self.lanes or self.failures)
