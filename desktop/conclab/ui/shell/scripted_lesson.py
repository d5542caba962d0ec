"""`conclab --lesson ID [--run] [--save-run OUT.json]`: open a lesson in the Lessons dock and, if asked, run
it exactly as its Run button does, then save the run with the lesson's verdicts (the form of
`conclab lesson ID --json`). Teachers prepare material with it; tests hold the lesson page to the truth."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from conclab.model.errors import ConclabError
from conclab.model.fileio import atomic_write_text
from conclab.model.lesson_result import LessonResult, document_with_lesson
from conclab.model.run import RunDocument
from conclab.model.runfile import to_dict

if TYPE_CHECKING:
    from conclab.ui.shell.main_window import MainWindow


def open_scripted_lesson(window: MainWindow, lesson_id: str, run: bool, save_run: Path | None, status: list[int],
                         finish: Callable[[], None]) -> None:
    """Open the lesson; with `run`, press its Run (the prediction left unanswered) and, once the run ends,
    save it to `save_run` if given; then `finish` (screenshot, close). `status[0]` becomes the exit status."""
    if not window.lessons.open_lesson(lesson_id):
        print(f"conclab: could not open the lesson {lesson_id!r}", file=sys.stderr, flush=True)
        status[0] = 2
        finish()
        return
    if not run:
        finish()
        return
    page = window.lessons.page
    window.ask_before_long_runs = False

    def ended(doc: RunDocument, result: LessonResult) -> None:
        page.run_ended.disconnect(ended)
        if save_run is not None:
            try:
                atomic_write_text(save_run, json.dumps(document_with_lesson(to_dict(doc), result),
                                                       ensure_ascii=False))
                print(f"saved run {save_run}", flush=True)
            except (ConclabError, OSError) as exc:
                print(f"conclab: could not save the run: {exc}", file=sys.stderr, flush=True)
                status[0] = 1
        if result.failed:
            status[0] = status[0] or 1
        finish()

    page.skip_prediction()

    def press_run() -> None:
        page.run_ended.connect(ended)
        page.run_button.click()
        if not page.running and page.result() is None:
            page.run_ended.disconnect(ended)
            print(f"conclab: the lesson did not start: {page.status.text()}", file=sys.stderr, flush=True)
            status[0] = 2
            finish()

    if page.unmade() is not None:
        press_run()
        return

    def checked() -> None:  # the lesson names other Pythons: Run is offered once they have been looked for
        page.runs_checked.disconnect(checked)
        press_run()

    page.runs_checked.connect(checked)
