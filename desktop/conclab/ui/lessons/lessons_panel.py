"""The lessons panel (every guided comparison with a tick once it has been run, and broken files as
errors) and the prediction panel a lesson page asks before its run."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QButtonGroup,
    QGroupBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from conclab.model.claims import Verdict
from conclab.model.lessons import Lesson, LessonError, Prediction, load_lessons
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


def judgement(prediction: Prediction | None, chosen: int | None, verdicts: Sequence[Verdict]) -> str:
    """Whether the prediction was right, in a sentence (chosen None: the user skipped it)."""
    if prediction is None:
        return ""
    right = prediction.judge(verdicts)
    if right is None:
        return "This run did not decide the prediction (its deciding claim did not apply or was not measured)."
    answer = prediction.choices[right].text
    if chosen is None:
        return f"You skipped the prediction. The measurement says: “{answer}”."
    if chosen == right:
        return f"✓ Your prediction was right: “{answer}”."
    return f"✗ Your prediction was “{prediction.choices[chosen].text}”; the measurement says: “{answer}”."


class PredictionPanel(QGroupBox):
    """The question and its choices as radio buttons, with a "skip prediction" link; hidden when none."""

    answered = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Predict first", parent)
        self.question = QLabel("", self)
        self.question.setWordWrap(True)
        self.choices = QButtonGroup(self)
        self.skip_link = QLabel('<a href="skip">skip prediction</a>', self)
        self.skip_link.setToolTip("Run without predicting")
        self._choice_box = QVBoxLayout()
        layout = QVBoxLayout(self)
        layout.addWidget(self.question)
        layout.addLayout(self._choice_box)
        layout.addWidget(self.skip_link)
        self._answered = False
        self.choices.idClicked.connect(self._on_choice_clicked)
        self.skip_link.linkActivated.connect(lambda _href: self.skip())

    def set_prediction(self, prediction: Prediction | None) -> None:
        for button in self.choices.buttons():
            self.choices.removeButton(button)
            button.deleteLater()
        self.setVisible(prediction is not None)
        self._answered = prediction is None
        if prediction is None:
            return
        self.question.setText(prediction.question)
        for i, choice in enumerate(prediction.choices):
            radio = QRadioButton(choice.text, self)
            self.choices.addButton(radio, i)
            self._choice_box.addWidget(radio)

    @property
    def is_answered(self) -> bool:
        """True once a choice was made or the prediction skipped (or when there is none)."""
        return self._answered

    def choose(self, index: int) -> None:
        button = self.choices.button(index)
        if button is not None:
            button.setChecked(True)
            self._on_choice_clicked(index)

    def skip(self) -> None:
        self.choices.setExclusive(False)
        for button in self.choices.buttons():
            button.setChecked(False)
        self.choices.setExclusive(True)
        self._answered = True
        self.answered.emit()

    def chosen(self) -> int | None:
        """The chosen answer, or None when skipped or not answered yet."""
        index = self.choices.checkedId()
        return None if index < 0 else index

    def set_locked(self, locked: bool) -> None:
        for button in self.choices.buttons():
            button.setEnabled(not locked)
        self.skip_link.setEnabled(not locked)

    def _on_choice_clicked(self, _index: int) -> None:
        self._answered = True
        self.answered.emit()
