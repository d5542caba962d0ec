"""`conclab inside RUN.json --model M --at SECONDS [--json | --png OUT | --svg OUT]`, run as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PLAN = "fetch: sleep 200ms; crunch: cpu 300ms"


def conclab(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, "-m", "conclab", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real run of both models, saved as `conclab run` saves it."""
    path = tmp_path_factory.mktemp("inside") / "run.json"
    done = conclab("run", PLAN, "--models", "asyncio,threads", "--json", str(path))
    assert done.returncode == 0, done.stderr
    return path


def test_json_names_the_tasks_and_says_who_holds_the_loop(saved: Path) -> None:
    done = conclab("inside", str(saved), "--model", "asyncio", "--at", "0.1", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["model"] == "asyncio" and data["at"] == 0.1
    names = {e["task"] for group in ("running", "ready", "waiting") for e in data[group]}
    assert names <= {"fetch", "crunch"} and "crunch" in names  # as the user named them
    assert data["loop"] is not None and data["loop"]["task"] == "crunch"
    assert [t["task"] for t in data["timers"]] == ["fetch"] and data["timers"][0]["due"] == pytest.approx(0.2, abs=0.05)
    assert "loop_summary" in data and "crunch" in data["loop_summary"]


def test_words_by_default_and_the_threads_run_by_its_name(saved: Path) -> None:
    done = conclab("inside", str(saved), "--model", "threads", "--at", "0.1")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "threads at 0.100 s"
    assert any(line.startswith("RUNNING") and "cores" in line for line in lines)
    assert any(line.startswith("WAITING") and "fetch (due 0.2" in line for line in lines)
    assert "GIL" in done.stdout


@pytest.mark.parametrize("suffix", ["png", "svg"])
def test_a_slide_of_the_instant_is_16_9(saved: Path, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"slide.{suffix}"
    done = conclab("inside", str(saved), "--model", "asyncio", "--at", "0.25", f"--{suffix}", str(out))
    assert done.returncode == 0, done.stderr
    data = out.read_bytes()
    if suffix == "png":
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    else:
        text = data.decode()
        width, height = 1920, 1080
        assert 'viewBox="0 0 1920 1080"' in text and "crunch" in text
    assert (width, height) == (1920, 1080) and width * 9 == height * 16


@pytest.mark.parametrize(("args", "says"), [
    (["--model", "processes", "--at", "0.1"], "no run of 'processes'"),
    (["--at", "0.1"], "choose one with --model"),
    (["--model", "asyncio", "--at", "99"], "outside the asyncio run"),
    (["--model", "asyncio", "--at", "-0.5"], "outside the asyncio run"),
    (["--model", "asyncio", "--at", "soon"], "not a number of seconds"),
    (["--model", "asyncio", "--at", "0.1", "--json", "--png", "x.png"], "choose one of"),
])
def test_bad_input_is_one_line_and_exit_2(saved: Path, args: list[str], says: str) -> None:
    done = conclab("inside", str(saved), *args)
    assert done.returncode == 2
    assert done.stdout == "" and len(done.stderr.strip().splitlines()) == 1 and says in done.stderr, done.stderr


def test_an_unreadable_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    for path, content in ((tmp_path / "missing.json", None), (tmp_path / "bad.json", "{not json")):
        if content is not None:
            path.write_text(content)
        done = conclab("inside", str(path), "--model", "asyncio", "--at", "0.1")
        assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert "Traceback" not in done.stderr
