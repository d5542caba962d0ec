"""The export dialog: the run as pictures (the timeline, or the whole page — with a lesson, its whole lesson
page — as PNG or SVG) and as CSV, Chrome trace or run file. It remembers the last folder and format, asks
before overwriting, and reports write failures in a message box.

Pictures are laid out from the run document, off screen and at their natural size, never grabbed from
the window: whatever the window scrolls or squeezes, the picture holds every run, full lag charts and
every metric row.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from conclab.model.chrome_trace import dumps as trace_dumps
from conclab.model.csv_export import to_csv
from conclab.model.errors import ConclabError
from conclab.model.fileio import atomic_write_text
from conclab.model.lesson_result import LessonResult
from conclab.model.provenance import flat_plan, footer_text, models_text, shorten
from conclab.model.run import RunDocument
from conclab.model.runfile import dumps as run_dumps
from conclab.ui.exports import picture_export
from conclab.ui.exports.document_page import document_picture
from conclab.ui.exports.page_picture import Kind
from conclab.ui.exports.picture import Picture

# key: (label, extension, picture kind or None for data formats)
FORMATS: dict[str, tuple[str, str, Kind | None]] = {
    "png": ("PNG picture of the timeline", ".png", "timeline"),
    "svg": ("SVG picture of the timeline", ".svg", "timeline"),
    "page": ("PNG of the whole page (timeline, metrics; a lesson's text and verdicts)", ".png", "page"),
    "page_svg": ("SVG of the whole page", ".svg", "page"),
    "csv": ("CSV: one row per span", ".csv", None),
    "trace": ("Chrome trace (Perfetto, chrome://tracing)", ".json", None),
    "run": ("Run file (conclab.run/1 JSON; open it again later)", ".json", None),
}
TITLE = "Export"
KEY_DIR, KEY_FORMAT, KEY_SCALE, KEY_FOOTER = "export/last_dir", "export/format", "export/scale", "export/footer"
NOTHING = RunDocument("", {}, {}, [])


class ExportDialog(QDialog):
    """Chooses what to export and where, then writes it; `exported` carries the path written.

    `document` is what is exported (None: nothing was measured yet — pictures then say so). `lesson`, the
    result of a lesson run, makes the page a lesson page. `timeline` and `metrics` are the views the export
    was asked from; pictures are drawn from the document, not from them.
    """

    exported = Signal(str)

    def __init__(self, timeline: QWidget | None, metrics: QWidget | None, document: RunDocument | None,
                 settings: QSettings, parent: QWidget | None = None, *, lesson: LessonResult | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(TITLE)
        self.timeline, self.metrics = timeline, metrics
        self.document = document
        self.lesson = lesson
        self._settings = settings
        self.format_box = QComboBox(self)
        for key, (label, _ext, kind) in FORMATS.items():
            self.format_box.addItem(label, key)
            if kind is None and document is None:
                self.format_box.model().item(self.format_box.count() - 1).setEnabled(False)  # type: ignore[attr-defined]
        self.about_label = QLabel(self._about(), self)
        self.about_label.setWordWrap(True)
        self.scale_box = QComboBox(self)
        self.scale_box.addItems([f"{s}x" for s in picture_export.SCALES])
        self.scale_box.setToolTip("Pixel scale of PNG pictures: 2x or 3x stay sharp on slides and print")
        self.footer_box = QCheckBox("Add a footer with the plan, models, Pythons, CPUs, OS and date", self)
        self.path_edit = QLineEdit(self)
        self.path_edit.setAccessibleName("Export file")
        self.browse_button = QPushButton("Browse…", self)
        self.copy_button = QPushButton("Copy picture", self)
        self.copy_button.setToolTip("Copy the chosen picture (PNG formats: at the chosen scale) to the clipboard")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel, parent=self)
        self.buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self._build_layout()
        self._restore()
        self._connect()
        self._on_format_changed()

    def _about(self) -> str:
        doc = self.document
        if doc is None or not doc.runs:
            return ("Nothing has been measured yet: pictures will say so. Run the plan (Ctrl+R) or open a saved "
                    "run first.")
        what = f"the lesson “{self.lesson.lesson.title}”" if self.lesson is not None else "the last finished run"
        return f"Exports {what}: {models_text(doc)} — plan {shorten(flat_plan(doc.plan), 90)}"

    def _build_layout(self) -> None:
        form = QFormLayout()
        form.addRow("Export", self.format_box)
        form.addRow("", self.about_label)
        form.addRow("Scale", self.scale_box)
        form.addRow("", self.footer_box)
        where = QHBoxLayout()
        where.addWidget(self.path_edit, 1)
        where.addWidget(self.browse_button)
        form.addRow("File", where)
        box = QVBoxLayout(self)
        box.addLayout(form)
        box.addWidget(self.buttons)

    def _connect(self) -> None:
        self.format_box.currentIndexChanged.connect(self._on_format_changed)
        self.browse_button.clicked.connect(self._on_browse)
        self.copy_button.clicked.connect(self._on_copy)
        self.buttons.accepted.connect(self._on_accepted)
        self.buttons.rejected.connect(self.reject)

    def _restore(self) -> None:
        s = self._settings
        fmt = str(s.value(KEY_FORMAT, "png") or "png")
        index = self.format_box.findData(fmt)
        if index >= 0 and self.format_box.model().item(index).isEnabled():  # type: ignore[attr-defined]
            self.format_box.setCurrentIndex(index)
        scale = str(s.value(KEY_SCALE, "2") or "2")
        self.scale_box.setCurrentIndex(max(self.scale_box.findText(f"{scale}x"), 0))
        self.footer_box.setChecked(self.document is not None and str(s.value(KEY_FOOTER, "true")).lower() != "false")
        folder = str(s.value(KEY_DIR, "") or "")
        if not folder or not Path(folder).is_dir():
            folder = str(Path.home())
        self.path_edit.setText(str(Path(folder) / f"conclab-{_dt.date.today().isoformat()}.png"))

    # -- choices ------------------------------------------------------------------------------------
    def format(self) -> str:
        return str(self.format_box.currentData())

    def set_format(self, key: str) -> None:
        index = self.format_box.findData(key)
        if index < 0:
            raise ConclabError(f"unknown export format {key!r} (choose from {', '.join(FORMATS)})")
        self.format_box.setCurrentIndex(index)

    def scale(self) -> int:
        return int(self.scale_box.currentText().rstrip("x"))

    def footer(self) -> str | None:
        """The footer text pictures get (None: no footer, or nothing to say it about)."""
        if self.document is None or not self.footer_box.isChecked():
            return None
        return footer_text(self.document)

    def path(self) -> str:
        return self.path_edit.text().strip()

    def picture(self, kind: Kind | None = None) -> Picture:
        """The picture the chosen format (or `kind`) stands for, laid out from the document."""
        chosen = kind or FORMATS[self.format()][2] or "timeline"
        return document_picture(self.document or NOTHING, kind=chosen, lesson=self.lesson,
                                footer=self.footer() is not None)

    def _on_format_changed(self, *_: object) -> None:
        _label, ext, kind = FORMATS[self.format()]
        self.scale_box.setEnabled(kind is not None and ext == ".png")
        self.footer_box.setEnabled(kind is not None and self.document is not None)
        self.copy_button.setEnabled(kind is not None)
        if self.path():
            current = Path(self.path())
            self.path_edit.setText(str(current.with_suffix(ext)))

    def _on_browse(self) -> None:
        label, ext, _kind = FORMATS[self.format()]
        name, _ = QFileDialog.getSaveFileName(self, "Export to", self.path(), f"{label} (*{ext})",
                                              options=QFileDialog.Option.DontConfirmOverwrite)
        if name:
            self.path_edit.setText(name if Path(name).suffix else name + ext)

    # -- writing ------------------------------------------------------------------------------------
    def export(self, path: str | None = None) -> bool:
        """Write the chosen format to `path` (default: the path field); False if cancelled or failed."""
        target = Path(path if path is not None else self.path()).expanduser()
        if not str(target) or not target.name:
            QMessageBox.warning(self, TITLE, "Choose a file to export to.")
            return False
        if target.exists():
            answer = QMessageBox.question(self, TITLE, f"{target.name} already exists. Replace it?",
                                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                          QMessageBox.StandardButton.No)
            if answer != QMessageBox.StandardButton.Yes:
                return False
        try:
            self._write(target)
        except ConclabError as exc:
            QMessageBox.warning(self, TITLE, f"The export was not written:\n{exc}")
            return False
        self._remember(target)
        self.exported.emit(str(target))
        return True

    def _write(self, target: Path) -> None:
        fmt, dest = self.format(), str(target)
        _label, ext, kind = FORMATS[fmt]
        if kind is not None and ext == ".png":
            picture_export.save_png(self.picture(), dest, self.scale())
        elif kind is not None:
            picture_export.save_svg(self.picture(), dest)
        elif self.document is None:
            raise ConclabError("there is no finished run to export yet")
        elif fmt == "csv":
            atomic_write_text(dest, to_csv(self.document))
        elif fmt == "trace":
            atomic_write_text(dest, trace_dumps(self.document))
        else:
            atomic_write_text(dest, run_dumps(self.document))

    def _remember(self, target: Path) -> None:
        s = self._settings
        s.setValue(KEY_DIR, str(target.parent))
        s.setValue(KEY_FORMAT, self.format())
        s.setValue(KEY_SCALE, str(self.scale()))
        s.setValue(KEY_FOOTER, "true" if self.footer_box.isChecked() else "false")
        s.sync()

    def _on_accepted(self) -> None:
        if self.export():
            self.accept()

    def _on_copy(self) -> None:
        picture_export.copy_to_clipboard(self.picture(), self.scale())
