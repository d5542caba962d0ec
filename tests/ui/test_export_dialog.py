"""Export dialog: writes each format, remembers folder and format, asks before overwriting, reports failures."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QMessageBox

from conclab.model.run import RunDocument
from conclab.model.runfile import loads
from conclab.ui.exports import export_dialog as ed
from conclab.ui.exports.export_dialog import ExportDialog
from conclab.ui.exports.picture_export import picture_source
from conclab.ui.timeline.metrics_panel import MetricsPanel
from conclab.ui.timeline.timeline_view import TimelineView
from tests.model.test_runfile import two_run_doc


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


@pytest.fixture
def views(qtbot) -> Iterator[tuple[TimelineView, MetricsPanel, RunDocument]]:  # type: ignore[no-untyped-def]
    doc = two_run_doc()
    timeline, metrics = TimelineView(), MetricsPanel()
    for w in (timeline, metrics):
        qtbot.addWidget(w)
    timeline.resize(800, 500)
    metrics.resize(800, 250)
    timeline.set_runs(doc.runs)
    metrics.set_runs(doc.runs)
    QApplication.processEvents()
    yield timeline, metrics, doc
    timeline.close()


def _dialog(qtbot, views, settings: QSettings, doc: RunDocument | None = None) -> ExportDialog:  # type: ignore[no-untyped-def]
    timeline, metrics, full = views
    dialog = ExportDialog(timeline, metrics, full if doc is None else doc, settings)
    qtbot.addWidget(dialog)
    return dialog


def test_every_format_is_written(qtbot, views, settings: QSettings, boxes: Boxes, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dialog = _dialog(qtbot, views, settings)
    timeline, _metrics, doc = views
    written: list[str] = []
    dialog.exported.connect(written.append)
    for fmt, name in (("png", "a.png"), ("svg", "a.svg"), ("page", "page.png"), ("csv", "a.csv"),
                      ("trace", "a.trace.json"), ("run", "a.run.json")):
        dialog.set_format(fmt)
        assert dialog.export(str(tmp_path / name)), (fmt, boxes.warnings)
    assert written == [str(tmp_path / n) for n in ("a.png", "a.svg", "page.png", "a.csv", "a.trace.json",
                                                   "a.run.json")]
    png = QImage(str(tmp_path / "a.png"))
    source = picture_source(timeline)
    assert png.width() == source.width() * dialog.scale() and png.height() > source.height() * dialog.scale()
    assert "GIL on" in (tmp_path / "a.svg").read_text()
    ET.parse(tmp_path / "a.svg")
    assert QImage(str(tmp_path / "page.png")).height() > png.height()
    rows = list(csv.DictReader((tmp_path / "a.csv").open()))
    assert len(rows) == sum(len(r.spans) for r in doc.runs)
    assert json.loads((tmp_path / "a.trace.json").read_text())["displayTimeUnit"] == "ms"
    assert loads((tmp_path / "a.run.json").read_text()).plan == doc.plan
    assert not boxes.questions and not boxes.warnings


def test_footer_switch_and_scale(qtbot, views, settings: QSettings, boxes: Boxes, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dialog = _dialog(qtbot, views, settings)
    source = picture_source(views[0])
    dialog.set_format("png")
    dialog.scale_box.setCurrentText("3x")
    dialog.footer_box.setChecked(False)
    assert dialog.export(str(tmp_path / "x.png"))
    image = QImage(str(tmp_path / "x.png"))
    assert (image.width(), image.height()) == (source.width() * 3, source.height() * 3)
    dialog.set_format("svg")
    assert not dialog.scale_box.isEnabled()
    assert dialog.export(str(tmp_path / "x.svg"))
    assert "GIL on" not in (tmp_path / "x.svg").read_text()


def test_remembers_folder_format_and_changes_the_extension(qtbot, views, settings: QSettings, boxes: Boxes,  # type: ignore[no-untyped-def]
                                                           tmp_path: Path) -> None:
    first = _dialog(qtbot, views, settings)
    first.set_format("trace")
    assert first.path().endswith(".json")
    folder = tmp_path / "out"
    folder.mkdir()
    assert first.export(str(folder / "t.json"))
    second = _dialog(qtbot, views, settings)
    assert second.format() == "trace"
    assert Path(second.path()).parent == folder
    second.set_format("csv")
    assert second.path().endswith(".csv")


def test_asks_before_overwriting(qtbot, views, settings: QSettings, boxes: Boxes, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dialog = _dialog(qtbot, views, settings)
    dialog.set_format("csv")
    target = tmp_path / "keep.csv"
    target.write_text("precious")
    boxes.answer = QMessageBox.StandardButton.No
    assert not dialog.export(str(target))
    assert target.read_text() == "precious" and len(boxes.questions) == 1 and "keep.csv" in boxes.questions[0]
    boxes.answer = QMessageBox.StandardButton.Yes
    assert dialog.export(str(target))
    assert target.read_text().startswith("model,task")


def test_write_failure_is_a_message_not_a_crash(qtbot, views, settings: QSettings, boxes: Boxes,  # type: ignore[no-untyped-def]
                                                tmp_path: Path) -> None:
    dialog = _dialog(qtbot, views, settings)
    for fmt in ("png", "run"):
        dialog.set_format(fmt)
        assert not dialog.export(str(tmp_path / "no" / "such" / "folder" / "x.out"))
    assert len(boxes.warnings) == 2 and all("could not write" in w for w in boxes.warnings)
    assert not dialog.export("")
    assert len(boxes.warnings) == 3


def test_without_a_run_only_pictures_are_offered(qtbot, views, settings: QSettings, boxes: Boxes,  # type: ignore[no-untyped-def]
                                                 tmp_path: Path) -> None:
    timeline, metrics, _doc = views
    dialog = ExportDialog(timeline, metrics, None, settings)
    qtbot.addWidget(dialog)
    model = dialog.format_box.model()
    enabled = {dialog.format_box.itemData(i): model.item(i).isEnabled() for i in range(dialog.format_box.count())}
    assert enabled == {"png": True, "svg": True, "page": True, "csv": False, "trace": False, "run": False}
    assert not dialog.footer_box.isChecked() and dialog.footer() is None
    dialog.set_format("png")
    assert dialog.export(str(tmp_path / "nofooter.png"))
    dialog.set_format("csv")
    assert not dialog.export(str(tmp_path / "x.csv"))
    assert boxes.warnings and "no finished run" in boxes.warnings[-1]


def test_save_button_writes_and_closes(qtbot, views, settings: QSettings, boxes: Boxes, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dialog = _dialog(qtbot, views, settings)
    dialog.set_format("csv")
    dialog.path_edit.setText(str(tmp_path / "viaButton.csv"))
    dialog.show()
    with qtbot.waitSignal(dialog.accepted, timeout=2000):
        dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    assert (tmp_path / "viaButton.csv").exists()
