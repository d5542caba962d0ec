"""Which row each lane of a section occupies, from the lanes' kinds (never parsed out of their names).

Rows read top to bottom: the derived "event loop" row (asyncio), the queue, the task and worker lanes,
the offload workers, each group in the order its lanes were made, as the engines name them after the
user's tasks. Past `max_rows` lanes, the rest share one "+N more lanes" row, so ten thousand asyncio
tasks cost one row. A lane that belongs above rows already given (a queue made after the first
worker) moves them down: `add` then returns the old-row → new-row table, and the section moves its
spans with it, so a live run and the finished run read the same. No Qt here.
"""

from __future__ import annotations

import numpy as np

from conclab.model.trace import LaneKind

LOOP_LABEL = "event loop"
_GROUP: dict[str, int] = {LaneKind.QUEUE: 0, LaneKind.TASK: 1, LaneKind.WORKER: 1, LaneKind.OFFLOAD: 2}


class LaneRows:
    """Lanes (name and kind) to rows and row labels, for one section."""

    def __init__(self, *, loop_lane: bool, max_rows: int = 64) -> None:
        self.max_rows = max(2, max_rows)
        self.loop_row = 0 if loop_lane else -1
        self.kinds: dict[str, LaneKind] = {}
        self._groups: list[list[str]] = [[], [], []]
        self._rows: dict[str, int] = {}
        self._folded: set[str] = set()
        self._captions: dict[str, str] = {}
        self.fold_row = -1
        self.labels: list[str] = [LOOP_LABEL] if loop_lane else []
        self.version = 0

    def __len__(self) -> int:
        return len(self.labels)

    def __contains__(self, name: object) -> bool:
        return name in self.kinds

    def add(self, name: str, kind: LaneKind) -> np.ndarray | None:
        """Give a new lane its row; the old-row → new-row table when rows already given moved, else None."""
        if name in self.kinds:
            return None
        self.kinds[name] = kind
        group = _GROUP.get(kind, 1)
        if kind != LaneKind.QUEUE and len(self._rows) >= self.max_rows:
            self._folded.add(name)
            if self.fold_row < 0:
                self._layout()  # the fold row goes last: no row moves
            else:
                self.labels[self.fold_row] = f"+{len(self._folded)} more lanes"
                self.version += 1
            return None
        below = any(self._groups[g] for g in range(group + 1, 3)) or self.fold_row >= 0
        self._groups[group].append(name)
        old_rows, old_fold = self._layout()
        return self._table(old_rows, old_fold) if below else None

    def row_of(self, name: str) -> int:
        """The row of a lane added before."""
        row = self._rows.get(name)
        return row if row is not None else self.fold_row

    def set_caption(self, name: str, text: str) -> None:
        """Show `text` instead of the lane's name (the queue shows its peak depth)."""
        if self._captions.get(name) != text:
            self._captions[name] = text
            self._layout()

    @property
    def folded(self) -> int:
        return len(self._folded)

    @property
    def lane_names(self) -> list[str]:
        """Lanes that have a row of their own, top to bottom."""
        return [name for group in self._groups for name in group]

    def _layout(self) -> tuple[dict[str, int], int]:
        """Number the rows again; returns the rows (and the fold row) as they were."""
        old, old_fold = self._rows, self.fold_row
        labels = [LOOP_LABEL] if self.loop_row == 0 else []
        rows: dict[str, int] = {}
        for name in self.lane_names:
            rows[name] = len(labels)
            labels.append(self._captions.get(name, name))
        self.fold_row = len(labels) if self._folded else -1
        if self._folded:
            labels.append(f"+{len(self._folded)} more lanes")
        self._rows = rows
        self.labels = labels
        self.version += 1
        return old, old_fold

    def _table(self, old: dict[str, int], old_fold: int) -> np.ndarray:
        size = max([*old.values(), old_fold, self.loop_row, 0]) + 1
        table = np.arange(size, dtype=np.int32)
        for name, row in old.items():
            table[row] = self._rows[name]
        if old_fold >= 0:
            table[old_fold] = self.fold_row
        return table
