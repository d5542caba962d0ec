"""The prediction a lesson page asks before its run: the question, one radio button per answer (its text
wraps, and clicking the text chooses it too) and a button to skip the prediction."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from conclab.model.lesson_spec import Prediction


class _ChoiceLabel(QLabel):
    """A choice's text beside its radio button; a click on the text clicks the button, as on a form."""

    def __init__(self, text: str, button: QRadioButton, parent: QWidget) -> None:
        super().__init__(text, parent)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self._button = button

    def mouseReleaseEvent(self, ev: QMouseEvent) -> None:
        if ev.button() == Qt.MouseButton.LeftButton and self._button.isEnabled():
            self._button.click()
        super().mouseReleaseEvent(ev)


class PredictionPanel(QGroupBox):
    """The question and its choices; `answered` is emitted when one is chosen or the prediction skipped.
    Hidden when the lesson has no prediction."""

    answered = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Your prediction", parent)
        self.question = QLabel("", self)
        self.question.setWordWrap(True)
        self.choices = QButtonGroup(self)
        self.skip_button = QPushButton("Skip the prediction", self)
        self.skip_button.setToolTip("Run without predicting (the result then only says what was measured)")
        self._grid = QGridLayout()
        self._grid.setColumnStretch(1, 1)
        self._texts: list[QLabel] = []
        layout = QVBoxLayout(self)
        layout.addWidget(self.question)
        layout.addLayout(self._grid)
        skip_row = QHBoxLayout()
        skip_row.addWidget(self.skip_button)
        skip_row.addStretch(1)
        layout.addLayout(skip_row)
        self._answered = False
        self._skipped = False
        self.choices.idClicked.connect(self._on_choice_clicked)
        self.skip_button.clicked.connect(self._on_skip_clicked)
        self.setAccessibleName("Prediction")

    def set_prediction(self, prediction: Prediction | None) -> None:
        """Ask `prediction` (None: hide the panel; a lesson without one can run at once)."""
        for button in self.choices.buttons():
            self.choices.removeButton(button)
            button.deleteLater()
        for label in self._texts:
            label.deleteLater()
        self._texts = []
        self.setVisible(prediction is not None)
        self._answered = prediction is None
        self._skipped = False
        if prediction is None:
            return
        self.question.setText(prediction.question)
        for i, choice in enumerate(prediction.choices):
            radio = QRadioButton("", self)
            radio.setAccessibleName(choice.text)
            text = _ChoiceLabel(choice.text, radio, self)
            self.choices.addButton(radio, i)
            self._grid.addWidget(radio, i, 0, Qt.AlignmentFlag.AlignTop)
            self._grid.addWidget(text, i, 1)
            self._texts.append(text)
            # Shown now, not at the layout's next pass: the choices are there as soon as the lesson opens.
            radio.show()
            text.show()

    @property
    def is_answered(self) -> bool:
        """True once a choice was made or the prediction skipped (or when there is none)."""
        return self._answered

    @property
    def skipped(self) -> bool:
        return self._skipped

    def button(self, index: int) -> QRadioButton:
        """The radio button of choice `index` (what a user clicks)."""
        button = self.choices.button(index)
        if not isinstance(button, QRadioButton):
            raise IndexError(f"no choice {index}")
        return button

    def choice_texts(self) -> list[str]:
        return [label.text() for label in self._texts]

    def choose(self, index: int) -> None:
        self.button(index).click()

    def skip(self) -> None:
        self.choices.setExclusive(False)
        for button in self.choices.buttons():
            button.setChecked(False)
        self.choices.setExclusive(True)
        self._answered = True
        self._skipped = True
        self.answered.emit()

    def chosen(self) -> int | None:
        """The chosen answer, or None when skipped or not answered yet."""
        index = self.choices.checkedId()
        return None if index < 0 else index

    def set_locked(self, locked: bool) -> None:
        """Keep the answer as it was while its run goes (a run is judged against what was said before it)."""
        for button in self.choices.buttons():
            button.setEnabled(not locked)
        self.skip_button.setEnabled(not locked)

    def _on_choice_clicked(self, _index: int) -> None:
        self._answered = True
        self._skipped = False
        self.answered.emit()

    def _on_skip_clicked(self) -> None:
        self.skip()
