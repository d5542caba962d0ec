"""Install the app into the user's desktop menu: desktop entry, hicolor icons and AppStream metainfo.

Everything goes under ``$XDG_DATA_HOME`` (``~/.local/share`` by default), so no root is needed:
``applications/<APP_ID>.desktop``, ``icons/hicolor/<size>/apps/<APP_ID>.{png,svg}`` and
``metainfo/<APP_ID>.metainfo.xml``. The sources are read through the resources resolver, so the
same code works from a checkout, an installed wheel and a frozen bundle. Standard library only.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from conclab import APP_ID, APP_NAME
from conclab.model.errors import ConclabError
from conclab.model.resources import resource

DESKTOP_TEMPLATE = f"{APP_ID}.desktop.in"
METAINFO = f"{APP_ID}.metainfo.xml"

# Characters that force an Exec argument into double quotes (desktop-entry spec, "The Exec key").
_RESERVED = frozenset(" \t\n\"'\\><~|&;$*?#()`")
# Inside double quotes these must additionally be backslash-escaped.
_ESCAPE_IN_QUOTES = frozenset('"`$\\')


class DesktopEntryError(ConclabError):
    """The desktop entry could not be installed or removed (unwritable folder, missing resources)."""


def data_home(explicit: Path | None = None) -> Path:
    """The XDG data home: ``explicit``, else ``$XDG_DATA_HOME`` if absolute, else ``~/.local/share``."""
    if explicit is not None:
        return Path(explicit)
    env = os.environ.get("XDG_DATA_HOME", "")
    # The XDG base-directory spec says relative values are invalid and must be ignored.
    if env and os.path.isabs(env):
        return Path(env)
    return Path.home() / ".local" / "share"


def quote_exec_arg(arg: str) -> str:
    """Quote one argument for an Exec line, including the desktop-file string escaping of backslashes."""
    if arg and not any(c in _RESERVED for c in arg):
        quoted = arg
    else:
        quoted = '"' + "".join("\\" + c if c in _ESCAPE_IN_QUOTES else c for c in arg) + '"'
    # "%" introduces field codes; a literal one is "%%". Backslashes are escaped once more because
    # the Exec value is itself a desktop-file string.
    return quoted.replace("%", "%%").replace("\\", "\\\\")


def launcher_command(exec_path: str | None = None) -> list[str]:
    """The command line that starts this installation of the app, as absolute argv words."""
    if exec_path is not None:
        return [os.path.abspath(os.path.expanduser(exec_path))]
    if getattr(sys, "frozen", False):
        return [os.path.abspath(sys.executable)]
    argv0 = sys.argv[0] if sys.argv else ""
    if Path(argv0).name == "conclab":
        found = argv0 if os.sep in argv0 else shutil.which(argv0)
        if found:
            return [os.path.abspath(found)]
    # Launched as `python -m conclab` (or from a test): prefer the launcher of this same environment.
    sibling = Path(sys.executable).parent / "conclab"
    if sibling.is_file() and os.access(sibling, os.X_OK):
        return [os.path.abspath(sibling)]
    return [os.path.abspath(sys.executable), "-m", "conclab"]


def render_desktop_entry(command: Sequence[str]) -> str:
    """The desktop entry text for ``command``, from the template in the resources folder."""
    template = _read_text(resource("desktop", DESKTOP_TEMPLATE))
    exec_line = " ".join(quote_exec_arg(a) for a in command)
    # TryExec hides the menu entry once the launcher is gone (e.g. after `pipx uninstall`).
    try_exec = command[0].replace("\\", "\\\\")
    return template.replace("@EXEC@", exec_line).replace("@TRYEXEC@", try_exec)


def _icon_sources() -> list[tuple[Path, Path]]:
    """(source, path relative to the data home) for every hicolor icon the app ships."""
    hicolor = resource("icons", "hicolor")
    if not hicolor.is_dir():
        raise DesktopEntryError(f"the app's icons are missing (looked in {hicolor})")
    pairs = []
    for src in sorted(hicolor.glob(f"*/apps/{APP_ID}.*")):
        pairs.append((src, Path("icons", "hicolor", *src.relative_to(hicolor).parts)))
    if not pairs:
        raise DesktopEntryError(f"no {APP_ID} icons found in {hicolor}")
    return pairs


def _targets(home: Path) -> list[Path]:
    """Every file install() writes under ``home``, in a stable order."""
    out = [home / "applications" / f"{APP_ID}.desktop", home / "metainfo" / METAINFO]
    out += [home / rel for _, rel in _icon_sources()]
    return out


def install(exec_path: str | None = None, data_home: Path | None = None) -> list[Path]:
    """Write the desktop entry, icons and metainfo; return the files written. Safe to run again."""
    home = _data_home_or_default(data_home)
    entry = render_desktop_entry(launcher_command(exec_path))
    written: list[Path] = []
    try:
        desktop_file = home / "applications" / f"{APP_ID}.desktop"
        _write_text(desktop_file, entry)
        written.append(desktop_file)
        metainfo = home / "metainfo" / METAINFO
        _write_text(metainfo, _read_text(resource("desktop", METAINFO)))
        written.append(metainfo)
        for src, rel in _icon_sources():
            dst = home / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
            written.append(dst)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise DesktopEntryError(f"cannot install the desktop entry into {home}: {reason}") from exc
    _refresh_caches(home)
    return written


def uninstall(data_home: Path | None = None) -> list[Path]:
    """Remove exactly the files install() writes; return those that existed. Folders are left alone."""
    home = _data_home_or_default(data_home)
    removed: list[Path] = []
    for path in _targets(home):
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise DesktopEntryError(f"cannot remove {path}: {exc.strerror or exc}") from exc
        removed.append(path)
    _refresh_caches(home)
    return removed


def _data_home_or_default(explicit: Path | None) -> Path:
    home = data_home(explicit)
    if home.exists() and not home.is_dir():
        raise DesktopEntryError(f"the data folder {home} is not a folder")
    return home


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DesktopEntryError(f"cannot read the app's file {path}: {exc.strerror or exc}") from exc


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _refresh_caches(home: Path) -> None:
    """Refresh the menu and icon caches where the tools exist; a failure only delays the menu update."""
    # Without -t, gtk-update-icon-cache only acts where a theme index exists, i.e. where the user
    # already keeps a cache; creating a new cache in a personal folder could later hide other icons.
    commands = [
        ["update-desktop-database", "-q", str(home / "applications")],
        ["gtk-update-icon-cache", "-q", str(home / "icons" / "hicolor")],
    ]
    for cmd in commands:
        if shutil.which(cmd[0]) is None or not Path(cmd[-1]).is_dir():
            continue
        try:
            subprocess.run(cmd, check=False, capture_output=True, timeout=30)
        except (OSError, subprocess.SubprocessError):
            continue


def main_install_cli(argv: Sequence[str]) -> int:
    """Handle ``--install-desktop-entry`` / ``--uninstall-desktop-entry``; print each file touched."""
    parser = argparse.ArgumentParser(
        prog="conclab", description=f"Add {APP_NAME} to (or remove it from) the desktop menu."
    )
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--install-desktop-entry", action="store_true", help="add the menu entry and icons")
    action.add_argument("--uninstall-desktop-entry", action="store_true", help="remove them again")
    parser.add_argument("--data-home", type=Path, help="install under this folder instead of XDG_DATA_HOME")
    parser.add_argument("--exec", dest="exec_path", help="launcher the menu entry runs (default: this one)")
    args = parser.parse_args(list(argv))
    try:
        if args.install_desktop_entry:
            paths = install(args.exec_path, args.data_home)
            verb = "installed"
        else:
            paths = uninstall(args.data_home)
            verb = "removed"
    except ConclabError as exc:
        print(f"conclab: {exc}", file=sys.stderr)
        return 1
    for path in paths:
        print(f"{verb} {path}")
    if not paths:
        print(f"nothing to do: {APP_NAME} has no desktop entry in {data_home(args.data_home)}")
    return 0


if __name__ == "__main__":
    sys.exit(main_install_cli(sys.argv[1:]))
