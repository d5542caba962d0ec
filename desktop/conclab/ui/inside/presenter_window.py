"""Presenter mode: full screen, large type, the timeline, the Inside panel and the verdicts — nothing else.

It shows the window's Inside session, so stepping here moves the dock and the window's timeline too.
Keys: ←/→ and Shift+←/→ step, Space plays, [ and ] change the speed, 1–9 choose a run, A shows all
runs on one clock, Ctrl+Shift+E exports the slide of the instant, Esc or F11 leave.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QCloseEvent, QFont, QKeySequence
from PySide6.QtWidgets import QLabel, QSplitter, QVBoxLayout, QWidget

from conclab.ui.inside.inside_keys import InsideKeys
from conclab.ui.inside.inside_panel import InsidePanel
from conclab.ui.inside.inside_session import ALL, InsideSession
from conclab.ui.inside.slide_export import SLIDE_KEYS, export_slide_dialog
from conclab.ui.inside.verdicts import question_for, verdict_lines
from conclab.ui.timeline.timeline_view import TimelineView

FONT_SCALE = 1.6
PRESENTER_CAP = 8  # fewer chips per box: large type, read from the back of a room


class PresenterWindow(QWidget):
    """A full-screen window over the main one, showing one instant of the session in large type."""

    def __init__(self, session: InsideSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowFlag(Qt.WindowType.Window)
        self.setWindowTitle("Concurrency Lab — presenter")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.session = session
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * FONT_SCALE)
        self.setFont(font)
        self.title = QLabel(self)
        self.title.setWordWrap(True)
        self.question = QLabel(self)
        self.question.setWordWrap(True)
        self.timeline = TimelineView(self)
        self.panel = InsidePanel(session, self, cap=PRESENTER_CAP)
        self.verdicts = QLabel(self)
        self.verdicts.setWordWrap(True)
        self.verdicts.setTextFormat(Qt.TextFormat.RichText)
        self.keys = InsideKeys(session, self, Qt.ShortcutContext.WindowShortcut)
        self.keys.attach(self)
        self._shown_runs: list[int] | None = None
        self._build_layout()
        self._add_keys()
        session.changed.connect(self._on_changed)
        session.moved.connect(self.timeline.set_cursor)
        self.timeline.cursor_moved.connect(session.seek)
        self.setAccessibleName("Presenter mode")
        self._on_changed()

    def _build_layout(self) -> None:
        big = QFont(self.font())
        big.setPointSizeF(big.pointSizeF() * 1.4)
        big.setBold(True)
        self.title.setFont(big)
        left = QWidget(self)
        col = QVBoxLayout(left)
        col.setContentsMargins(0, 0, 0, 0)
        col.addWidget(self.timeline, 3)
        col.addWidget(self.verdicts, 1)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(left)
        split.addWidget(self.panel)
        split.setSizes([1000, 900])
        box = QVBoxLayout(self)
        box.setContentsMargins(16, 12, 16, 12)
        box.addWidget(self.title)
        box.addWidget(self.question)
        box.addWidget(split, 1)

    def _add_keys(self) -> None:
        slide = QAction(self)
        slide.setShortcut(QKeySequence(SLIDE_KEYS))
        slide.triggered.connect(lambda _=False: export_slide_dialog(self.session, self))
        self.addAction(slide)
        modes = [("A", ALL)] + [(str(n), n - 1) for n in range(1, 10)]
        for keys, mode in [("Esc", None), ("F11", None), *modes]:
            act = QAction(self)
            act.setShortcut(QKeySequence(keys))
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            if mode is None:
                act.triggered.connect(lambda _=False: self.close())
            else:
                act.triggered.connect(lambda _=False, m=mode: self.session.set_mode(m))
            self.addAction(act)

    def show_presenting(self) -> None:
        """Show full screen, the keyboard here."""
        owner = self.parentWidget()
        screen = owner.screen() if owner is not None else self.screen()
        if screen is not None:
            # Without a window manager (a bare X server, a kiosk) full screen is only a state: size it too.
            self.setGeometry(screen.geometry())
        self.showFullScreen()
        self.raise_()
        self.activateWindow()
        self.panel.setFocus()

    def _on_changed(self) -> None:
        s = self.session
        shown = s.shown()
        runs = [src.run for src in shown if src.run is not None]
        keys = [id(r) for r in runs]
        if keys != self._shown_runs:
            self._shown_runs = keys
            self.timeline.set_runs(runs)
            lines = verdict_lines(runs, s.plan)
            self.verdicts.setText("".join(f"<p>• {line}</p>" for line in lines) or
                                  "<p>Run a plan: the verdicts come from what it measured.</p>")
        self.timeline.set_cursor(s.t)
        names = ", ".join(src.name for src in shown) or "no run yet"
        self.title.setText(f"Inside {names} · t = {s.t:.3f} s")
        self.question.setText(question_for([src.model for src in shown] or ["?"], s.t))

    def closeEvent(self, event: QCloseEvent) -> None:
        self.session.changed.disconnect(self._on_changed)
        self.session.moved.disconnect(self.timeline.set_cursor)
        self.timeline.close()
        super().closeEvent(event)
