"""The Help guide: getting started, the plan grammar, the colours of the timeline, the metrics, the shortcuts.

Everything that the app defines elsewhere is read from there, so the guide cannot drift from the app: the
step kinds from the plan model, the colours from the palette and their words from the trace's legend,
the metrics from the metrics panel's rows, and the shortcuts from the window's own actions.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTabWidget, QTextBrowser, QVBoxLayout, QWidget

from conclab.model.plan import KIND_HELP, KINDS
from conclab.model.trace import Cause, State, state_label
from conclab.ui.palette import BEST_HEX, FREEZE_HEX, LAG_HEX, STATE_HEX
from conclab.ui.shell.actions import keys_text, shortcut_rows
from conclab.ui.timeline.metrics_panel import ROWS

SECTIONS = ("start", "plans", "colours", "metrics", "shortcuts")
_TITLES = {"start": "Getting started", "plans": "Plans", "colours": "Colours", "metrics": "Metrics",
           "shortcuts": "Shortcuts"}
_CSS = ("<style>td { padding: 3px 10px 3px 0; vertical-align: top; } h3 { margin-top: 14px; } "
        "pre { margin-left: 12px; }</style>")


def _swatch(hex_colour: str) -> str:
    return f'<span style="color:{hex_colour}; font-size: large">&#9632;</span>'


def _keys(window: QWidget, name: str) -> str:
    from PySide6.QtGui import QAction

    act = window.findChild(QAction, name)
    shown = keys_text(act) if act is not None else ""
    return f" ({escape(shown)})" if shown else ""


def start_html(window: QWidget) -> str:
    run, stop, fit = _keys(window, "run"), _keys(window, "stop"), _keys(window, "fit_timeline")
    return _CSS + f"""<h2>Concurrency Lab</h2>
<p>Build a plan of tasks, run it under several concurrency models, and see what ran when — every number
measured on this machine, nothing taken on trust.</p>
<ol>
<li><b>Plan</b> — edit the tasks in the <i>Form</i> tab or type them in the <i>Text</i> tab; both stay in
step. Or pick a ready-made plan from the <b>Examples</b> menu: it ticks the models it is meant for.</li>
<li><b>Models</b> — tick the models to compare: <i>sequential</i> (the baseline), <i>asyncio</i>,
<i>threads</i>, <i>processes</i>. <b>Python</b> chooses which interpreters run them (each ticked Python runs
every ticked model); <b>Run in</b> chooses the lab (a separate process the window only watches) or this
window itself.</li>
<li><b>Run</b>{run} — the models run one after another, stacked on one time axis. <b>Stop</b>{stop} ends
the run within a fraction of a second. A run that would take more than a minute asks first.</li>
<li><b>Read</b> the timeline — one lane per worker, coloured by state (see <i>Colours</i>) — and the
metrics table under it (see <i>Metrics</i>). Hover a bar or a row name for details; wheel to zoom, drag to
pan, fit the whole run{fit}.</li>
<li><b>Lessons</b> — guided questions: predict, run, and see every claim checked against what was just
measured.</li>
</ol>
<p>Runs can be saved (<b>File → Save run</b>) and opened again exactly as recorded, exported as pictures,
CSV or Chrome traces, and replayed slowly (<b>View → Replay run</b>).</p>"""


def plans_html() -> str:
    kinds = "".join(f"<tr><td><b>{k}</b></td><td>{escape(KIND_HELP[k])}</td></tr>" for k in KINDS)
    return _CSS + f"""<h2>Plans</h2>
<p>A plan is a list of tasks; a task is a list of steps. One group of identical tasks per line (or separated
by <code>;</code>); <code>#</code> starts a comment.</p>
<pre>3x fetch: net 200ms, cpu 20ms, net 100ms
2x crunch: cpu 300ms
logger: after 500ms block 150ms</pre>
<h3>Grammar</h3>
<pre>group = [COUNT x] [NAME:] [after DUR] [every DUR] [limit N] [timeout DUR]
        step {{, step}}
step  = KIND DUR [in thread | in process]
DUR   = NUMBER us | ms | s          (200ms, 1.5s, 250us)</pre>
<p>Every duration needs its unit: <code>1</code> alone is refused, <code>1s</code> or <code>1ms</code> is
taken.</p>
<h3>Step kinds</h3><table>{kinds}</table>
<h3>Options of a group</h3><table>
<tr><td><code>3x</code></td><td>three identical tasks</td></tr>
<tr><td><code>name:</code></td><td>the tasks' name on the timeline (letters, digits, _ - .)</td></tr>
<tr><td><code>after 200ms</code></td><td>the first task starts 200 ms after the run starts</td></tr>
<tr><td><code>every 100ms</code></td><td>each further task starts 100 ms after the one before</td></tr>
<tr><td><code>limit 10</code></td><td>at most 10 of the group's tasks run at once (a semaphore)</td></tr>
<tr><td><code>timeout 2s</code></td><td>a task not done 2 s after it was due fails as timed out</td></tr>
<tr><td><code>in thread</code></td><td>under asyncio, run this step in a worker thread (asyncio.to_thread)</td></tr>
<tr><td><code>in process</code></td><td>under asyncio, run this step in a process pool</td></tr></table>"""


def colours_html() -> str:
    rows = [(STATE_HEX[s], state_label(s, "threads")) for s in State if s != State.READY_WAIT]
    rows[2:2] = [(STATE_HEX[State.READY_WAIT], state_label(State.READY_WAIT, "", c))
                 for c in (Cause.LOOP, Cause.GIL, Cause.CORE, Cause.GIL_OR_CORE)]
    table = "".join(f"<tr><td>{_swatch(h)}</td><td>{escape(words)}</td></tr>" for h, words in rows)
    return _CSS + f"""<h2>Colours</h2>
<p>Each bar of the timeline is one span of one task in one state. The colours stay distinguishable with the
common forms of colour blindness.</p>
<table>{table}</table>
<p>“Ready” is the heart of it: a task that could run but is held back — by the event loop under asyncio,
by the GIL under threads, or by no free core. Both waits are drawn the same way because they are the same
thing.</p>
<h3>Under the lanes</h3><table>
<tr><td>{_swatch(LAG_HEX)}</td><td>loop lag — how late the measured program's heartbeat ticked (every 10 ms)
</td></tr>
<tr><td>{_swatch(FREEZE_HEX)}</td><td>frozen — the loop was late by more than 100 ms: the program could not
react at all</td></tr>
<tr><td>{_swatch(BEST_HEX)}</td><td>in the metrics: the clearly best value of a row</td></tr></table>"""


def metrics_html() -> str:
    rows = "".join(f"<tr><td><b>{escape(r.label)}</b></td><td>{escape(r.tooltip)}</td></tr>" for r in ROWS)
    return _CSS + f"""<h2>Metrics</h2>
<p>One column per run, one row per metric. A value is highlighted as best only when it is better than
another run's by more than the measurement noise of its row; lag is called best only when it is low
enough to be responsive.</p><table>{rows}</table>"""


def shortcuts_html(window: QWidget) -> str:
    rows = shortcut_rows(window)
    body, last = [], None
    for row in rows:
        if row.where != last:
            body.append(f'<tr><td colspan="2"><h3>{escape(row.where)}</h3></td></tr>')
            last = row.where
        body.append(f"<tr><td><b>{escape(row.keys)}</b></td><td>{escape(row.what)}</td></tr>")
    return _CSS + f"<h2>Shortcuts</h2><table>{''.join(body)}</table>"


class HelpDialog(QDialog):
    """A non-modal guide in tabs; built from the window each time it is shown, so it is never stale."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.setObjectName("help_dialog")
        self.setWindowTitle("Concurrency Lab — Help")
        self._window = window
        self.tabs = QTabWidget(self)
        self.pages: dict[str, QTextBrowser] = {}
        for name in SECTIONS:
            page = QTextBrowser(self)
            page.setOpenExternalLinks(True)
            page.setAccessibleName(_TITLES[name])
            self.pages[name] = page
            self.tabs.addTab(page, _TITLES[name])
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(buttons)
        self.refresh()

    def sizeHint(self) -> QSize:
        return QSize(760, 620)

    def refresh(self) -> None:
        """Rebuild every page from the app's current definitions and the window's actions."""
        html = {"start": start_html(self._window), "plans": plans_html(), "colours": colours_html(),
                "metrics": metrics_html(), "shortcuts": shortcuts_html(self._window)}
        for name, page in self.pages.items():
            page.setHtml(html[name])

    def show_section(self, name: str) -> None:
        """Show the guide at a section ("start", "plans", "colours", "metrics", "shortcuts")."""
        self.refresh()
        self.tabs.setCurrentIndex(SECTIONS.index(name) if name in SECTIONS else 0)
        screen = self.screen().availableGeometry() if self.screen() else None
        if screen is not None and not self.isVisible():
            self.resize(min(760, int(screen.width() * 0.9)), min(620, int(screen.height() * 0.9)))
        self.show()
        self.raise_()
        self.activateWindow()

    def text(self, name: str) -> str:
        """A section's plain text (what a reader sees)."""
        return self.pages[name].toPlainText()
