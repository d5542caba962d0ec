"""The Inside dock beside the timeline, and `install_inside(window)`: its wiring and the View menu's actions.

The dock holds the Inside panel and the code of the model shown. It follows the window's runs live,
then the finished document; a click or drag on the timeline moves its instant and the timeline's
cursor follows its stepping and playing, so the two always show the same t. An opened run file and a
replay are shown too (a replay's position, counted over its runs one after another, picks the run).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QEvent, QObject, Qt, SignalInstance
from PySide6.QtGui import QAction, QKeySequence, QResizeEvent, QShowEvent
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QSplitter, QToolButton, QWidget

from conclab.model.live import LiveFrame
from conclab.model.run import ModelRun, RunDocument
from conclab.model.session_spec import RunSpec
from conclab.ui.exports.run_file_actions import RunFileActions
from conclab.ui.inside.code_panel import CodePanel
from conclab.ui.inside.inside_keys import InsideKeys
from conclab.ui.inside.inside_panel import InsidePanel
from conclab.ui.inside.inside_session import ALL, InsideSession, Source
from conclab.ui.inside.presenter_window import PresenterWindow
from conclab.ui.inside.slide_export import SLIDE_KEYS, export_slide_dialog
from conclab.ui.shell.run_controller import RunController
from conclab.ui.shell.run_handle import RunHandle
from conclab.ui.timeline.timeline_view import TimelineView


class InsideHost(Protocol):
    """What the Inside dock needs from the main window (named here, so this module needs not import it).
    The window is also a QMainWindow, which `_main_window` checks."""

    timeline: TimelineView
    controller: RunController
    run_files: RunFileActions
    closed: SignalInstance

    def menu(self, name: str) -> QMenu: ...


def _main_window(host: InsideHost) -> QMainWindow:
    assert isinstance(host, QMainWindow), "the Inside dock goes into a main window"
    return host

TOGGLE_KEYS = "Ctrl+I"
DOCK_WIDTH = 430
SIDE_BY_SIDE_PX = 1000
PRESENTER_KEYS = "F11"


def code_workers(source: Source, tasks: int) -> int | None:
    """The worker count the script is written with: threads as a pool only when fewer than tasks."""
    workers = source.workers
    if source.model == "threads":
        return workers if workers and workers < tasks else None
    return workers if source.model == "processes" and workers else None


class InsideDock(QDockWidget):
    """The Inside panel and, beside it, the code of the model it shows."""

    def __init__(self, session: InsideSession, parent: QWidget | None = None) -> None:
        super().__init__("See inside", parent)
        self.setObjectName("inside_dock")
        self.setAllowedAreas(Qt.DockWidgetArea.AllDockWidgetAreas)
        self.session = session
        self.panel = InsidePanel(session, self)
        self.code = CodePanel(self)
        self.code_button = QToolButton(self)
        self.code_button.setText("Code")
        self.code_button.setCheckable(True)
        self.code_button.setChecked(True)
        self.code_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.code_button.setToolTip("Show the model's code beside the panel, each task's line highlighted")
        split = self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.panel)
        split.addWidget(self.code)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        self.panel.bar.addWidget(self.code_button)
        self.setWidget(split)
        self._sized = False
        self.setAccessibleName("See inside")
        self.code_button.toggled.connect(self.code.setVisible)
        self.keys = InsideKeys(session, self)
        self.keys.attach(self)
        self.wiring: _Wiring | None = None
        self.menu: InsideMenu | None = None
        session.changed.connect(self._on_changed)
        self._code_dirty = True

    def _on_changed(self) -> None:
        self._code_dirty = True
        if self.isVisible() and self.code.isVisible():
            self.update_code()

    def update_code(self) -> None:
        """Show the code of the run shown (in "all", the last one chosen) and its tasks' lines at t."""
        self._code_dirty = False
        s = self.session
        source = s.code_source()
        if source is None:
            self.code.show_code(None, "", None)
            return
        tasks = s.plan.task_count if s.plan is not None else 0
        self.code.show_code(s.plan, source.model, code_workers(source, tasks))
        picture = s.picture(source, self.panel.cap)
        self.code.show_tasks(picture.chips() if picture is not None else ())

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._code_dirty:
            self.update_code()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # Wide (floating, or dragged wide): the code beside the panel; else below it.
        wide = event.size().width() >= SIDE_BY_SIDE_PX
        orientation = Qt.Orientation.Horizontal if wide else Qt.Orientation.Vertical
        if self.splitter.orientation() != orientation or not self._sized:
            self.splitter.setOrientation(orientation)
            room = event.size().width() if wide else event.size().height()
            self.splitter.setSizes([round(room * 0.6), round(room * 0.4)])
            self._sized = True


class _Follower(QObject):
    """Follows one run handle into the Inside session — when it is the window's run, not a lesson's."""

    def __init__(self, wiring: _Wiring, handle: RunHandle) -> None:
        super().__init__(handle)
        self.wiring = wiring
        self.session = wiring.session
        self.following: bool | None = None  # decided when its first run starts (a lesson page says so by then)
        handle.run_started.connect(self._on_run_started)
        handle.frame_arrived.connect(self._on_frame)
        handle.run_finished.connect(self._on_run_finished)
        handle.finished.connect(self._on_finished)
        self.handle = handle

    def _on_run_started(self, index: int, spec: RunSpec) -> None:
        if self.following is None:
            self.following = not self.wiring.lesson_running()
            if self.following:
                self.wiring.begin(self.handle)
        if self.following:
            self.session.add_live(index, spec)

    def _on_frame(self, frame: LiveFrame) -> None:
        if self.following:
            self.session.apply_frame(frame)

    def _on_run_finished(self, index: int, run: ModelRun) -> None:
        if self.following:
            self.session.finish_run(index, run)

    def _on_finished(self, doc: RunDocument) -> None:
        if self.following:
            self.wiring.finished(doc)


class _Wiring(QObject):
    """Connects a main window's runs, timeline, run files and replay to the Inside session, and back."""

    def __init__(self, window: InsideHost, dock: InsideDock) -> None:
        super().__init__(dock)
        self.window = window
        self.session = dock.session
        self.timeline = window.timeline
        self.dock = dock
        self._document: RunDocument | None = None
        s = self.session
        window.controller.run_started.connect(self._on_run_started)
        self.timeline.section_clicked.connect(self._on_timeline_section)
        self.timeline.cursor_moved.connect(self._on_timeline_cursor)
        s.moved.connect(self._on_moved)
        files = window.run_files
        files.open_action.triggered.connect(self._on_file_document)
        files.replay_action.triggered.connect(self._on_file_document)
        files.replay.position_changed.connect(self._on_replay_position)
        files.replay.installEventFilter(self)
        dock.visibilityChanged.connect(self._on_dock_shown)

    def _on_run_started(self, handle: RunHandle) -> None:
        _Follower(self, handle)

    def lesson_running(self) -> bool:
        """Whether the lessons dock's page is running its lesson (its runs are shown on its own timeline)."""
        page = getattr(getattr(self.window, "lessons", None), "page", None)
        return bool(getattr(page, "running", False))

    def begin(self, handle: RunHandle) -> None:
        self.session.begin_session(handle.request.plan_text)
        self.timeline.set_cursor(None)

    def finished(self, doc: RunDocument) -> None:
        self._document = doc
        self.session.set_document(doc, keep_time=True)

    def _on_file_document(self) -> None:
        doc = self.window.run_files.document
        if doc is not None and doc is not self._document:
            self._document = doc
            self.session.set_document(doc)

    def _on_dock_shown(self, visible: bool) -> None:
        if visible:
            self.adopt_document()
            self.dock.panel.setFocus()  # opened to step through: the arrows act here at once

    def adopt_document(self) -> None:
        """Show the window's last document when nothing is shown yet (or a run file was opened since)."""
        if self.session.sources() and self.session.following:
            return
        doc = self.window.run_files.document or self.window.controller.last_document
        if doc is not None and doc.runs and doc is not self._document:
            self._document = doc
            self.session.set_document(doc)

    def _on_timeline_section(self, index: int) -> None:
        """A click on a run's section shows that run (the sections are the session's runs, in order)."""
        s = self.session
        if s.mode != ALL and 0 <= index < len(s.sources()):
            s.set_mode(index)

    def _on_timeline_cursor(self, t: float) -> None:
        self.session.seek(t)

    def _on_moved(self, t: float) -> None:
        if not self.window.run_files.replay.isVisible():
            self.timeline.set_cursor(t)

    def _on_replay_position(self, position: float) -> None:
        """A replay plays the runs one after another: its position names a run and an instant in it."""
        s = self.session
        self._on_file_document()
        start = 0.0
        sources = s.sources()
        for k, source in enumerate(sources):
            end = source.end()
            if position < start + end or k == len(sources) - 1:
                if s.mode != ALL:
                    s.set_mode(k)
                s.seek(position - start)
                return
            start += end

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # While the replay's bar is shown, Space is its play button's: the Inside panel leaves it alone.
        if event.type() in (QEvent.Type.Show, QEvent.Type.Hide):
            self.dock.keys.actions["play"].setEnabled(event.type() == QEvent.Type.Hide)
        return False


class InsideMenu(QObject):
    """The View menu's See inside (Ctrl+I), Presenter mode (F11) and Export slide (Ctrl+Shift+E)."""

    def __init__(self, host: InsideHost, dock: InsideDock) -> None:
        super().__init__(dock)
        self.host = host
        self.window = _main_window(host)
        self.dock = dock
        self.presenter: PresenterWindow | None = None
        view = host.menu("&View")
        view.addSeparator()
        self.toggle_action = dock.toggleViewAction()
        self.toggle_action.setObjectName("see_inside")
        self.toggle_action.setText("See &inside")
        self.toggle_action.setShortcut(QKeySequence(TOGGLE_KEYS))
        self.toggle_action.setStatusTip("What the event loop, the GIL and the cores do at one instant of the run")
        view.addAction(self.toggle_action)
        self.presenter_action = self._add("presenter_mode", "&Presenter mode", PRESENTER_KEYS, self.open_presenter,
                                          "Full screen: the timeline, the Inside panel and the verdicts, "
                                          "stepped with the keys")
        self.slide_action = self._add("export_slide", "Export &slide…", SLIDE_KEYS, self.export_slide,
                                      "A 16:9 picture of this instant: the timeline with its now line, "
                                      "inside, the verdicts")
        host.closed.connect(self.close_presenter)
        self._take_presenter_key()

    def _take_presenter_key(self) -> None:
        """F11 is presenter mode here (a full screen of its own); the window's plain full screen keeps its
        other standard keys (Alt+Enter, Ctrl+Shift+F…), so one key press never means both."""
        full = self.window.findChild(QAction, "full_screen")
        if full is None:
            return
        keep = [k for k in full.shortcuts() if k != QKeySequence(PRESENTER_KEYS)]
        if len(keep) != len(full.shortcuts()):
            full.setShortcuts(keep)
            shown = " or ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in keep)
            full.setToolTip(f"{full.statusTip()} ({shown})" if shown else full.statusTip())

    def _add(self, name: str, text: str, keys: str, slot: object, tip: str) -> QAction:
        act = QAction(text, self.window)
        act.setObjectName(name)
        act.setShortcut(QKeySequence(keys))
        act.setStatusTip(tip)
        act.setToolTip(f"{tip} ({keys})")
        act.triggered.connect(slot)
        self.host.menu("&View").addAction(act)
        return act

    def open_presenter(self) -> PresenterWindow:
        """Presenter mode, full screen, on the instant shown."""
        self.close_presenter()
        self._adopt()
        self.presenter = PresenterWindow(self.dock.session, self.window)
        self.presenter.destroyed.connect(self._on_presenter_gone)
        self.presenter.show_presenting()
        return self.presenter

    def _adopt(self) -> None:
        if self.dock.wiring is not None:
            self.dock.wiring.adopt_document()

    def close_presenter(self) -> None:
        if self.presenter is not None:
            self.presenter.close()
            self.presenter = None

    def _on_presenter_gone(self) -> None:
        self.presenter = None

    def export_slide(self) -> Path | None:
        self._adopt()
        return export_slide_dialog(self.dock.session, self.window)


def install_inside(host: InsideHost) -> InsideDock:
    """Add the Inside dock (hidden until asked for) beside the timeline, its stepping keys (where the dock or
    the timeline has the keyboard) and the View menu's See inside, Presenter mode and Export slide."""
    window = _main_window(host)
    dock = InsideDock(InsideSession(window), window)
    # The window restored its state before the dock existed: where the user left it last time, if anywhere.
    if not window.restoreDockWidget(dock):
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        window.resizeDocks([dock], [DOCK_WIDTH], Qt.Orientation.Horizontal)
        dock.hide()
    dock.keys.attach(host.timeline)
    dock.wiring = _Wiring(host, dock)
    dock.menu = InsideMenu(host, dock)
    return dock
