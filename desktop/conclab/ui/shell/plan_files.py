"""The window's plans: New, Open, Save and Save as, and the Examples menu, asking before unsaved changes
would be lost.

A plan file that starts like an example (``# Title — description``, optionally ``# models: …``) shows
its title and notes above the plan and ticks its models, exactly as the Examples menu does.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMenu, QMessageBox

from conclab import APP_NAME
from conclab.model.errors import ConclabError
from conclab.model.examples import Example, load_examples_with_errors, read_example
from conclab.model.fileio import atomic_write_text
from conclab.model.plan import Group, Plan
from conclab.model.plan_text import format_plan, parse
from conclab.ui.plan_editor.plan_draft import NEW_STEP
from conclab.ui.plan_editor.plan_editor_panel import PlanEditorPanel
from conclab.ui.shell.actions import keys_text, make_action
from conclab.ui.shell.settings import SessionSettings

NEW_PLAN = Plan((Group((NEW_STEP,), name="task1"),))


class PlanFiles:
    """The plan's file: its path (None: untitled), and the commands that open and save it."""

    def __init__(self, window: QMainWindow, editor: PlanEditorPanel, settings: SessionSettings,
                 on_changed: Callable[[], None], set_models: Callable[[tuple[str, ...]], None]) -> None:
        self.window = window
        self.editor = editor
        self.settings = settings
        self.path: Path | None = None
        self._on_changed = on_changed
        self._set_models = set_models

    def _keys(self, name: str) -> str:
        act = self.window.findChild(QAction, name)
        shown = keys_text(act) if act is not None else ""
        return f" ({shown})" if shown else ""

    def _status(self, text: str, ms: int = 8000) -> None:
        self.window.statusBar().showMessage(text, ms)

    def new(self) -> bool:
        """File → New plan: one task to start from (after asking about unsaved changes)."""
        if not self.confirm_discard():
            return False
        self.editor.set_plan(NEW_PLAN)
        self.editor.set_notes("A new plan", f"One task to start from: name it, add tasks{self._keys('add_task')} "
                              f"and steps{self._keys('add_step')}, or type the plan in the Text tab. "
                              f"Then press Run{self._keys('run')}.")
        self.editor.show_form()
        self.path = None
        self._on_changed()
        return True

    def add_examples(self, menu: QMenu) -> list[str]:
        """Fill the Examples menu (one named action per example); returns one problem per broken file."""
        examples, errors = load_examples_with_errors()
        for ex in examples:
            tip = f"{ex.description}. Runs under {', '.join(ex.models)}." if ex.models else ex.description
            act = make_action(self.window, f"example_{ex.id}", ex.title, self._example_slot(ex), tip=tip)
            act.setToolTip(f"<p>{tip}</p>")  # rich text wraps in a tooltip
            act.setData(ex.id)
            menu.addAction(act)
        return errors

    def _example_slot(self, example: Example) -> Callable[[], bool]:
        return lambda: self.load_example(example)

    def load_example(self, example: Example) -> bool:
        """Examples → an example: its plan, its notes above it, its models ticked."""
        if not self.confirm_discard():
            return False
        self.editor.set_plan(example.plan(), text=example.text)
        self.editor.set_notes(example.title, example.about)
        if example.models:
            self._set_models(example.models)
        self.path = None
        self._on_changed()
        models = f" — ticked {', '.join(example.models)}" if example.models else ""
        self._status(f"example: {example.title}{models}", 10_000)
        return True

    def open(self) -> bool:
        """File → Open plan…: pick a .plan file (after asking about unsaved changes)."""
        if not self.confirm_discard():
            return False
        name, _ = QFileDialog.getOpenFileName(self.window, "Open plan", self.settings.last_dir,
                                              "Plans (*.plan);;All files (*)")
        return bool(name) and self.open_path(Path(name))

    def open_path(self, path: Path) -> bool:
        try:
            text = path.read_text(encoding="utf-8")
            plan = parse(text)
        except (OSError, UnicodeDecodeError) as exc:
            QMessageBox.warning(self.window, APP_NAME, f"Could not open {path}:\n{exc}")
            return False
        except ConclabError as exc:
            QMessageBox.warning(self.window, APP_NAME, f"{path.name} is not a valid plan:\n{exc}")
            return False
        self.editor.set_plan(plan, text=text)
        self.path = path
        self.settings.last_dir = str(path.parent)
        try:
            header = read_example(path)
        except ConclabError:
            self.editor.set_notes("", "")
        else:
            self.editor.set_notes(header.title, header.about)
            if header.models:
                self._set_models(header.models)
        self._on_changed()
        self._status(f"opened {path}")
        return True

    def save(self) -> bool:
        """File → Save plan: to its file, or ask for one when it has none."""
        return self.save_to(self.path) if self.path else self.save_as()

    def save_as(self) -> bool:
        """File → Save plan as…: ask for a file name (".plan" is added when there is no suffix)."""
        start = str(Path(self.settings.last_dir) / (self.path.name if self.path else "untitled.plan"))
        name, _ = QFileDialog.getSaveFileName(self.window, "Save plan", start, "Plans (*.plan)")
        if not name:
            return False
        path = Path(name)
        return self.save_to(path if path.suffix else path.with_suffix(".plan"))

    def save_to(self, path: Path) -> bool:
        self.editor.flush()
        text = self.editor.text() if not self.editor.has_error() else format_plan(self.editor.plan(),
                                                                                  multiline=True)
        try:
            atomic_write_text(path, text if text.endswith("\n") else text + "\n")
        except ConclabError as exc:
            QMessageBox.warning(self.window, APP_NAME, str(exc))
            return False
        self.path = path
        self.settings.last_dir = str(path.parent)
        self.editor.mark_saved()
        self._on_changed()
        self._status(f"saved {path}", 5000)
        return True

    def confirm_discard(self) -> bool:
        """True when the plan may be replaced: it is saved, or the user saved or discarded the changes."""
        if not self.editor.is_modified():
            return True
        answer = QMessageBox.question(
            self.window, APP_NAME, "The plan has unsaved changes. Save them first?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard
