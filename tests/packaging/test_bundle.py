"""The frozen bundle and the .deb: built from this checkout, started headless, and their metadata valid.

Slow (builds with PyInstaller): marked `packaging`, run with `pytest -m packaging tests/packaging`.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from conclab import APP_ID, __version__
from conclab import desktop_entry as de
from conclab.model.resources import resource

pytestmark = [pytest.mark.packaging, pytest.mark.timeout(1200)]

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "dist"
BUNDLE = DIST / "conclab" / "conclab"


def _tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed; install the Debian package {package}")
    return path


def _headless_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("QT_QPA_PLATFORM", None)
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    return env


def _single_json_ok(result: subprocess.CompletedProcess[str]) -> dict[str, object]:
    detail = f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode == 0, detail
    docs = [json.loads(ln) for ln in result.stdout.splitlines() if ln.strip().startswith("{")]
    assert len(docs) == 1, detail
    assert docs[0].get("ok") is True, detail
    return docs[0]


@pytest.fixture(scope="module")
def bundle() -> Path:
    """A bundle built from the current checkout (so the test never checks a stale one)."""
    subprocess.run(["bash", str(ROOT / "packaging" / "build_bundle.sh")], check=True, timeout=900)
    assert BUNDLE.is_file() and os.access(BUNDLE, os.X_OK)
    return BUNDLE


@pytest.fixture(scope="module")
def deb(bundle: Path) -> Path:
    env = dict(os.environ, DEB_COMPRESSION="gzip")
    subprocess.run(["bash", str(ROOT / "packaging" / "build_deb.sh")], check=True, timeout=900, env=env)
    found = sorted(DIST.glob(f"conclab_{__version__}_*.deb"))
    assert len(found) == 1, found
    return found[0]


def test_bundle_carries_the_resources(bundle: Path) -> None:
    res = bundle.parent / "_internal" / "conclab" / "resources"
    assert (res / "desktop" / f"{APP_ID}.desktop.in").is_file()
    assert (res / "icons" / "hicolor" / "48x48" / "apps" / f"{APP_ID}.png").is_file()


def test_bundle_self_test_offscreen(bundle: Path) -> None:
    env = dict(_headless_env(), QT_QPA_PLATFORM="offscreen")
    cmd = [str(bundle), "--self-test"]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    _single_json_ok(result)


@pytest.mark.xvfb
def test_bundle_self_test_under_xvfb(bundle: Path) -> None:
    xvfb_run = shutil.which("xvfb-run")
    if xvfb_run is None:
        pytest.skip("xvfb-run is not installed (Debian packages xvfb and xauth)")
    cmd = [xvfb_run, "-a", "-s", "-screen 0 1920x1080x24", str(bundle), "--self-test"]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=_headless_env())
    _single_json_ok(result)


@pytest.mark.xvfb
def test_bundle_window_runs_processes_under_xvfb(bundle: Path, tmp_path: Path) -> None:
    """The frozen window starts worker processes (freeze_support) and draws them on a real X server."""
    xvfb_run = shutil.which("xvfb-run")
    if xvfb_run is None:
        pytest.skip("xvfb-run is not installed (Debian packages xvfb and xauth)")
    shot = tmp_path / "window.png"
    cmd = [xvfb_run, "-a", "-s", "-screen 0 1920x1080x24", str(bundle),
           "--run", "--quit-after-run", "--models", "processes", "--screenshot", str(shot)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=_headless_env())
    assert result.returncode == 0, result.stdout + result.stderr
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width >= 800 and height >= 600
    assert len(data) > 20_000, "the screenshot is nearly empty"


def test_desktop_entry_and_metainfo_pass_the_validators(tmp_path: Path) -> None:
    desktop = tmp_path / f"{APP_ID}.desktop"
    desktop.write_text(de.render_desktop_entry(["/usr/bin/conclab"]), encoding="utf-8")
    result = subprocess.run(
        [_tool("desktop-file-validate", "desktop-file-utils"), str(desktop)],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0 and "error:" not in result.stdout, result.stdout + result.stderr
    metainfo = resource("desktop", f"{APP_ID}.metainfo.xml")
    result = subprocess.run(
        [_tool("appstreamcli", "appstream"), "validate", "--no-net", str(metainfo)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_deb_layout_and_dependencies(deb: Path, tmp_path: Path) -> None:
    dpkg_deb = _tool("dpkg-deb", "dpkg")
    info = subprocess.run([dpkg_deb, "-f", str(deb), "Package", "Version", "Depends"],
                          capture_output=True, text=True, check=True).stdout
    assert "Package: conclab" in info and f"Version: {__version__}" in info
    for lib in ("libgl1", "libegl1", "libfontconfig1", "libxkbcommon0", "libglib2.0-0", "libdbus-1-3",
                "fonts-dejavu-core"):
        assert lib in info, f"{lib} missing from Depends: {info}"
    root = tmp_path / "root"
    subprocess.run([dpkg_deb, "-x", str(deb), str(root)], check=True, timeout=300)
    assert os.readlink(root / "usr" / "bin" / "conclab") == "/opt/conclab/conclab"
    assert os.access(root / "opt" / "conclab" / "conclab", os.X_OK)
    desktop = root / "usr" / "share" / "applications" / f"{APP_ID}.desktop"
    assert "\nExec=/usr/bin/conclab\n" in desktop.read_text(encoding="utf-8")
    assert (root / "usr" / "share" / "metainfo" / f"{APP_ID}.metainfo.xml").is_file()
    hicolor = root / "usr" / "share" / "icons" / "hicolor"
    for size in (16, 24, 32, 48, 64, 128, 256, 512):
        assert (hicolor / f"{size}x{size}" / "apps" / f"{APP_ID}.png").is_file()
    assert (hicolor / "scalable" / "apps" / f"{APP_ID}.svg").is_file()
