"""The lessons panel: every guided comparison with a tick once it has been run, and broken files as errors."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from conclab.model.lessons import Lesson, LessonError, load_lessons
from conclab.model.resources import ResourcesMissingError

DONE_KEY = "lessons/done"
TICK = "✓"
ERROR_HEX = "#D55E00"
_LESSON_ROLE = Qt.ItemDataRole.UserRole


def read_done(store: QSettings) -> set[str]:
    """The ids of lessons already run, read defensively (a foreign value counts as none)."""
    value = store.value(DONE_KEY, [])
    if isinstance(value, str):
        value = [value] if value else []
    if not isinstance(value, list | tuple):
        return set()
    return {v for v in value if isinstance(v, str) and v}


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
        self._done = read_done(store)
        self.list = QListWidget(self)
        self.list.setAccessibleName("Lessons")
        self.list.setToolTip("Guided comparisons: pick one to read, predict, run and check its claims")
        self.summary = QLabel("", self)
        self.summary.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.summary)
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

    def done_ids(self) -> set[str]:
        return set(self._done)

    def is_done(self, lesson_id: str) -> bool:
        return lesson_id in self._done

    def mark_done(self, lesson_id: str) -> None:
        """Tick a lesson and remember it in the settings."""
        if lesson_id in self._done:
            return
        self._done.add(lesson_id)
        self._store.setValue(DONE_KEY, sorted(self._done))
        self._store.sync()
        self._rebuild()

    def item_texts(self) -> list[str]:
        """The rows as shown, top to bottom (lessons, then broken files)."""
        return [self.list.item(i).text() for i in range(self.list.count())]

    def select(self, lesson_id: str) -> bool:
        """Select a lesson's row and emit `lesson_chosen`; False when there is no such lesson."""
        for i in range(self.list.count()):
            item = self.list.item(i)
            lesson = item.data(_LESSON_ROLE)
            if isinstance(lesson, Lesson) and lesson.id == lesson_id:
                if self.list.currentItem() is item:
                    self.lesson_chosen.emit(lesson)
                else:
                    self.list.setCurrentItem(item)
                return True
        return False

    def _rebuild(self) -> None:
        current = self.list.currentItem()
        current_id = current.data(_LESSON_ROLE).id if current and current.data(_LESSON_ROLE) else None
        self._rebuilding = True
        self.list.clear()
        for n, lesson in enumerate(self._lessons, 1):
            tick = TICK if lesson.id in self._done else "  "
            item = QListWidgetItem(f"{tick} {n}. {lesson.title}")
            item.setData(_LESSON_ROLE, lesson)
            item.setToolTip(f"{lesson.id}: runs “{lesson.plan_text}” under {', '.join(lesson.models)}"
                            + (" — done" if lesson.id in self._done else ""))
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
        done = sum(1 for les in self._lessons if les.id in self._done)
        parts = [f"{done} of {len(self._lessons)} lessons done"]
        if self._errors:
            parts.append(f"{len(self._errors)} broken lesson file(s): "
                         + "; ".join(str(e) for e in self._errors))
        if self._problem:
            parts.append(self._problem)
        self.summary.setText(". ".join(parts))

    def _on_current_item_changed(self, item: QListWidgetItem | None, _previous: object) -> None:
        lesson = item.data(_LESSON_ROLE) if item is not None else None
        if isinstance(lesson, Lesson) and not self._rebuilding:
            self.lesson_chosen.emit(lesson)
