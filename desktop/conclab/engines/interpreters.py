"""Every Python on this machine that could run the lab: the running one, those on PATH, in pyenv's and uv's version
folders and in the system folders. Each is asked once what it is (isolated, without site, with a time limit, several
at a time); the answers are kept in process and in a cache file keyed by the file's real path, mtime and size."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import os
import platform
import re
import signal
import stat
import subprocess
import sys
import sysconfig
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from conclab.engines.machine import gil_enabled as running_gil_enabled
from conclab.model.errors import ConclabError
from conclab.model.fileio import atomic_write_text

LAB_MIN_VERSION = (3, 11)
PROBE_TIMEOUT_S = 10.0
PROBE_WORKERS = 4
CACHE_SCHEMA = 1
_PATH_NAMES = ("python3", *(f"python3.{minor}{t}" for minor in range(11, 21) for t in ("", "t")))
_NAME = re.compile(r"python3(?:\.\d+t?)?")
_SPEC = re.compile(r"(?:python)?(\d+)(?:\.(\d+))?(?:\.(\d+))?(t)?")
_VERSION = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?")
# Written to run on any Python down to 2.7, so that old ones answer with their version instead of a syntax error.
_PROBE_SCRIPT = """\
import json, platform, sys, sysconfig
g = getattr(sys, '_is_gil_enabled', None)
print(json.dumps({'version': platform.python_version(), 'implementation': platform.python_implementation(),
 'gil_enabled': True if g is None else bool(g()), 'free_threaded': bool(sysconfig.get_config_var('Py_GIL_DISABLED'))}))
"""


class InterpreterError(ConclabError):
    """No interpreter matches what was asked for, or the one asked for cannot run the lab."""


def version_tuple(version: str) -> tuple[int, int, int]:
    match = _VERSION.match(version)
    return (int(match[1]), int(match[2]), int(match[3] or 0)) if match else (0, 0, 0)


def lab_refusal(version: str) -> str:
    """Why an interpreter of this version cannot run the lab, or "" when it can."""
    major, minor, _ = version_tuple(version)
    if (major, minor) < LAB_MIN_VERSION:
        return f"Python {major}.{minor} is older than {LAB_MIN_VERSION[0]}.{LAB_MIN_VERSION[1]}"
    return ""


@dataclass(frozen=True)
class Interpreter:
    """One Python found on the machine: what it said about itself, and whether (or why not) it can run the lab."""

    executable: str
    version: str
    implementation: str
    gil_enabled: bool
    free_threaded: bool
    usable: bool
    reason: str = ""

    @property
    def version_info(self) -> tuple[int, int, int]:
        return version_tuple(self.version)

    @property
    def label(self) -> str:
        if not self.version:
            return f"? ({self.executable})"
        impl = "" if self.implementation in ("", "CPython") else f"{self.implementation} "
        gil = (" (GIL on)" if self.gil_enabled else " (no GIL)") if self.free_threaded else ""
        return f"{impl}{self.version}{'t' if self.free_threaded else ''}{gil}"

    def to_dict(self) -> dict[str, Any]:
        return {"version": self.version, "implementation": self.implementation, "gil_enabled": self.gil_enabled,
                "free_threaded": self.free_threaded, "executable": self.executable}


@dataclass(frozen=True)
class ProbeResult:
    """What one interpreter said about itself, or (`error`) why it said nothing."""

    version: str = ""
    implementation: str = ""
    gil_enabled: bool = True
    free_threaded: bool = False
    error: str = ""
    # A timeout says nothing lasting about the interpreter (the machine may just be busy): it is not cached.
    transient: bool = False


ProbeFn = Callable[[str, float], ProbeResult]


def probe_executable(executable: str, timeout: float = PROBE_TIMEOUT_S) -> ProbeResult:
    """Run the interpreter once, isolated and without site, and read its answer."""
    try:
        code, out, err = _run_probe(executable, ("-I", "-S"), timeout)
        if code != 0 and "-I" in err and "option" in err.lower():
            # Python 2 knows no -I; -E -s are the parts of it that it does know.
            code, out, err = _run_probe(executable, ("-E", "-s", "-S"), timeout)
    except subprocess.TimeoutExpired:
        return ProbeResult(error=f"did not answer within {timeout:g} s", transient=True)
    except OSError as exc:
        return ProbeResult(error=f"could not start: {exc.strerror or exc}")
    if code != 0:
        why = f"exit status {code}" if code > 0 else f"killed by signal {-code} ({signal.strsignal(-code)})"
        return ProbeResult(error=f"crashed: {(err.strip().splitlines() or [why])[-1].strip()[:200]}")
    with contextlib.suppress(ValueError, IndexError):
        answer = _probe_from_json(json.loads(out.strip().splitlines()[-1]))
        if answer is not None and answer.version:
            return answer
    return ProbeResult(error=f"gave an answer that is not a Python's: {out.strip()[:80]!r}")


def _run_probe(executable: str, flags: tuple[str, ...], timeout: float) -> tuple[int, str, str]:
    posix = os.name == "posix"
    with subprocess.Popen([executable, *flags, "-c", _PROBE_SCRIPT], stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace",
                          start_new_session=posix) as proc:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            # A wrapper script's children would keep the pipes open: end the whole session it started.
            if posix:
                with contextlib.suppress(OSError):
                    os.killpg(proc.pid, signal.SIGKILL)
            else:
                proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.communicate(timeout=1.0)
            raise
    return proc.returncode, out, err


def _probe_from_json(data: object) -> ProbeResult | None:
    if not isinstance(data, dict):
        return None
    version, impl, gil, free, error = (data.get(f.name, f.default) for f in dataclasses.fields(ProbeResult)[:5])
    if not (isinstance(version, str) and isinstance(impl, str) and isinstance(gil, bool)
            and isinstance(free, bool) and isinstance(error, str)) or not (version or error):
        return None
    return ProbeResult(version, impl, gil, free, error)


def running_executable() -> str | None:
    """The running interpreter's path, or None in a frozen bundle, whose executable is the app and not a Python."""
    return None if getattr(sys, "frozen", False) or not sys.executable else os.path.abspath(sys.executable)


def _running_real() -> str | None:
    running = running_executable()
    return os.path.realpath(running) if running else None


@dataclass(frozen=True)
class SearchRoots:
    """Where to look for interpreters: `from_environment()` gives the machine's places, tests pass their own."""

    path_dirs: tuple[str, ...] = ()
    pyenv_root: str | None = None
    uv_dir: str | None = None
    system_dirs: tuple[str, ...] = ()
    include_running: bool = False

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> SearchRoots:
        env = os.environ if env is None else env
        home = env.get("HOME") or os.path.expanduser("~")
        data_home = env.get("XDG_DATA_HOME") or os.path.join(home, ".local", "share")
        return cls(path_dirs=tuple(d for d in env.get("PATH", "").split(os.pathsep) if d),
                   pyenv_root=env.get("PYENV_ROOT") or os.path.join(home, ".pyenv"),
                   uv_dir=env.get("UV_PYTHON_INSTALL_DIR") or os.path.join(data_home, "uv", "python"),
                   system_dirs=("/usr/bin", "/usr/local/bin"), include_running=True)


class Candidate(NamedTuple):
    """A file that may be a Python: its path as found, and the identity its answer is remembered under."""

    path: str
    real: str
    mtime_ns: int
    size: int

    @property
    def key(self) -> tuple[str, int, int]:
        return self.real, self.mtime_ns, self.size


def find_candidates(roots: SearchRoots) -> list[Candidate]:
    """Candidate executables in search order, one per real file (the first path found for it is kept)."""
    found: dict[str, Candidate] = {}
    for candidate in filter(None, map(_candidate, _candidate_paths(roots))):
        found.setdefault(candidate.real, candidate)
    return list(found.values())


def _candidate(path: str) -> Candidate | None:
    with contextlib.suppress(OSError):
        info = os.stat(path)
        if stat.S_ISREG(info.st_mode) and os.access(path, os.X_OK):
            return Candidate(os.path.abspath(path), os.path.realpath(path), info.st_mtime_ns, info.st_size)
    return None


def _candidate_paths(roots: SearchRoots) -> Iterator[str]:
    running = running_executable() if roots.include_running else None
    if running:
        yield running
    for folder in roots.path_dirs:
        # pyenv's (and asdf's) shims choose a version from configuration and refuse the others: not a Python each.
        if os.path.basename(os.path.normpath(folder)) != "shims":
            yield from (os.path.join(folder, name) for name in _PATH_NAMES)
    for base in (roots.pyenv_root and os.path.join(roots.pyenv_root, "versions"), roots.uv_dir):
        for version_dir in _listing(base or ""):
            folder = os.path.join(base or "", version_dir, "bin")
            # A Python 2 version folder has no python3*: its `python` is still listed, to say why it cannot be used.
            yield from _matching(folder) or [os.path.join(folder, "python")]
    for folder in roots.system_dirs:
        yield from _matching(folder)


def _listing(folder: str) -> list[str]:
    with contextlib.suppress(OSError):
        return sorted(os.listdir(folder)) if folder else []
    return []


def _matching(folder: str) -> list[str]:
    return [os.path.join(folder, name) for name in _listing(folder) if _NAME.fullmatch(name)]


def default_cache_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    base = env.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        base = os.path.join(env.get("HOME") or os.path.expanduser("~"), ".cache")
    return Path(base) / "conclab" / "interpreters.json"


def _read_cache(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    entries = data.get("entries") if isinstance(data, dict) and data.get("schema") == CACHE_SCHEMA else None
    return entries if isinstance(entries, dict) else {}


def _cached_answer(entries: dict[str, Any], candidate: Candidate) -> ProbeResult | None:
    entry = entries.get(candidate.real)
    if not isinstance(entry, dict) or (entry.get("mtime_ns"), entry.get("size")) != candidate.key[1:]:
        return None
    return _probe_from_json(entry.get("probe"))


def _write_cache(path: Path, entries: dict[str, Any]) -> None:
    kept = {real: entry for real, entry in entries.items() if os.path.exists(real)}
    text = json.dumps({"schema": CACHE_SCHEMA, "entries": kept}, indent=1, sort_keys=True)
    # The cache only saves time: a folder that cannot be written costs the probes again next time, nothing more.
    with contextlib.suppress(OSError, ConclabError):
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, text)


def _interpreter(path: str, answer: ProbeResult) -> Interpreter:
    reason = answer.error or lab_refusal(answer.version)
    return Interpreter(path, answer.version, answer.implementation, answer.gil_enabled, answer.free_threaded,
                       usable=not reason, reason=reason)


class Finder:
    """Finds and asks the interpreters under some roots, remembering answers in process and in a cache file."""

    def __init__(self, roots: SearchRoots | None = None, cache_path: str | Path | None = None, *,
                 probe: ProbeFn = probe_executable, timeout: float = PROBE_TIMEOUT_S) -> None:
        self.roots = SearchRoots.from_environment() if roots is None else roots
        self.cache_path = default_cache_path() if cache_path is None else Path(cache_path)
        self._probe = probe
        self._timeout = timeout
        self._memo: dict[tuple[str, int, int], ProbeResult] = {}
        self._lock = threading.Lock()

    def discover(self, refresh: bool = False) -> list[Interpreter]:
        """Usable interpreters first, by version (the running one first among equals), then the unusable ones."""
        with self._lock:
            found = find_candidates(self.roots)
            answers = self._answers(found, refresh)
        running_real = _running_real() if self.roots.include_running else None
        pairs = [(_interpreter(c.path, answers[c]), c.real) for c in found]
        pairs.sort(key=lambda pair: (not pair[0].usable, not pair[0].version, pair[0].version_info,
                                     pair[0].free_threaded, pair[1] != running_real))
        return [interpreter for interpreter, _ in pairs]

    def resolve(self, spec: str, refresh: bool = False) -> Interpreter:
        """The interpreter named by a version ("3.12", "3.13.0", "3.13t") or a path; the newest patch release wins."""
        text = spec.strip()
        if os.sep in text or (os.altsep and os.altsep in text) or text.startswith(("~", ".")):
            return self._resolve_path(text, refresh)
        match = _SPEC.fullmatch(text)
        if match is None:
            raise InterpreterError(f"{spec!r} is neither a Python version (like 3.12 or 3.13t) nor a path to one")
        wanted = tuple(int(g) for g in match.group(1, 2, 3) if g is not None)
        found = self.discover(refresh)
        hits = [i for i in found if i.version and i.version_info[:len(wanted)] == wanted
                and i.free_threaded == bool(match[4])]
        usable = [i for i in hits if i.usable]
        if usable:
            newest = max(i.version_info for i in usable)
            return next(i for i in usable if i.version_info == newest)
        if hits:
            raise InterpreterError(f"Python {hits[0].label} ({hits[0].executable}) cannot run the lab: "
                                   f"{hits[0].reason}; {_available(found)}")
        raise InterpreterError(f"no Python {text} was found; {_available(found)}")

    def _resolve_path(self, text: str, refresh: bool) -> Interpreter:
        path = os.path.abspath(os.path.expanduser(text))
        candidate = _candidate(path)
        if candidate is None:
            raise InterpreterError(f"no Python at {path}: not an executable file")
        with self._lock:
            answer = self._answers([candidate], refresh)[candidate]
        interpreter = _interpreter(path, answer)
        if not interpreter.usable:
            raise InterpreterError(f"{path} cannot run the lab: {interpreter.reason}")
        return interpreter

    def _answers(self, found: list[Candidate], refresh: bool) -> dict[Candidate, ProbeResult]:
        answers = {} if refresh else {c: self._memo[c.key] for c in found if c.key in self._memo}
        missing = [c for c in found if c not in answers]
        if not missing:
            return answers
        entries = _read_cache(self.cache_path)
        cached = {} if refresh else {c: _cached_answer(entries, c) for c in missing}
        answers.update({c: a for c, a in cached.items() if a is not None})
        fresh = self._ask([c for c in missing if c not in answers])
        answers.update(fresh)
        self._memo.update((c.key, a) for c, a in answers.items())
        lasting = {c: a for c, a in fresh.items() if not a.transient}
        for c, answer in lasting.items():
            entries[c.real] = {"mtime_ns": c.mtime_ns, "size": c.size, "probe": dataclasses.asdict(answer)}
        if lasting:
            _write_cache(self.cache_path, entries)
        return answers

    def _ask(self, todo: list[Candidate]) -> dict[Candidate, ProbeResult]:
        running_real = _running_real()
        # The running interpreter answers for itself: no process needed.
        answers = {c: ProbeResult(platform.python_version(), platform.python_implementation(), running_gil_enabled(),
                                  bool(sysconfig.get_config_var("Py_GIL_DISABLED")))
                   for c in todo if c.real == running_real}
        others = [c for c in todo if c not in answers]
        if others:
            with ThreadPoolExecutor(max_workers=max(1, min(PROBE_WORKERS, len(others)))) as pool:
                futures = {c: pool.submit(self._probe, c.path, self._timeout) for c in others}
            answers.update({c: future.result() for c, future in futures.items()})
        return answers


def _available(found: list[Interpreter]) -> str:
    labels = list(dict.fromkeys(i.label for i in found if i.usable))
    if not labels:
        return f"no Python {LAB_MIN_VERSION[0]}.{LAB_MIN_VERSION[1]} or newer was found"
    return "available: " + ", ".join(labels)


@functools.lru_cache(maxsize=4)
def _finder_for(roots: SearchRoots, cache_path: Path) -> Finder:
    # One finder (and so one memo) per environment: callers that change PATH or the roots get their own.
    return Finder(roots, cache_path)


def discover(refresh: bool = False) -> list[Interpreter]:
    """Every Python on the machine (see `Finder.discover`); `refresh` asks each one again."""
    return _finder_for(SearchRoots.from_environment(), default_cache_path()).discover(refresh)


def resolve(spec: str, refresh: bool = False) -> Interpreter:
    """The Python named by a version or a path (see `Finder.resolve`); raises InterpreterError naming the others."""
    return _finder_for(SearchRoots.from_environment(), default_cache_path()).resolve(spec, refresh)
