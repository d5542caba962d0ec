"""A full disk or a read-only folder when saving or exporting: a message, and the previous file intact.

Every write goes through `model.fileio.atomic_write_*` (temporary file, fsync, rename). The disk-full
case is made by failing the write or the fsync with ENOSPC; the read-only case with a real folder.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import qasync
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from conclab import cli
from conclab.model import fileio
from conclab.model.errors import ConclabError
from conclab.model.fileio import WriteError, atomic_write_text
from conclab.model.plan_text import parse
from conclab.ui.exports.export_dialog import ExportDialog
from conclab.ui.shell.main_window import MainWindow
from tests.ui.conftest import can_write

LEAK_GUARD = True
OLD = "previous content\n"


class _FullFile:
    """A file object whose writes fail like a full disk; everything else is the real file's."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def write(self, _data: bytes) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def __enter__(self) -> _FullFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self._real.close()


def _enospc(*_a: object, **_k: object) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.fixture(params=["write", "fsync"])
def disk_full(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The disk fills up either while the bytes are written or when they are flushed to it."""
    if request.param == "write":
        real_fdopen = os.fdopen
        monkeypatch.setattr(fileio.os, "fdopen", lambda *a, **k: _FullFile(real_fdopen(*a, **k)))
    else:
        monkeypatch.setattr(fileio.os, "fsync", _enospc)
    return str(request.param)


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "out.plan").write_text(OLD)
    (folder / "run.json").write_text(OLD)
    folder.chmod(0o500)
    yield folder
    folder.chmod(0o700)


def _leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_atomic_write_on_a_full_disk_keeps_the_old_file(tmp_path: Path, disk_full: str) -> None:
    target = tmp_path / "plan.plan"
    target.write_text(OLD)
    with pytest.raises(WriteError, match=r"could not write .*plan\.plan: No space left on device"):
        atomic_write_text(target, "new content\n")
    assert target.read_text() == OLD
    assert _leftovers(tmp_path) == []


def test_atomic_write_into_a_missing_or_read_only_folder(tmp_path: Path, read_only: Path) -> None:
    with pytest.raises(WriteError, match="could not write"):
        atomic_write_text(tmp_path / "no-such-dir" / "x.plan", "x")
    if not can_write(read_only):  # root ignores folder permissions: EROFS stands in
        with pytest.raises(WriteError, match="Permission denied"):
            atomic_write_text(read_only / "out.plan", "new")
        assert (read_only / "out.plan").read_text() == OLD
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fileio.tempfile, "mkstemp", _erofs)
        with pytest.raises(WriteError, match="Read-only file system"):
            atomic_write_text(read_only / "out.plan", "new")
    assert (read_only / "out.plan").read_text() == OLD
    # A folder path where a file should go fails the same way, whoever runs the test.
    with pytest.raises(WriteError, match="could not write"):
        atomic_write_text(tmp_path, "x")


@pytest.fixture
def window(qtbot: QtBot, qloop: qasync.QEventLoop, tmp_path: Path,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[MainWindow, list[str]]]:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: shown.append(str(a[2])))
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Yes)
    w = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(w)
    w.show()
    w.editor.set_plan(parse("2x sleep 20ms"))
    yield w, shown
    w.editor.mark_saved()
    w.close()


def _one_run(qloop: qasync.QEventLoop, w: MainWindow) -> None:
    async def go() -> None:
        w.controls.set_models(["asyncio"])
        w.run_action.trigger()
        await w.controller.wait()

    qloop.run_until_complete(go())
    assert w.controller.last_document is not None


def test_window_save_plan_and_run_on_a_full_disk(window: tuple[MainWindow, list[str]], tmp_path: Path,
                                                 qloop: qasync.QEventLoop, disk_full: str) -> None:
    w, shown = window
    plan_file, run_file = tmp_path / "out.plan", tmp_path / "run.json"
    plan_file.write_text(OLD)
    run_file.write_text(OLD)
    _one_run(qloop, w)
    assert not w.save_plan(plan_file)
    assert "No space left on device" in shown[-1]
    assert not w.run_files.save_run(run_file)
    assert "No space left on device" in shown[-1]
    assert plan_file.read_text() == OLD and run_file.read_text() == OLD
    assert _leftovers(tmp_path) == []
    assert w.isVisible()


@pytest.mark.parametrize("fmt", ["png", "svg", "csv", "trace", "run"])
def test_export_on_a_full_disk(window: tuple[MainWindow, list[str]], tmp_path: Path, qloop: qasync.QEventLoop,
                               monkeypatch: pytest.MonkeyPatch, fmt: str) -> None:
    w, shown = window
    _one_run(qloop, w)
    monkeypatch.setattr(fileio.os, "fsync", _enospc)
    target = tmp_path / f"export.{fmt}"
    target.write_text(OLD)
    dialog = ExportDialog(w.timeline, w.metrics, w.controller.last_document, w.store, parent=w)
    dialog.set_format(fmt)
    assert not dialog.export(str(target))
    assert "The export was not written" in shown[-1] and "No space left on device" in shown[-1]
    assert target.read_text() == OLD
    assert _leftovers(tmp_path) == []
    dialog.close()


def _erofs(*_a: object, **_k: object) -> None:
    raise OSError(errno.EROFS, os.strerror(errno.EROFS))


def test_window_save_into_a_read_only_folder(window: tuple[MainWindow, list[str]], read_only: Path,
                                             qloop: qasync.QEventLoop, monkeypatch: pytest.MonkeyPatch) -> None:
    w, shown = window
    if not can_write(read_only):  # root ignores folder permissions: EROFS stands in
        assert not w.save_plan(read_only / "out.plan")
        assert "could not write" in shown[-1] and "Permission denied" in shown[-1]
    # A read-only file system refuses even root: creating the temporary file fails.
    _one_run(qloop, w)
    monkeypatch.setattr(fileio.tempfile, "mkstemp", _erofs)
    assert not w.save_plan(read_only / "out.plan")
    assert "could not write" in shown[-1] and "Read-only file system" in shown[-1]
    assert not w.run_files.save_run(read_only / "run.json")
    assert "Read-only file system" in shown[-1]
    assert (read_only / "out.plan").read_text() == OLD and (read_only / "run.json").read_text() == OLD
    assert w.isVisible()


def test_cli_json_on_a_full_disk_exits_2_with_a_message(tmp_path: Path, disk_full: str,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run.json"
    out.write_text(OLD)
    code = cli.main(["run", "sleep 5ms", "--models", "asyncio", "--runtime", "plain", "--json", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert "could not write" in err and "No space left on device" in err
    assert "Traceback" not in err
    assert out.read_text() == OLD


def test_write_error_is_a_conclab_error() -> None:
    assert issubclass(WriteError, ConclabError)
