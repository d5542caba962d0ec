"""Interpreter discovery: the Pythons of this machine, fake interpreters written as shell scripts, the cache file,
and resolving a version or a path."""

from __future__ import annotations

import json
import os
import platform
import re
import stat
import sys
import threading
import time
from pathlib import Path

import pytest

from conclab.engines import interpreters as interp_mod
from conclab.engines.interpreters import (
    Finder,
    Interpreter,
    InterpreterError,
    ProbeResult,
    SearchRoots,
    find_candidates,
    lab_refusal,
    probe_executable,
)
from conclab.model.errors import ConclabError

posix_only = pytest.mark.skipif(os.name != "posix", reason="fake interpreters are POSIX shell scripts")


def answer(version: str, free_threaded: bool = False, gil_enabled: bool = True, impl: str = "CPython") -> str:
    return json.dumps({"version": version, "implementation": impl, "gil_enabled": gil_enabled,
                       "free_threaded": free_threaded})


def fake_python(folder: Path, name: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def fake_version(pyenv: Path, version: str, name: str, free_threaded: bool = False, gil_enabled: bool = True,
                 impl: str = "CPython") -> Path:
    return fake_python(pyenv / "versions" / version / "bin", name,
                       f"echo '{answer(version, free_threaded, gil_enabled, impl)}'")


class CountingProbe:
    """The real probe, counting which executables it was asked to run."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, executable: str, timeout: float) -> ProbeResult:
        with self._lock:
            self.calls.append(executable)
        return probe_executable(executable, timeout)


@pytest.fixture()
def fake_pyenv(tmp_path: Path) -> Path:
    pyenv = tmp_path / "pyenv"
    fake_version(pyenv, "3.12.0", "python3.12")
    fake_version(pyenv, "3.12.1", "python3.12")
    fake_version(pyenv, "3.13.0", "python3.13")
    fake_python(pyenv / "versions" / "3.13.0t" / "bin", "python3.13t", f"echo '{answer('3.13.0', True, False)}'")
    fake_version(pyenv, "3.10.4", "python3.10")
    return pyenv


def hermetic(pyenv: Path, cache: Path, probe: CountingProbe | None = None) -> Finder:
    return Finder(SearchRoots(pyenv_root=str(pyenv)), cache, probe=probe or probe_executable)


# --- this machine ---------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def machine_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("machine") / "interpreters.json"


@pytest.fixture(scope="module")
def machine(machine_cache: Path) -> list[Interpreter]:
    return Finder(SearchRoots.from_environment(), machine_cache).discover()


def pyenv_versions(pattern: str) -> list[str]:
    root = SearchRoots.from_environment().pyenv_root or ""
    folder = Path(root) / "versions"
    if not folder.is_dir():
        return []
    return sorted(d.name for d in folder.iterdir() if re.fullmatch(pattern, d.name) and (d / "bin").is_dir())


def test_machine_discovery_finds_the_running_interpreter(machine: list[Interpreter]) -> None:
    running = os.path.realpath(sys.executable)
    mine = [i for i in machine if os.path.realpath(i.executable) == running]
    assert len(mine) == 1, [i.executable for i in machine]
    me = mine[0]
    assert me.executable == os.path.abspath(sys.executable)
    assert (me.version, me.implementation, me.usable) == (platform.python_version(), platform.python_implementation(),
                                                          True)
    same = [i for i in machine if i.usable and (i.version, i.free_threaded) == (me.version, me.free_threaded)]
    assert same[0] is me


@pytest.mark.parametrize("minor", ["3.12", "3.13"])
def test_machine_discovery_finds_pyenv_versions(machine: list[Interpreter], minor: str) -> None:
    versions = pyenv_versions(re.escape(minor) + r"\.\d+")
    if not versions:
        pytest.skip(f"no pyenv CPython {minor} under {SearchRoots.from_environment().pyenv_root}/versions here")
    usable = {i.version for i in machine if i.usable}
    assert set(versions) <= usable, (versions, [i.label for i in machine])


def test_machine_discovery_lists_old_pythons_with_the_reason(machine: list[Interpreter]) -> None:
    old = pyenv_versions(r"(2\.\d+|3\.(\d|10))\.\d+")
    if not old:
        pytest.skip("no pyenv Python older than 3.11 on this machine")
    by_version = {i.version: i for i in machine}
    for version in old:
        found = by_version.get(version)
        assert found is not None, (version, [i.label for i in machine])
        major, minor = version.split(".")[:2]
        assert not found.usable
        assert found.reason == f"Python {major}.{minor} is older than 3.11"


def test_machine_discovery_orders_usable_first_by_version(machine: list[Interpreter]) -> None:
    usable = [i for i in machine if i.usable]
    assert machine[:len(usable)] == usable
    assert [i.version_info for i in usable] == sorted(i.version_info for i in usable)
    assert not any(i.reason for i in usable)
    assert all(i.reason for i in machine[len(usable):])


def test_warm_machine_discovery_starts_no_process(machine: list[Interpreter], machine_cache: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def no_process(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"a probe process was started: {args}")

    monkeypatch.setattr(interp_mod.subprocess, "Popen", no_process)
    started = time.perf_counter()
    again = Finder(SearchRoots.from_environment(), machine_cache).discover()
    assert again == machine
    assert time.perf_counter() - started < 1.0


def test_machine_resolve_by_version_and_by_path(machine: list[Interpreter], machine_cache: Path) -> None:
    finder = Finder(SearchRoots.from_environment(), machine_cache)
    me = finder.resolve(sys.executable)
    assert (me.executable, me.version) == (os.path.abspath(sys.executable), platform.python_version())
    minor = ".".join(platform.python_version().split(".")[:2])
    assert finder.resolve(minor).version.startswith(minor + ".")
    if not pyenv_versions(r"3\.12\.\d+"):
        pytest.skip("no pyenv CPython 3.12 on this machine to resolve")
    assert finder.resolve("3.12").version.startswith("3.12.")


# --- fake interpreters -----------------------------------------------------------------------------------------------

@posix_only
def test_free_threaded_answer_is_parsed(tmp_path: Path) -> None:
    exe = fake_python(tmp_path, "python3.13t", f"echo '{answer('3.13.0', True, False)}'")
    found = Finder(SearchRoots(path_dirs=(str(tmp_path),)), tmp_path / "c.json").discover()
    assert len(found) == 1
    ft = found[0]
    assert (ft.free_threaded, ft.gil_enabled, ft.usable, ft.reason) == (True, False, True, "")
    assert ft.label == "3.13.0t (no GIL)"
    assert ft.to_dict() == {"version": "3.13.0", "implementation": "CPython", "gil_enabled": False,
                            "free_threaded": True, "executable": str(exe)}


def test_labels() -> None:
    def make(version: str, ft: bool, gil: bool, impl: str = "CPython") -> Interpreter:
        return Interpreter("/x/python3", version, impl, gil, ft, usable=True)

    assert make("3.13.0", False, True).label == "3.13.0"
    assert make("3.13.0", True, True).label == "3.13.0t (GIL on)"
    assert make("3.14.0", True, False).label == "3.14.0t (no GIL)"
    assert make("3.11.9", False, True, "PyPy").label == "PyPy 3.11.9"
    assert lab_refusal("3.11.0") == lab_refusal("3.14.0a1") == ""
    assert lab_refusal("3.10.13") == "Python 3.10 is older than 3.11"


@posix_only
def test_slow_interpreter_is_listed_unusable_and_not_cached(tmp_path: Path) -> None:
    fake_python(tmp_path / "bin", "python3.13", "sleep 30")
    cache = tmp_path / "c.json"
    started = time.perf_counter()
    found = Finder(SearchRoots(path_dirs=(str(tmp_path / "bin"),)), cache, timeout=0.5).discover()
    assert time.perf_counter() - started < 5.0
    assert [(i.usable, i.reason) for i in found] == [(False, "did not answer within 0.5 s")]
    assert found[0].label.startswith("? (")
    assert not cache.exists()


@posix_only
@pytest.mark.parametrize(("body", "reason"), [
    ("echo 'Fatal Python error: boom' >&2; exit 3", "crashed: Fatal Python error: boom"),
    ("exit 4", "crashed: exit status 4"),
    ("kill -SEGV $$", "crashed: killed by signal 11"),
    ("echo hello", "gave an answer that is not a Python's: 'hello'"),
    ("""echo '{"version": 3}'""", "gave an answer that is not a Python's"),
    (f"echo '{answer('3.10.4')}'", "Python 3.10 is older than 3.11"),
])
def test_failing_and_old_interpreters_carry_a_reason(tmp_path: Path, body: str, reason: str) -> None:
    fake_python(tmp_path / "bin", "python3", body)
    found = Finder(SearchRoots(path_dirs=(str(tmp_path / "bin"),)), tmp_path / "c.json").discover()
    assert len(found) == 1
    assert not found[0].usable
    assert found[0].reason.startswith(reason)


@posix_only
def test_candidates_names_order_and_dedup(tmp_path: Path) -> None:
    bin_dir = tmp_path / "pyenv" / "versions" / "3.13.0" / "bin"
    for name in ("python3.13", "python3.13t", "python3-config", "python3.11m-config", "python3.13-gdb.py",
                 "python3.6m", "idle3", "pip3"):
        fake_python(bin_dir, name, "true")
    (bin_dir / "python3").symlink_to("python3.13")
    fake_python(tmp_path / "pyenv" / "versions" / "2.7.18" / "bin", "python", "true")
    fake_python(tmp_path / "shims", "python3.12", "true")
    fake_python(tmp_path / "usrbin", "python3.12", "true")
    fake_python(tmp_path / "uv" / "cpython-3.14.0-linux" / "bin", "python3.14", "true")
    roots = SearchRoots(path_dirs=(str(tmp_path / "shims"), str(bin_dir)), pyenv_root=str(tmp_path / "pyenv"),
                        uv_dir=str(tmp_path / "uv"), system_dirs=(str(tmp_path / "usrbin"),))
    paths = [Path(c.path).relative_to(tmp_path).as_posix() for c in find_candidates(roots)]
    assert paths == ["pyenv/versions/3.13.0/bin/python3", "pyenv/versions/3.13.0/bin/python3.13t",
                     "pyenv/versions/2.7.18/bin/python", "uv/cpython-3.14.0-linux/bin/python3.14",
                     "usrbin/python3.12"]


@posix_only
def test_discovery_is_cached_in_process_and_on_disk(fake_pyenv: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache" / "interpreters.json"
    probe = CountingProbe()
    first = hermetic(fake_pyenv, cache, probe=probe).discover()
    assert len(probe.calls) == 5
    assert [i.label for i in first] == ["3.12.0", "3.12.1", "3.13.0", "3.13.0t (no GIL)", "3.10.4"]
    assert json.loads(cache.read_text())["schema"] == interp_mod.CACHE_SCHEMA

    finder = hermetic(fake_pyenv, cache, probe=probe)
    assert finder.discover() == first
    assert finder.discover() == first
    assert len(probe.calls) == 5

    assert finder.discover(refresh=True) == first
    assert len(probe.calls) == 10

    changed = fake_version(fake_pyenv, "3.12.1", "python3.12", impl="CPython-patched")
    hermetic(fake_pyenv, cache, probe=probe).discover()
    assert probe.calls[10:] == [str(changed)]


@posix_only
@pytest.mark.parametrize("content", [b"{not json", b"\xff\xfe\x00", b"[]", b'{"schema": 1, "entries": []}',
                                     b'{"schema": 1, "entries": {"/x": 5}}', b'{"schema": 999, "entries": {}}'])
def test_corrupt_cache_is_ignored_and_rewritten(fake_pyenv: Path, tmp_path: Path, content: bytes) -> None:
    cache = tmp_path / "interpreters.json"
    expected = hermetic(fake_pyenv, tmp_path / "clean.json").discover()
    cache.write_bytes(content)
    probe = CountingProbe()
    assert hermetic(fake_pyenv, cache, probe=probe).discover() == expected
    assert len(probe.calls) == 5
    assert len(json.loads(cache.read_text())["entries"]) == 5


@posix_only
def test_cache_entry_of_the_wrong_shape_is_probed_again(fake_pyenv: Path, tmp_path: Path) -> None:
    cache = tmp_path / "interpreters.json"
    hermetic(fake_pyenv, cache).discover()
    data = json.loads(cache.read_text())
    real = next(iter(data["entries"]))
    data["entries"][real]["probe"] = {"version": 3.12, "gil_enabled": "yes"}
    cache.write_text(json.dumps(data))
    probe = CountingProbe()
    hermetic(fake_pyenv, cache, probe=probe).discover()
    assert probe.calls == [next(c.path for c in find_candidates(SearchRoots(pyenv_root=str(fake_pyenv)))
                                if c.real == real)]


@posix_only
def test_unwritable_cache_location_still_discovers(fake_pyenv: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "cache"
    blocker.mkdir()
    found = hermetic(fake_pyenv, blocker).discover()
    assert len(found) == 5 and blocker.is_dir()


@posix_only
def test_resolve_versions_and_paths(fake_pyenv: Path, tmp_path: Path) -> None:
    finder = hermetic(fake_pyenv, tmp_path / "c.json")
    assert finder.resolve("3.12").version == "3.12.1"
    assert finder.resolve("3.12.0").version == "3.12.0"
    assert finder.resolve("python3.12").version == "3.12.1"
    assert finder.resolve("3.13").label == "3.13.0"
    assert finder.resolve("3.13t").label == "3.13.0t (no GIL)"
    assert finder.resolve("3").version == "3.13.0"
    link = tmp_path / "mypython"
    link.symlink_to(fake_pyenv / "versions" / "3.12.0" / "bin" / "python3.12")
    by_path = finder.resolve(str(link))
    assert (by_path.executable, by_path.version) == (str(link), "3.12.0")


@posix_only
def test_resolve_refusals_name_what_is_available(fake_pyenv: Path, tmp_path: Path) -> None:
    finder = hermetic(fake_pyenv, tmp_path / "c.json")
    with pytest.raises(InterpreterError) as missing:
        finder.resolve("3.14")
    assert isinstance(missing.value, ConclabError)
    assert str(missing.value) == "no Python 3.14 was found; available: 3.12.0, 3.12.1, 3.13.0, 3.13.0t (no GIL)"
    with pytest.raises(InterpreterError, match=r"cannot run the lab: Python 3\.10 is older than 3\.11; available"):
        finder.resolve("3.10")
    with pytest.raises(InterpreterError, match="neither a Python version"):
        finder.resolve("latest")
    with pytest.raises(InterpreterError, match="not an executable file"):
        finder.resolve(str(tmp_path / "nowhere" / "python3"))
    with pytest.raises(InterpreterError, match=r"older than 3\.11"):
        finder.resolve(str(fake_pyenv / "versions" / "3.10.4" / "bin" / "python3.10"))
    nothing = Finder(SearchRoots(), tmp_path / "c2.json")
    with pytest.raises(InterpreterError, match=r"no Python 3\.11 or newer was found"):
        nothing.resolve("3.12")


@posix_only
def test_module_functions_follow_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_python(tmp_path / "bin", "python3.19", f"echo '{answer('3.19.0')}'")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "no-pyenv"))
    monkeypatch.setenv("UV_PYTHON_INSTALL_DIR", str(tmp_path / "no-uv"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    found = interp_mod.discover()
    assert "3.19.0" in [i.version for i in found]
    assert any(os.path.realpath(i.executable) == os.path.realpath(sys.executable) for i in found)
    assert (tmp_path / "cache" / "conclab" / "interpreters.json").is_file()
    assert interp_mod.resolve("3.19").executable == str(tmp_path / "bin" / "python3.19")
