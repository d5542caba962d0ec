"""`conclab lessons`, `conclab lesson ID` and `conclab code PLAN`: listing, a headless lesson run with its
verdicts and exit status, generated scripts that compile, and clean errors (exit 2) for bad input."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conclab.cli.lessons_cmd import add_lesson_commands
from conclab.model.lessons import load_lessons
from conclab.model.resources import resource

COMMAND = [sys.executable, "-m", "conclab"]


def _run(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*COMMAND, *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def test_lessons_lists_id_then_title_in_order() -> None:
    p = _run("lessons")
    assert p.returncode == 0, p.stderr
    lessons, errors = load_lessons()
    assert not errors
    lines = p.stdout.splitlines()
    assert len(lines) == len(lessons)
    for line, lesson in zip(lines, lessons, strict=True):
        ident, title = line.split(maxsplit=1)
        assert (ident, title) == (lesson.id, lesson.title)


def test_lesson_runs_headless_prints_verdicts_and_exits_0(tmp_path: Path) -> None:
    out = tmp_path / "run.json"
    p = _run("lesson", "offload-fix", "--json", str(out))
    assert p.returncode == 0, p.stdout + p.stderr
    verdicts = [line for line in p.stdout.splitlines() if line[:1] and line[0] in "✓✗–"]
    assert len(verdicts) == 2 and all(v.startswith("✓ ") for v in verdicts)
    doc = json.loads(out.read_text(encoding="utf-8"))
    wall = doc["runs"][0]["metrics"]["wall_s"]
    assert f"{wall:.2f} s" in verdicts[0]  # the sentence carries the measured number
    assert "— checked: " in verdicts[0]  # and says what was checked
    assert [r["model"] for r in doc["runs"]] == ["asyncio"]
    lesson = doc["lesson"]
    assert lesson["id"] == "offload-fix" and lesson["complete"] is True
    assert all(c["held"] is True for c in lesson["claims"] if not c["hidden"])
    claim = lesson["claims"][0]
    assert {"text", "op", "left", "right", "factor", "tolerance", "left_value", "right_value", "held"} <= set(claim)
    assert claim["left_value"] == pytest.approx(wall)
    assert lesson["prediction"]["measured_answer"] in p.stdout  # the answer the measurement picked
    assert f"{wall:.2f} s" in lesson["prediction"]["measured"]


def test_lesson_with_a_claim_that_fails_exits_1(tmp_path: Path) -> None:
    folder = tmp_path / "res" / "lessons"
    folder.mkdir(parents=True)
    (folder / "01-too-fast.toml").write_text(
        'id = "too-fast"\ntitle = "Too fast"\norder = 1\nintro = "x"\nplan = "2x sleep 100ms"\n'
        'models = ["asyncio"]\n\n[[claims]]\ntext = "took {left:.2f} s"\nleft = "asyncio.wall_s"\n'
        'op = "<"\nright = 0.001\n\n[[claims]]\ntext = "on many cores"\nleft = "asyncio.wall_s"\n'
        'op = ">"\nright = 0\nrequires = { min_cpus = 4096 }\n', encoding="utf-8")
    p = _run("lesson", "too-fast", env={"CONCLAB_RESOURCES": str(tmp_path / "res")})
    assert p.returncode == 1, p.stdout + p.stderr
    lines = [line for line in p.stdout.splitlines() if line[:1] in "✓✗–"]
    assert lines[0].startswith("✗ took 0.") and lines[1].startswith("– not applicable here:")


def test_bad_lesson_id_exits_2_with_the_known_ids() -> None:
    p = _run("lesson", "no-such-lesson")
    assert p.returncode == 2
    assert "no lesson 'no-such-lesson'" in p.stderr and "offload-fix" in p.stderr
    assert "Traceback" not in p.stderr


def test_broken_lesson_file_is_reported_with_exit_2(tmp_path: Path) -> None:
    res = tmp_path / "res"
    shutil.copytree(resource("lessons"), res / "lessons")
    broken = res / "lessons" / "05-offload-fix.toml"
    broken.write_text(broken.read_text(encoding="utf-8").replace('op = "≈"', 'op = "!="', 1), encoding="utf-8")
    env = {"CONCLAB_RESOURCES": str(res)}
    p = _run("lesson", "offload-fix", env=env)
    assert p.returncode == 2
    assert "05-offload-fix.toml" in p.stderr and "claims[0].op" in p.stderr and "Traceback" not in p.stderr
    listing = _run("lessons", env=env)
    assert listing.returncode == 2
    assert "offload-fix" not in listing.stdout and "blocking-loop" in listing.stdout
    assert "05-offload-fix.toml" in listing.stderr


@pytest.mark.parametrize("model", ["sequential", "asyncio", "threads", "processes"])
def test_code_prints_a_script_that_compiles(model: str) -> None:
    p = _run("code", "3x fetch: net 200ms, cpu 20ms; logger: block 50ms in thread", "--model", model)
    assert p.returncode == 0, p.stderr
    compile(p.stdout, f"{model}.py", "exec")
    assert "3x fetch" in p.stdout


def test_code_reads_a_plan_file(tmp_path: Path) -> None:
    plan = tmp_path / "two.plan"
    plan.write_text("2x crunch: cpu 50ms\n", encoding="utf-8")
    p = _run("code", str(plan), "--model", "processes", "--workers", "2")
    assert p.returncode == 0, p.stderr
    compile(p.stdout, "x", "exec")
    assert "ProcessPoolExecutor" in p.stdout


@pytest.mark.parametrize("args, needle", [
    (["code", "3x nap 1ms", "--model", "asyncio"], "line 1"),
    (["code", "sleep 1ms", "--model", "fibers"], "invalid choice"),
    (["code", "sleep 1ms"], "--model"),
    (["code", "sleep 1ms", "--model", "threads", "--workers", "0"], "at least 1"),
])
def test_code_bad_input_exits_2(args: list[str], needle: str) -> None:
    p = _run(*args)
    assert p.returncode == 2
    assert needle in p.stderr and "Traceback" not in p.stderr


def test_commands_attach_to_any_subparsers() -> None:
    parser = argparse.ArgumentParser(prog="conclab")
    add_lesson_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["lesson", "gil-handoff", "--json", "-"])
    assert (args.command, args.id, args.json) == ("lesson", "gil-handoff", "-")
    args = parser.parse_args(["code", "sleep 1ms", "--model", "threads"])
    assert (args.plan, args.model, args.workers) == ("sleep 1ms", "threads", None)


def test_lesson_writes_a_png_of_the_comparison(tmp_path: Path) -> None:
    out = tmp_path / "lesson.png"
    p = subprocess.run([sys.executable, "-m", "conclab", "lesson", "offload-fix", "--png", str(out),
                        "--scale", "1"], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert p.returncode in (0, 1), p.stderr
    from PySide6.QtGui import QImage

    img = QImage(str(out))
    assert not img.isNull() and img.width() > 400 and img.height() > 200
