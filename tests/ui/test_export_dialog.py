"""The export dialog: File → Export… (Ctrl+E) writes every format; pictures are the whole document at their
natural size whatever the window shows; it remembers folder and format, asks before overwriting and reports
failures in a message."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from conclab.model.provenance import footer_text
from conclab.model.run import RunDocument
from conclab.model.runfile import dumps, loads
from conclab.ui.exports import export_dialog as ed
from conclab.ui.exports import run_file_actions
from conclab.ui.exports.export_dialog import ExportDialog
from conclab.ui.exports.page_picture import PAGE_WIDTH
from conclab.ui.shell.main_window import MainWindow
from conclab.ui.timeline.metrics_panel import MetricsPanel
from conclab.ui.timeline.timeline_view import TimelineView
from tests.model.test_runfile import two_run_doc
from tests.ui.test_picture_export import three_run_doc

SVG = "{http://www.w3.org/2000/svg}"


class Boxes:
    """Stands in for QMessageBox's static functions: records calls and gives a chosen answer."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.questions: list[str] = []
        self.warnings: list[str] = []
        self.answer = QMessageBox.StandardButton.Yes
        monkeypatch.setattr(ed.QMessageBox, "question", self._question)
        monkeypatch.setattr(ed.QMessageBox, "warning", self._warning)

    def _question(self, _parent: object, _title: str, text: str, *_: object) -> QMessageBox.StandardButton:
        self.questions.append(text)
        return self.answer

    def _warning(self, _parent: object, _title: str, text: str, *_: object) -> QMessageBox.StandardButton:
        self.warnings.append(text)
        return QMessageBox.StandardButton.Ok


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def boxes(monkeypatch: pytest.MonkeyPatch) -> Boxes:
    return Boxes(monkeypatch)


def _dialog(qtbot: QtBot, settings: QSettings, doc: RunDocument | None = None) -> ExportDialog:
    timeline, metrics = TimelineView(), MetricsPanel()
    for w in (timeline, metrics):
        qtbot.addWidget(w)
    dialog = ExportDialog(timeline, metrics, doc, settings)
    qtbot.addWidget(dialog)
    return dialog


def _size(path: Path) -> tuple[int, int]:
    image = QImage(str(path))
    return image.width(), image.height()


def test_every_format_is_written(qtbot: QtBot, settings: QSettings, boxes: Boxes, tmp_path: Path) -> None:
    doc = two_run_doc()
    dialog = _dialog(qtbot, settings, doc)
    written: list[str] = []
    dialog.exported.connect(written.append)
    names = {"png": "a.png", "svg": "a.svg", "page": "page.png", "page_svg": "page.svg", "csv": "a.csv",
             "trace": "a.trace.json", "run": "a.run.json"}
    for fmt, name in names.items():
        dialog.set_format(fmt)
        assert dialog.export(str(tmp_path / name)), (fmt, boxes.warnings)
    assert written == [str(tmp_path / n) for n in names.values()]
    scale = dialog.scale()
    timeline, page = dialog.picture("timeline"), dialog.picture("page")
    assert _size(tmp_path / "a.png") == (PAGE_WIDTH * scale, int(timeline.height) * scale)
    assert _size(tmp_path / "page.png") == (PAGE_WIDTH * scale, int(page.height) * scale)
    assert page.height > timeline.height
    for name, picture in (("a.svg", timeline), ("page.svg", page)):
        root = ET.parse(tmp_path / name).getroot()
        assert root.get("height") == str(int(picture.height))
        assert [t.text for t in root.iter(f"{SVG}text")] == picture.texts()
    assert "GIL on" in (tmp_path / "a.svg").read_text()
    rows = list(csv.DictReader((tmp_path / "a.csv").open()))
    assert len(rows) == sum(len(r.spans) for r in doc.runs)
    assert json.loads((tmp_path / "a.trace.json").read_text())["displayTimeUnit"] == "ms"
    assert loads((tmp_path / "a.run.json").read_text()).plan == doc.plan
    assert not boxes.questions and not boxes.warnings


def test_footer_switch_scale_and_what_is_exported(qtbot: QtBot, settings: QSettings, boxes: Boxes,
                                                  tmp_path: Path) -> None:
    doc = two_run_doc()
    dialog = _dialog(qtbot, settings, doc)
    assert "asyncio, threads" in dialog.about_label.text() and doc.plan[:20] in dialog.about_label.text()
    dialog.set_format("png")
    dialog.scale_box.setCurrentText("3x")
    with_footer = dialog.picture()
    dialog.footer_box.setChecked(False)
    bare = dialog.picture()
    assert bare.height < with_footer.height
    assert dialog.export(str(tmp_path / "x.png"))
    assert _size(tmp_path / "x.png") == (PAGE_WIDTH * 3, int(bare.height) * 3)
    dialog.set_format("svg")
    assert not dialog.scale_box.isEnabled()
    assert dialog.export(str(tmp_path / "x.svg"))
    assert "GIL on" not in (tmp_path / "x.svg").read_text()
    dialog.footer_box.setChecked(True)
    assert dialog.footer() == footer_text(doc)


def test_remembers_folder_format_and_changes_the_extension(qtbot: QtBot, settings: QSettings, boxes: Boxes,
                                                           tmp_path: Path) -> None:
    first = _dialog(qtbot, settings, two_run_doc())
    first.set_format("trace")
    assert first.path().endswith(".json")
    folder = tmp_path / "out"
    folder.mkdir()
    assert first.export(str(folder / "t.json"))
    second = _dialog(qtbot, settings, two_run_doc())
    assert second.format() == "trace"
    assert Path(second.path()).parent == folder
    second.set_format("page_svg")
    assert second.path().endswith(".svg")
    with pytest.raises(Exception, match="unknown export format 'gif'"):
        second.set_format("gif")


def test_asks_before_overwriting(qtbot: QtBot, settings: QSettings, boxes: Boxes, tmp_path: Path) -> None:
    dialog = _dialog(qtbot, settings, two_run_doc())
    dialog.set_format("csv")
    target = tmp_path / "keep.csv"
    target.write_text("precious")
    boxes.answer = QMessageBox.StandardButton.No
    assert not dialog.export(str(target))
    assert target.read_text() == "precious" and len(boxes.questions) == 1 and "keep.csv" in boxes.questions[0]
    boxes.answer = QMessageBox.StandardButton.Yes
    assert dialog.export(str(target))
    assert target.read_text().startswith("model,task")


def test_write_failure_is_a_message_not_a_crash(qtbot: QtBot, settings: QSettings, boxes: Boxes,
                                                tmp_path: Path) -> None:
    dialog = _dialog(qtbot, settings, two_run_doc())
    for fmt in ("png", "page_svg", "run"):
        dialog.set_format(fmt)
        assert not dialog.export(str(tmp_path / "no" / "such" / "folder" / "x.out"))
    assert len(boxes.warnings) == 3 and all("could not write" in w for w in boxes.warnings)
    assert not dialog.export("")
    assert len(boxes.warnings) == 4 and "Choose a file" in boxes.warnings[-1]


def test_without_a_run_pictures_say_so_and_data_is_not_offered(qtbot: QtBot, settings: QSettings, boxes: Boxes,
                                                               tmp_path: Path) -> None:
    dialog = _dialog(qtbot, settings, None)
    model = dialog.format_box.model()
    enabled = {dialog.format_box.itemData(i): model.item(i).isEnabled()  # type: ignore[attr-defined]
               for i in range(dialog.format_box.count())}
    assert enabled == {"png": True, "svg": True, "page": True, "page_svg": True, "csv": False, "trace": False,
                       "run": False}
    assert "Nothing has been measured yet" in dialog.about_label.text()
    assert not dialog.footer_box.isChecked() and dialog.footer() is None
    dialog.set_format("page")
    assert dialog.export(str(tmp_path / "nothing.png"))
    assert "No runs were measured." in dialog.picture().texts()
    dialog.set_format("csv")
    assert not dialog.export(str(tmp_path / "x.csv"))
    assert boxes.warnings and "no finished run" in boxes.warnings[-1]


def test_save_button_writes_and_closes(qtbot: QtBot, settings: QSettings, boxes: Boxes, tmp_path: Path) -> None:
    dialog = _dialog(qtbot, settings, two_run_doc())
    dialog.set_format("page")
    dialog.path_edit.setText(str(tmp_path / "viaButton.png"))
    dialog.show()
    with qtbot.waitSignal(dialog.accepted, timeout=5000):
        dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    assert (tmp_path / "viaButton.png").exists()


def _when_modal(act: Callable[[ExportDialog], None], failures: list[BaseException]) -> None:
    """Run `act` on the export dialog once it is up (it runs modal), closing it whatever happens."""
    def poke() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, ExportDialog):
            QTimer.singleShot(20, poke)
            return
        try:
            act(dialog)
        except BaseException as exc:  # the test fails on it after the dialog is closed
            failures.append(exc)
        finally:
            if dialog.isVisible():
                dialog.reject()
    QTimer.singleShot(20, poke)


def _export_with_ctrl_e(qtbot: QtBot, window: MainWindow, fmt: str, path: Path) -> ExportDialog:
    failures: list[BaseException] = []
    seen: list[ExportDialog] = []

    def save(dialog: ExportDialog) -> None:
        seen.append(dialog)
        dialog.set_format(fmt)
        dialog.scale_box.setCurrentText("2x")
        dialog.path_edit.setText(str(path))
        dialog.buttons.button(dialog.buttons.StandardButton.Save).click()

    _when_modal(save, failures)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    qtbot.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    if failures:
        raise failures[0]
    assert seen, "Ctrl+E did not open the export dialog"
    return seen[0]


def test_ctrl_e_exports_the_whole_document_whatever_the_window_shows(
        qtbot: QtBot, window: MainWindow, tmp_path: Path, boxes: Boxes, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = three_run_doc()
    saved = tmp_path / "three.json"
    saved.write_text(dumps(doc), encoding="utf-8")
    monkeypatch.setattr(run_file_actions.QFileDialog, "getOpenFileName", lambda *_a, **_k: (str(saved), ""))
    window.run_files.open_action.trigger()  # File → Open run…
    assert window.timeline.section_count() == 3
    assert window.run_files.export_action.shortcut().toString() == "Ctrl+E"
    window.resize(1400, 900)
    _export_with_ctrl_e(qtbot, window, "page", tmp_path / "roomy.png")
    # Squeezed and scrolled: the timeline shows a sliver of one run, the metrics a few rows.
    window.resize(640, 420)
    QApplication.processEvents()
    for scroller in (*window.timeline.findChildren(QAbstractScrollArea), window.metrics.table):
        bar = scroller.verticalScrollBar()
        bar.setValue(bar.maximum())
    assert window.metrics.table.verticalScrollBar().value() > 0
    squeezed = _export_with_ctrl_e(qtbot, window, "page", tmp_path / "squeezed.png")
    assert (tmp_path / "roomy.png").read_bytes() == (tmp_path / "squeezed.png").read_bytes()
    picture = squeezed.picture("page")
    assert _size(tmp_path / "squeezed.png") == (2 * PAGE_WIDTH, 2 * int(picture.height))
    texts = picture.texts()
    assert {"asyncio", "threads", "processes", "Wall time", "Tasks done / failed", "loop lag"} <= set(texts)
    _export_with_ctrl_e(qtbot, window, "svg", tmp_path / "timeline.svg")
    words = [t.text for t in ET.parse(tmp_path / "timeline.svg").getroot().iter(f"{SVG}text")]
    assert words == squeezed.picture("timeline").texts()
    assert not boxes.warnings
    assert "exported" in window.statusBar().currentMessage()
