"""One lesson's page, in the order a learner meets it: the title, the question and the prediction (nothing
that gives the answer away); Run; the timeline as the runs are measured; then what was measured — every
claim checked, the prediction judged with the measured numbers, and the lesson's explanation.

The page hands the lesson's request to the window's one RunController and listens only to the handle it
gets back; runs inside the window are made by the controller. Runs this machine cannot make (a missing
interpreter) are named before the run and left out; the lesson's saved run, if it ships one, is shown
after the run under a heading that says it was measured elsewhere. Verdicts come from `lesson_result`.
"""

from __future__ import annotations

import asyncio
import functools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QWidget

from conclab.engines.interpreters import resolve
from conclab.model.captions import captions_for
from conclab.model.errors import ConclabError
from conclab.model.lesson_result import LessonResult, lesson_result
from conclab.model.lesson_runs import Unmade, runnable
from conclab.model.lessons import Lesson
from conclab.model.plan import Plan
from conclab.model.run import ModelRun, RunDocument
from conclab.model.runfile import load_run_file
from conclab.model.session_spec import RunSpec, Runtime, SessionRequest
from conclab.ui.lessons.lesson_page_layout import LessonPageBaseView, pin_caption, runs_html, unmade_text
from conclab.ui.plan_editor.code_dialog import CodeDialog
from conclab.ui.shell.run_controller import RunController
from conclab.ui.shell.run_handle import RunHandle, RunState
from conclab.ui.shell.run_titles import spec_title, window_cost_text

SAVED_LABEL = "saved run, measured elsewhere"


class LessonPageView(LessonPageBaseView):
    """Shows one lesson. `lesson_completed(LessonResult)` is emitted when every run of the lesson was
    measured to the end here (the lessons list records the progress from it); `run_ended(RunDocument,
    LessonResult)` whenever a run of the page ends, finished, stopped or failed; `runs_checked` once the
    open lesson's runs this machine can make are known (`unmade()` is no longer None)."""

    lesson_completed = Signal(object)  # LessonResult
    run_ended = Signal(object, object)  # RunDocument, LessonResult
    runs_checked = Signal()

    def __init__(self, controller: RunController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self._lesson: Lesson | None = None
        self._plan: Plan | None = None
        self._handle: RunHandle | None = None
        self._total = 0
        self._error = ""
        self._runs: list[ModelRun] = []
        self._result: LessonResult | None = None
        self._unmade: list[Unmade] | None = []
        self._checking: asyncio.Task[None] | None = None
        self._captions: list[str] = []
        self._code_dialog: CodeDialog | None = None
        self.prediction.answered.connect(self._on_answered)
        self.run_button.clicked.connect(self._on_run_clicked)
        self.stop_button.clicked.connect(self.stop)
        self.code_button.clicked.connect(self.show_code)
        # Any run (this page's or the main window's) holds the lab: Run is offered again when it ends.
        controller.run_started.connect(self._on_any_run_started)
        self._update()

    # -- the lesson -----------------------------------------------------------------------------
    def lesson(self) -> Lesson | None:
        return self._lesson

    def plan(self) -> Plan | None:
        """The open lesson's plan."""
        return self._plan

    def set_lesson(self, lesson: Lesson) -> bool:
        """Open a lesson at its question; refused (False) while this page's run is going."""
        if self.running:
            self.status.setText("Stop the running lesson first.")
            return False
        self._lesson, self._plan = lesson, lesson.plan()
        self.title.setText(lesson.title)
        self.question.setText(lesson.question)
        self.runs_label.setText(runs_html(lesson))
        self.prediction.set_prediction(lesson.prediction)
        self.show_switch(lesson.switch_interval_ms)
        self._clear_results()
        self._check_interpreters(lesson)
        self.scroll_to_top()
        self._update()
        return True

    def _check_interpreters(self, lesson: Lesson) -> None:
        """Find out which runs this machine can make: at once when no run names an interpreter, else off
        the window's thread (asking interpreters what they are may take a moment the first time)."""
        if self._checking is not None:
            self._checking.cancel()
            self._checking = None
        check = functools.partial(runnable, lesson.request(), resolve, window=True)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None or not any(r.python for r in lesson.runs):
            self._set_unmade(lesson, check()[1])
            return
        self._set_unmade(lesson, None)
        # A thread of its own that ends with the check: nothing is left running when the window closes.
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="conclab-interpreters")
        future = asyncio.wrap_future(pool.submit(check), loop=loop)
        pool.shutdown(wait=False)

        async def checked() -> None:
            try:
                _request, unmade = await future
            except Exception as exc:
                unmade = [Unmade(r.name, f"its Python could not be looked for: {exc}") for r in lesson.runs if r.python]
            self._set_unmade(lesson, unmade)

        self._checking = loop.create_task(checked())

    def _set_unmade(self, lesson: Lesson, unmade: list[Unmade] | None) -> None:
        if lesson is not self._lesson:
            return
        self._unmade = unmade
        self.unmade_label.setText(unmade_text(lesson, unmade) if unmade else "")
        self.unmade_label.setVisible(bool(unmade))
        self._update()
        if unmade is not None:
            self.runs_checked.emit()

    def unmade(self) -> list[Unmade] | None:
        """The open lesson's runs this machine cannot make (None while that is being found out)."""
        return None if self._unmade is None else list(self._unmade)

    def choose_prediction(self, index: int) -> None:
        """Answer the prediction with choice `index` (as a click on its radio button does)."""
        self.prediction.choose(index)

    def skip_prediction(self) -> None:
        self.prediction.skip()

    def chosen(self) -> int | None:
        return self.prediction.chosen()

    def _on_answered(self) -> None:
        self._update()

    # -- running --------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """True while this page's lesson run is going."""
        return self._handle is not None

    def can_run(self) -> bool:
        return (self._lesson is not None and self.prediction.is_answered and self._unmade is not None
                and not self.controller.running)

    def _on_run_clicked(self) -> None:
        self.run()

    def run(self) -> bool:
        """Run the lesson's runs that can be made here; False when it cannot start now."""
        lesson = self._lesson
        if not self.can_run() or lesson is None:
            return False
        request = self.request()
        self._clear_results()
        self.timeline.reserve([(spec.model, spec_title(spec)) for spec in request.runs])
        if not request.runs:
            self._end(RunDocument(lesson.plan_text, {}, {}, []), RunState.FINISHED)
            return True
        try:
            handle = self.controller.start(request)
        except ConclabError as exc:
            self.status.setText(str(exc))
            return False
        if handle is None:
            return False
        self._handle, self._total, self._error = handle, len(request.runs), ""
        self.timeline.show()
        handle.run_started.connect(self._on_run_started)
        handle.frame_arrived.connect(self.timeline.apply_frame)
        handle.run_finished.connect(self._on_run_measured)
        handle.failed.connect(self._on_failed)
        handle.finished.connect(self._on_finished)
        self._update()
        return True

    def request(self) -> SessionRequest:
        """What Run hands to the controller: the lesson's request at the chosen switch interval, without the
        runs this machine cannot make."""
        if self._lesson is None:
            raise ConclabError("no lesson is open")
        switch = self.switch_ms.value() if self._lesson.switch_interval_ms is not None else None
        request = self._lesson.request(switch)
        skip = {u.label for u in self._unmade or []}
        return replace(request, runs=tuple(r for r in request.runs if r.name not in skip))

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.stop()

    def _on_run_started(self, index: int, spec: RunSpec) -> None:
        names = {t.id: t.name for t in self._plan.tasks()} if self._plan is not None else {}
        self.timeline.begin_live(spec.model, title=spec_title(spec), names=names)
        self.fit_timeline()
        self.status.setText(f"Measuring {spec_title(spec)} — run {index + 1} of {self._total}…")

    def _on_run_measured(self, _index: int, run: ModelRun) -> None:
        self._runs.append(run)
        self.timeline.end_live(run)
        self._add_captions(self.timeline.section_count() - 1, run)

    def _on_failed(self, error: str) -> None:
        self._error = error

    def _on_finished(self, doc: RunDocument) -> None:
        self.timeline.end_session()
        handle, self._handle = self._handle, None
        self._end(doc, handle.state if handle is not None else RunState.FAILED)

    def _on_any_run_started(self, handle: RunHandle) -> None:
        handle.finished.connect(self._on_any_run_finished)
        self._update()

    def _on_any_run_finished(self, _doc: RunDocument) -> None:
        self._update()

    # -- results --------------------------------------------------------------------------------
    def _end(self, doc: RunDocument, state: RunState) -> None:
        lesson = self._lesson
        if lesson is None:
            return
        result = lesson_result(lesson, doc, self.chosen(), complete=None if state == RunState.FINISHED else False)
        self._result = result
        self._captions += [t for r in doc.runs if r.runtime == Runtime.WINDOW and (t := window_cost_text(r))]
        shown = list(self._runs)
        if state == RunState.FINISHED and self._unmade:
            shown += self._show_saved(lesson)
        self.caption_label.setText("\n".join(f"• {c}" for c in self._captions))
        self.caption_label.setVisible(bool(self._captions))
        self.metrics.set_runs(shown)
        self.metrics.setMinimumHeight(self.metrics.table_height() + self.metrics.overhead_label.sizeHint().height())
        self.metrics.setVisible(bool(shown))
        self.results.show_result(result, state, self._error)
        self.results.show()
        self.status.setText({RunState.FINISHED: "Finished: what was measured is below.",
                             RunState.STOPPED: "Stopped: what was measured before the stop is below."}
                            .get(state, f"The run failed: {self._error}"))
        if result.complete:
            self.lesson_completed.emit(result)
        self.run_ended.emit(doc, result)
        self._update()
        QTimer.singleShot(0, self, self.scroll_to_results)

    def _show_saved(self, lesson: Lesson) -> list[ModelRun]:
        """The lesson's saved run beside the runs made here, labelled as measured elsewhere."""
        path = lesson.saved_run
        if path is None:
            return []
        try:
            saved = load_run_file(path)
        except ConclabError as exc:
            self.results.show_saved_problem(f"The saved run of this lesson cannot be read: {exc}")
            return []
        self.results.show_saved(lesson_result(lesson, saved, self.chosen()), dict(saved.machine),
                                [u.label for u in self._unmade or []])
        runs = [replace(r, label=f"{r.name} ({SAVED_LABEL})") for r in saved.runs]
        for run in runs:
            self.timeline.begin_live(run.model, title=run.name, names=run.task_names())
            self.timeline.end_live(run)
        self.fit_timeline()
        return runs

    def _clear_results(self) -> None:
        self._runs, self._captions, self._result = [], [], None
        self.timeline.clear()
        self.fit_timeline()
        self.metrics.clear()
        self.results.clear()
        self.caption_label.setText("")
        for w in (self.timeline, self.caption_label, self.results, self.metrics):
            w.hide()

    def _add_captions(self, index: int, run: ModelRun) -> None:
        unpinned = 0
        for caption in captions_for(run, self._plan):
            pin_caption(self.timeline, index, caption, unpinned)
            unpinned += caption.lane is None
            self._captions.append(f"{run.name}: {caption.text} (at {caption.t:.2f} s)")
        self.caption_label.setText("\n".join(f"• {c}" for c in self._captions))
        self.caption_label.setVisible(bool(self._captions))

    def result(self) -> LessonResult | None:
        """The result of the page's last run (None before one ended)."""
        return self._result

    def runs(self) -> list[ModelRun]:
        """The runs measured here by the page's last run."""
        return list(self._runs)

    def caption_texts(self) -> list[str]:
        return list(self._captions)

    def verdict_texts(self) -> list[str]:
        return self.results.verdict_texts()

    def prediction_text(self) -> str:
        return self.results.prediction.text() if self.results.isVisibleTo(self) else ""

    def explanation_text(self) -> str:
        shown = self.results.isVisibleTo(self) and self.results.explanation.isVisibleTo(self)
        return self.results.explanation.text() if shown else ""

    # -- show as code and buttons -----------------------------------------------------------------
    def show_code(self) -> CodeDialog | None:
        """Open "Show as code" for the lesson's plan under its first non-sequential model."""
        if self._lesson is None or self._plan is None:
            return None
        if self._code_dialog is not None:
            self._code_dialog.close()
            self._code_dialog.deleteLater()
        model = next((m for m in self._lesson.models if m != "sequential"), self._lesson.models[0])
        self._code_dialog = CodeDialog(self._plan, model, self._lesson.workers, self)
        self._code_dialog.show()
        return self._code_dialog

    def _update(self) -> None:
        self.run_button.setEnabled(self.can_run())
        self.stop_button.setEnabled(self.running)
        self.code_button.setEnabled(self._lesson is not None)
        self.prediction.set_locked(self.running)
        self.switch_ms.setEnabled(not self.running)
        if self.running:
            return
        if self._lesson is None:
            hint = "Choose a lesson from the list."
        elif self._unmade is None:
            hint = "Looking for the Pythons this lesson needs…"
        elif not self.prediction.is_answered:
            hint = "Answer the prediction (or skip it), then run."
        elif self.controller.running:
            hint = "Another run is going; Run is offered again when it ends."
        else:
            hint = "Run to measure it on this machine."
        self.run_button.setToolTip(hint)
        if self._result is None:
            self.status.setText(hint)

