"""The Inside panel: which run (or all), the instant and its controls, and one Inside view per run shown."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from conclab.ui.inside.inside_session import ALL, SPEEDS, InsideSession
from conclab.ui.inside.inside_view import InsideView
from conclab.ui.inside.picture import CAP

WIDE_PX = 900  # wider than this, "all models" shows two runs per row


class InsidePanel(QWidget):
    """Shows a session's instant: the controls above, the runs' Inside views below. `scale` enlarges text."""

    def __init__(self, session: InsideSession, parent: QWidget | None = None, *, cap: int = CAP,
                 scale: float = 1.0, animate: bool = True) -> None:
        super().__init__(parent)
        self.session = session
        self.cap = cap
        self.animate = animate
        self.views: list[InsideView] = []
        self.titles: list[QLabel] = []
        self._dirty = True
        self._placed = 0
        self._refresh = QTimer(self)
        self._refresh.setSingleShot(True)
        self._refresh.setInterval(0)
        if scale != 1.0:
            font = QFont(self.font())
            font.setPointSizeF(font.pointSizeF() * scale)
            self.setFont(font)
        self.run_box = QComboBox(self)
        self.run_box.setAccessibleName("run shown inside")
        self.run_box.setToolTip("The run to look inside, or all of them on one clock")
        self.run_box.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.back_button = self._button("◀", "Previous change (←); Shift+← goes back 10 ms")
        self.next_button = self._button("▶", "Next change (→); Shift+→ goes on 10 ms")
        self.play_button = self._button("Play", "Play from this instant (Space)")
        self.speed_box = QComboBox(self)
        self.speed_box.addItems([f"{s:g}x" for s in SPEEDS])
        self.speed_box.setToolTip("Play speed: 0.05x shows a 1 s run in 20 s")
        self.speed_box.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.time_label = QLabel(self)
        self.time_label.setAccessibleName("instant")
        self.follow_label = QLabel(self)
        self.follow_label.setTextFormat(Qt.TextFormat.RichText)
        self.follow_label.setToolTip("Click a task's chip to step through its changes only; click it again for all")
        self.follow_label.linkActivated.connect(lambda _l: self.session.select_task(None))
        self._grid = QGridLayout()
        self._build_layout()
        self._connect()
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("Inside panel")
        self._on_runs_changed()

    def _button(self, text: str, tip: str) -> QToolButton:
        b = QToolButton(self)
        b.setText(text)
        b.setToolTip(tip)
        b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        return b

    def _build_layout(self) -> None:
        bar = self.bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        for w in (self.run_box, self.back_button, self.next_button, self.play_button, self.speed_box):
            bar.addWidget(w)
        bar.addWidget(self.time_label, 1)
        box = QVBoxLayout(self)
        box.setContentsMargins(4, 4, 4, 4)
        box.addLayout(bar)
        box.addWidget(self.follow_label)
        box.addLayout(self._grid, 1)

    def _connect(self) -> None:
        s = self.session
        s.changed.connect(self._schedule)
        s.runs_changed.connect(self._on_runs_changed)
        s.playing_changed.connect(lambda on: self.play_button.setText("Pause" if on else "Play"))
        self._refresh.timeout.connect(self.refresh)
        self.run_box.activated.connect(self._on_run_chosen)
        self.back_button.clicked.connect(lambda: s.step(-1))
        self.next_button.clicked.connect(lambda: s.step(+1))
        self.play_button.clicked.connect(s.toggle_play)
        self.speed_box.activated.connect(lambda i: s.set_speed(SPEEDS[i]))

    # -- drawing -----------------------------------------------------------------------------------
    def _schedule(self) -> None:
        self._dirty = True
        if self.isVisible() and not self._refresh.isActive():
            self._refresh.start()

    def refresh(self) -> None:
        """Draw the session's instant now (normally done once per burst of changes)."""
        self._dirty = False
        s = self.session
        shown = s.shown()
        self._ensure_views(len(shown))
        for view, title, source in zip(self.views, self.titles, shown, strict=False):
            title.setText(f"<b>{source.name}</b>" + (" · measuring…" if source.live is not None else ""))
            view.show_picture(s.picture(source, self.cap), self.animate)
            view.set_selected(s.selected)
        self._update_controls()

    def _columns(self, n: int) -> int:
        return 2 if n > 1 and self.width() > WIDE_PX else 1

    def _ensure_views(self, n: int) -> None:
        if n == len(self.views) and self._placed == self._columns(n):
            return
        while self._grid.count():
            item = self._grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.hide()
        while len(self.views) < n:
            view = InsideView(self, animate=self.animate)
            view.chip_clicked.connect(self._on_chip_clicked)
            self.views.append(view)
            self.titles.append(QLabel(self))
        for extra in [*self.views[n:], *self.titles[n:]]:
            extra.deleteLater()
        del self.views[n:], self.titles[n:]
        columns = self._placed = self._columns(n)
        for i, (view, title) in enumerate(zip(self.views, self.titles, strict=True)):
            row, col = divmod(i, columns)
            self._grid.addWidget(title, 2 * row, col)
            self._grid.addWidget(view, 2 * row + 1, col)
            self._grid.setRowStretch(2 * row + 1, 1)
            title.show()
            view.show()
            title.setVisible(n > 1)

    def _update_controls(self) -> None:
        s = self.session
        self.time_label.setText(f"t = {s.t:.3f} s" + (" (now)" if s.following else ""))
        if s.selected is None:
            self.follow_label.setText("Stepping through every task's changes · click a task to follow it")
        else:
            self.follow_label.setText(f"Stepping through <b>{s.task_name(s.selected)}</b> only · "
                                      '<a href="all">every task</a>')
        k = min(range(len(SPEEDS)), key=lambda i: abs(SPEEDS[i] - s.speed))
        self.speed_box.setCurrentIndex(k)
        index = self.run_box.findData(s.mode)
        if index >= 0:
            self.run_box.setCurrentIndex(index)

    def _on_runs_changed(self) -> None:
        self.run_box.clear()
        sources = self.session.sources()
        for i, source in enumerate(sources):
            self.run_box.addItem(source.name, i)
        if len(sources) > 1:
            self.run_box.addItem("All runs, one clock", ALL)
        self.run_box.setEnabled(len(sources) > 1)
        self._schedule()

    def _on_run_chosen(self, index: int) -> None:
        mode = self.run_box.itemData(index)
        if isinstance(mode, int):
            self.session.set_mode(mode)

    def _on_chip_clicked(self, task: int) -> None:
        s = self.session
        s.select_task(None if s.selected == task else task)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._placed and self._placed != self._columns(len(self.views)):
            self._schedule()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._dirty:
            self._schedule()
