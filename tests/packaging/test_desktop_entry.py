"""Installing and removing the desktop entry, icons and metainfo under an XDG data home."""

from __future__ import annotations

import configparser
import filecmp
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conclab import APP_ID
from conclab import desktop_entry as de
from conclab.model.resources import resource

ROOT = Path(__file__).resolve().parents[2]
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def _read_entry(path: Path) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path, encoding="utf-8")
    return dict(parser["Desktop Entry"])


def _parse_exec(value: str) -> list[str]:
    """Split an Exec value back into argv words, following the desktop-entry spec's rules."""
    # String-level escapes first (only a doubled backslash occurs here), then the Exec quoting rules.
    text = value.replace("\\\\", "\\")
    words: list[str] = []
    cur: list[str] = []
    i, quoted, started = 0, False, False
    while i < len(text):
        c = text[i]
        if quoted:
            if c == "\\" and i + 1 < len(text) and text[i + 1] in '"`$\\':
                cur.append(text[i + 1])
                i += 1
            elif c == '"':
                quoted = False
            else:
                cur.append(c)
        elif c == '"':
            quoted, started = True, True
        elif c == " ":
            if started or cur:
                words.append("".join(cur))
            cur, started = [], False
        else:
            cur.append(c)
        i += 1
    assert not quoted, f"unterminated quote in Exec={value!r}"
    if started or cur:
        words.append("".join(cur))
    return [w.replace("%%", "%") for w in words]


def _validate(path: Path) -> None:
    tool = shutil.which("desktop-file-validate")
    if tool is None:
        pytest.fail(
            "desktop-file-validate is not installed; install the Debian package desktop-file-utils "
            "(apt-get install desktop-file-utils) to check the desktop entry"
        )
    result = subprocess.run([tool, str(path)], capture_output=True, text=True, timeout=60)
    errors = [ln for ln in (result.stdout + result.stderr).splitlines() if "error:" in ln]
    assert result.returncode == 0 and not errors, result.stdout + result.stderr


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


def _caches(paths: set[Path]) -> set[Path]:
    """Caches the desktop tools regenerate: not ours to install or remove."""
    return {p for p in paths if p.name in {"mimeinfo.cache", "icon-theme.cache"}}


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A data home that already holds another application's files, which must survive."""
    root = tmp_path / "data home"
    (root / "applications").mkdir(parents=True)
    (root / "applications" / "org.example.Other.desktop").write_text("[Desktop Entry]\nName=Other\n")
    other_icon = root / "icons" / "hicolor" / "48x48" / "apps" / "org.example.Other.png"
    other_icon.parent.mkdir(parents=True)
    other_icon.write_bytes(b"not ours")
    return root


@pytest.fixture
def launcher(tmp_path: Path) -> Path:
    exe = tmp_path / "bin dir" / "conclab"
    exe.parent.mkdir()
    exe.write_text("#!/bin/sh\nexit 0\n")
    exe.chmod(0o755)
    return exe


def test_install_writes_entry_metainfo_and_every_icon(home: Path, launcher: Path) -> None:
    written = de.install(str(launcher), data_home=home)
    expected = {
        home / "applications" / f"{APP_ID}.desktop",
        home / "metainfo" / f"{APP_ID}.metainfo.xml",
        home / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg",
    } | {home / "icons" / "hicolor" / f"{n}x{n}" / "apps" / f"{APP_ID}.png" for n in ICON_SIZES}
    assert set(written) == expected
    assert len(written) == len(expected)
    assert all(p.is_file() and p.stat().st_size > 0 for p in written)
    metainfo = home / "metainfo" / f"{APP_ID}.metainfo.xml"
    assert filecmp.cmp(metainfo, resource("desktop", f"{APP_ID}.metainfo.xml"), shallow=False)


def test_installed_entry_is_valid_and_runs_the_given_launcher(home: Path, launcher: Path) -> None:
    de.install(str(launcher), data_home=home)
    desktop_file = home / "applications" / f"{APP_ID}.desktop"
    _validate(desktop_file)
    entry = _read_entry(desktop_file)
    assert _parse_exec(entry["Exec"]) == [str(launcher)]
    assert entry["TryExec"] == str(launcher)
    assert entry["Icon"] == APP_ID
    assert entry["StartupWMClass"] == APP_ID
    assert "@" not in desktop_file.read_text()


@pytest.mark.parametrize("name", ["plain", "with space", 'q"uote', "dollar$sign", "back\\slash", "50%"])
def test_exec_quoting_round_trips(tmp_path: Path, name: str) -> None:
    exe = tmp_path / name / "conclab"
    words = [str(exe), "-m", "x y"]
    text = de.render_desktop_entry(words)
    out = tmp_path / f"{APP_ID}.desktop"
    out.write_text(text)
    _validate(out)
    assert _parse_exec(_read_entry(out)["Exec"]) == words


def test_default_launcher_falls_back_to_this_interpreter(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake_python = tmp_path / "env" / "bin" / "python"
    fake_python.parent.mkdir(parents=True)
    fake_python.write_text("")
    monkeypatch.setattr(sys, "argv", ["/somewhere/pytest"])
    monkeypatch.setattr(sys, "executable", str(fake_python))
    assert de.launcher_command() == [str(fake_python), "-m", "conclab"]
    sibling = fake_python.parent / "conclab"
    sibling.write_text("#!/bin/sh\n")
    sibling.chmod(0o755)
    assert de.launcher_command() == [str(sibling)]


def test_default_launcher_is_the_running_conclab_script(
    monkeypatch: pytest.MonkeyPatch, launcher: Path
) -> None:
    monkeypatch.setattr(sys, "argv", [str(launcher), "--install-desktop-entry"])
    assert de.launcher_command() == [str(launcher)]


def test_frozen_bundle_launches_its_own_executable(
    monkeypatch: pytest.MonkeyPatch, launcher: Path
) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(launcher))
    monkeypatch.setattr(sys, "argv", ["conclab"])
    assert de.launcher_command() == [str(launcher)]


def test_install_is_idempotent(home: Path, launcher: Path) -> None:
    first = de.install(str(launcher), data_home=home)
    snapshot = {p: p.read_bytes() for p in _files(home)}
    second = de.install(str(launcher), data_home=home)
    assert second == first
    after = {p: p.read_bytes() for p in _files(home)}
    assert set(after) - _caches(set(after)) == set(snapshot) - _caches(set(snapshot))
    assert all(after[p] == snapshot[p] for p in first)


def test_uninstall_removes_exactly_what_install_wrote(home: Path, launcher: Path) -> None:
    before = _files(home)
    written = de.install(str(launcher), data_home=home)
    removed = de.uninstall(data_home=home)
    assert set(removed) == set(written)
    remaining = _files(home)
    assert not any(p.exists() for p in written)
    assert remaining - _caches(remaining) == before
    assert de.uninstall(data_home=home) == []


def test_xdg_data_home_is_used_and_relative_values_ignored(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, launcher: Path
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    written = de.install(str(launcher))
    assert all(p.is_relative_to(tmp_path / "xdg") for p in written)
    monkeypatch.setenv("XDG_DATA_HOME", "relative/dir")
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    assert de.data_home() == tmp_path / "user" / ".local" / "share"


def test_cli_prints_each_file_and_reports_errors_cleanly(
    home: Path, launcher: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--data-home", str(home), "--exec", str(launcher)]
    assert de.main_install_cli(["--install-desktop-entry", *args]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 + len(ICON_SIZES) + 1
    assert all(line.startswith("installed ") and Path(line[10:]).is_file() for line in out)
    assert de.main_install_cli(["--uninstall-desktop-entry", "--data-home", str(home)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert all(line.startswith("removed ") and not Path(line[8:]).exists() for line in out)

    blocker = tmp_path / "a file"
    blocker.write_text("")
    assert de.main_install_cli(["--install-desktop-entry", "--data-home", str(blocker / "sub")]) == 1
    err = capsys.readouterr().err
    assert "cannot install the desktop entry" in err and "Traceback" not in err
