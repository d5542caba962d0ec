"""The lessons panel: every guided comparison in order with a mark for what the user has done with it
(✓ done, ● predicted right, ○ predicted wrong), a summary line, and broken lesson files as errors.

Progress is kept in the settings store as `conclab.model.lesson_result.progress_json` text, so it
survives restarting the app; ticks stored by older versions (a list of done ids) still count as done.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QLabel, QListView, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from conclab.model.lesson_result import LessonResult, Progress, progress_after, progress_json, read_progress
from conclab.model.lessons import Lesson, LessonError, load_lessons
from conclab.model.resources import ResourcesMissingError

PROGRESS_KEY = "lessons/progress"
OLD_DONE_KEY = "lessons/done"
DONE_MARK, RIGHT_MARK, WRONG_MARK, NOT_DONE_MARK = "✓", "●", "○", "  "
LEGEND = f"{DONE_MARK} done · {RIGHT_MARK} predicted right · {WRONG_MARK} predicted wrong"
ERROR_HEX = "#D55E00"
MIN_WIDTH = 180
_LESSON_ROLE = Qt.ItemDataRole.UserRole


def _old_done(store: QSettings) -> set[str]:
    value = store.value(OLD_DONE_KEY, [])
    if isinstance(value, str):
        value = [value] if value else []
    if not isinstance(value, list | tuple):
        return set()
    return {v for v in value if isinstance(v, str) and v}


def read_stored_progress(store: QSettings) -> dict[str, Progress]:
    """Progress by lesson id as stored; anything malformed counts as no progress."""
    progress = read_progress(store.value(PROGRESS_KEY, ""))
    for lesson_id in _old_done(store):
        progress.setdefault(lesson_id, Progress(done=True))
    return progress


def progress_mark(progress: Progress | None) -> str:
    """A lesson's mark in the list: its last prediction's outcome once done, else whether it is done."""
    if progress is None or not progress.done:
        return NOT_DONE_MARK
    return {"right": RIGHT_MARK, "wrong": WRONG_MARK}.get(progress.prediction, DONE_MARK)


def progress_words(progress: Progress | None) -> str:
    """A lesson's progress in words, for its tooltip."""
    if progress is None or not progress.done:
        return "not done yet"
    runs = "once" if progress.runs == 1 else f"{progress.runs} times"
    last = {"right": "your last prediction was right", "wrong": "your last prediction was wrong",
            "skipped": "you skipped the last prediction",
            "undecided": "the last run did not decide the prediction"}.get(progress.prediction, "")
    return f"done (run to the end {runs}" + (f"; {last}" if last else "") + ")"


class LessonsPanel(QWidget):
    """Lists the lessons in order; choosing one emits `lesson_chosen(Lesson)`."""

    lesson_chosen = Signal(object)  # Lesson

    def __init__(self, store: QSettings, folder: Path | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._folder = folder
        self._lessons: list[Lesson] = []
        self._errors: list[LessonError] = []
        self._problem = ""
        self._rebuilding = False
        self._progress = read_stored_progress(store)
        self.list = QListWidget(self)
        self.list.setAccessibleName("Lessons")
        self.list.setToolTip("Guided comparisons: pick one to read, predict, run and check its claims")
        self.list.setWordWrap(True)
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.summary = QLabel("", self)
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Lessons progress")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.summary)
        self.setMinimumWidth(MIN_WIDTH)
        self.setAccessibleName("Lessons panel")
        self.list.currentItemChanged.connect(self._on_current_item_changed)
        self.reload()

    def reload(self) -> None:
        """Read the lesson files again and rebuild the list."""
        try:
            self._lessons, self._errors = load_lessons(self._folder)
            self._problem = ""
        except ResourcesMissingError as exc:
            self._lessons, self._errors, self._problem = [], [], str(exc)
        self._rebuild()

    def lessons(self) -> list[Lesson]:
        return list(self._lessons)

    def errors(self) -> list[LessonError]:
        return list(self._errors)

    # -- progress ---------------------------------------------------------------------------------
    def progress(self, lesson_id: str) -> Progress | None:
        return self._progress.get(lesson_id)

    def done_ids(self) -> set[str]:
        return {k for k, p in self._progress.items() if p.done}

    def is_done(self, lesson_id: str) -> bool:
        return lesson_id in self.done_ids()

    def record(self, result: LessonResult) -> None:
        """Fold a run's result into the lesson's progress (a stopped run changes nothing) and store it."""
        lesson_id = result.lesson.id
        self._save(lesson_id, progress_after(self._progress.get(lesson_id), result))

    def mark_done(self, completed: LessonResult | str) -> None:
        """A lesson run to the end: given its result, the prediction's outcome is recorded too; given only
        its id, it is marked done."""
        if isinstance(completed, LessonResult):
            self.record(completed)
            return
        before = self._progress.get(completed) or Progress()
        self._save(completed, Progress(True, before.prediction, before.right, before.runs + 1))

    def _save(self, lesson_id: str, progress: Progress) -> None:
        if self._progress.get(lesson_id) == progress:
            return
        self._progress[lesson_id] = progress
        self._store.setValue(PROGRESS_KEY, progress_json(self._progress))
        self._store.sync()
        self._rebuild()

    # -- the list ---------------------------------------------------------------------------------
    def item_texts(self) -> list[str]:
        """The rows as shown, top to bottom (lessons, then broken files)."""
        return [self.list.item(i).text() for i in range(self.list.count())]

    def item_for(self, lesson_id: str) -> QListWidgetItem | None:
        """The row of a lesson (what a user clicks)."""
        for i in range(self.list.count()):
            lesson = self.list.item(i).data(_LESSON_ROLE)
            if isinstance(lesson, Lesson) and lesson.id == lesson_id:
                return self.list.item(i)
        return None

    def select(self, lesson_id: str) -> bool:
        """Select a lesson's row and emit `lesson_chosen`; False when there is no such lesson."""
        item = self.item_for(lesson_id)
        if item is None:
            return False
        if self.list.currentItem() is item:
            self.lesson_chosen.emit(item.data(_LESSON_ROLE))
        else:
            self.list.setCurrentItem(item)
        return True

    def summary_text(self) -> str:
        done = [self._progress[les.id] for les in self._lessons
                if les.id in self._progress and self._progress[les.id].done]
        text = f"{len(done)} of {len(self._lessons)} lessons done"
        outcomes = [p.prediction for p in done]
        counts = [f"{outcomes.count(o)} {o}" for o in ("right", "wrong", "skipped") if outcomes.count(o)]
        if counts:
            text += f"; last predictions: {', '.join(counts)}"
        return f"{text}.\n{LEGEND}"

    def _rebuild(self) -> None:
        current = self.list.currentItem()
        current_lesson = current.data(_LESSON_ROLE) if current is not None else None
        current_id = current_lesson.id if isinstance(current_lesson, Lesson) else None
        self._rebuilding = True
        self.list.clear()
        for n, lesson in enumerate(self._lessons, 1):
            progress = self._progress.get(lesson.id)
            item = QListWidgetItem(f"{progress_mark(progress)} {n}. {lesson.title}")
            item.setData(_LESSON_ROLE, lesson)
            item.setToolTip(f"{lesson.title} — {progress_words(progress)}")
            self.list.addItem(item)
            if lesson.id == current_id:
                self.list.setCurrentItem(item)
        for err in self._errors:
            item = QListWidgetItem(f"⚠ {err.path.name}: cannot be used")
            item.setToolTip(str(err))
            item.setForeground(QBrush(QColor(ERROR_HEX)))
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.list.addItem(item)
        self._rebuilding = False
        parts = [self.summary_text()]
        if self._errors:
            parts.append(f"{len(self._errors)} broken lesson file(s): " + "; ".join(str(e) for e in self._errors))
        if self._problem:
            parts.append(self._problem)
        self.summary.setText("\n".join(parts))

    def _on_current_item_changed(self, item: QListWidgetItem | None, _previous: object) -> None:
        lesson = item.data(_LESSON_ROLE) if item is not None else None
        if isinstance(lesson, Lesson) and not self._rebuilding:
            self.lesson_chosen.emit(lesson)
