"""Fuzzed input that is not already fuzzed elsewhere: lesson files and command lines.

Lesson files: random TOML documents shaped like lessons (the real keys with values of every type,
stray keys, and byte-level damage to a good lesson) load as a Lesson or raise LessonError, nothing else.
Command lines: random argument lists to `conclab.cli.main` end with exit status 0, 1 or 2 and never
print a traceback. Runs are kept tiny and on the plain runtime; no window is ever opened.
"""

from __future__ import annotations

import json
import math
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from conclab import cli
from conclab.model.lessons import Lesson, LessonError, load_lesson

LESSON_EXAMPLES = 600
DAMAGE_EXAMPLES = 400
ARGV_EXAMPLES = 300
FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

GOOD_LESSON = """
id = "fuzz-base"
title = "Base"
order = 1
intro = "A lesson the fuzzer starts from."
plan = "2x sleep 10ms; cpu 5ms"
models = ["sequential", "asyncio", "threads"]
workers = { threads = 2 }
switch_interval_ms = 5

[prediction]
question = "Which is faster?"
choices = [{ text = "asyncio", when = 0 }, "sequential"]

[[claims]]
text = "asyncio took {left:.2f} s"
left = "asyncio.wall_s"
op = "<"
right = "sequential.wall_s"
factor = 0.9
tolerance = 0.2
requires = { min_cpus = 1, gil = true }
"""

KEYS = ["id", "title", "order", "intro", "plan", "models", "workers", "switch_interval_ms", "prediction",
        "claims"]
CLAIM_KEYS = ["text", "left", "op", "right", "factor", "tolerance", "requires", "hidden"]
NAMES = ["asyncio.wall_s", "threads.wall_s", "sequential.wall_s", "processes.cores_used", "nope.x", "wall_s",
         "asyncio.", ".wall_s", "asyncio.wall_s.x", "", "machine.cpus"]

scalars = st.one_of(
    st.text(max_size=30), st.integers(min_value=-(2**63), max_value=2**63 - 1), st.booleans(),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(NAMES),
    st.sampled_from(["<", ">", "≈", "<=", "==", "!", "2x sleep 1ms", "asyncio", "threads", "x-y", "UPPER"]),
)
TABLE_KEYS = [*CLAIM_KEYS, "min_cpus", "gil", "question", "choices", "when", "answer", "x"]
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.sampled_from(TABLE_KEYS), inner, max_size=4)),
    max_leaves=12,
)
claims = st.lists(st.dictionaries(st.sampled_from(CLAIM_KEYS), values, max_size=8), max_size=3)
lesson_docs = st.dictionaries(st.sampled_from([*KEYS, "extra", "Id"]), values, max_size=11).flatmap(
    lambda d: st.just(d) if "claims" in d else claims.map(lambda c: {**d, "claims": c}))


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return "{ " + ", ".join(f"{json.dumps(str(k))} = {_toml_value(x)}" for k, x in v.items()) + " }"


def to_toml(doc: dict[str, Any]) -> str:
    """A small TOML writer (inline tables and arrays only) for the shapes generated here."""
    return "\n".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in doc.items()) + "\n"


def _load(folder: Path, text: str | bytes) -> Lesson | LessonError:
    path = folder / "01-fuzz.toml"
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    try:
        return load_lesson(path)
    except LessonError as exc:
        assert str(exc).startswith("01-fuzz.toml: "), str(exc)
        return exc


def test_the_base_lesson_is_valid_and_the_writer_round_trips(tmp_path: Path) -> None:
    assert isinstance(_load(tmp_path, GOOD_LESSON), Lesson)
    doc = tomllib.loads(GOOD_LESSON)
    assert tomllib.loads(to_toml(doc)) == doc
    assert isinstance(_load(tmp_path, to_toml(doc)), Lesson)


@settings(FUZZ, max_examples=LESSON_EXAMPLES)
@given(doc=lesson_docs)
def test_lesson_shaped_documents_give_a_lesson_or_a_lesson_error(tmp_path_factory: pytest.TempPathFactory,
                                                                  doc: dict[str, Any]) -> None:
    folder = tmp_path_factory.mktemp("lessons", numbered=True)
    result = _load(folder, to_toml(doc))
    assert isinstance(result, Lesson | LessonError)


@settings(FUZZ, max_examples=LESSON_EXAMPLES)
@given(data=st.data())
def test_a_good_lesson_with_one_value_replaced(tmp_path_factory: pytest.TempPathFactory,
                                                data: st.DataObject) -> None:
    doc = tomllib.loads(GOOD_LESSON)
    key = data.draw(st.sampled_from([*KEYS, "claims.0", "prediction.choices"]))
    if key == "claims.0":
        claim = doc["claims"][0]
        claim[data.draw(st.sampled_from(CLAIM_KEYS))] = data.draw(values)
    elif key == "prediction.choices":
        doc["prediction"]["choices"] = data.draw(st.lists(values, max_size=4))
    else:
        doc[key] = data.draw(values)
    result = _load(tmp_path_factory.mktemp("lessons", numbered=True), to_toml(doc))
    assert isinstance(result, Lesson | LessonError)


@settings(FUZZ, max_examples=DAMAGE_EXAMPLES)
@given(edits=st.lists(st.tuples(st.integers(0, len(GOOD_LESSON.encode())), st.integers(0, 8), st.binary(max_size=6)),
                      min_size=1, max_size=4))
def test_byte_damage_to_a_good_lesson(tmp_path_factory: pytest.TempPathFactory,
                                      edits: list[tuple[int, int, bytes]]) -> None:
    data = bytearray(GOOD_LESSON.encode())
    for at, cut, insert in edits:
        data[at:at + cut] = insert
    result = _load(tmp_path_factory.mktemp("lessons", numbered=True), bytes(data))
    assert isinstance(result, Lesson | LessonError)


# -- command lines -------------------------------------------------------------------------------------

COMMANDS = ["run", "code", "show", "lessons", "lesson", "frobnicate", "", "-h", "--version", "--frobnicate"]
OPTIONS = ["--models", "--workers", "--runtime", "--json", "--csv", "--trace", "--png", "--svg", "--scale",
           "--no-footer", "--model", "-h", "--", "-", "--models=asyncio", "--workers=2"]
TINY_PLANS = ["sleep 1ms", "2x sleep 1ms", "cpu 1ms", "a: hash 1ms, block 1ms in thread", "2x slep 1ms",
              "3x sleep 1ms;", "", ";;", "x" * 200, "sleep -1ms", "sleep 99999999999s", "100001x sleep 1ms"]
WORDS = ["asyncio", "threads", "sequential", "processes", "asyncio,threads", "fibers", ",", "plain", "qt",
         "0", "-1", "1", "2", "3", "100000", "1e3", "x", "article-example", "no-such-lesson", "é", " "]


@st.composite
def argv_lists(draw: st.DrawFn, out_dir: Path) -> list[str]:
    files = [str(out_dir / n) for n in ("a.json", "b.csv", "c.json", "d.png", "e.svg", "missing.plan",
                                        "no-such-dir/x.json")]
    argv = [draw(st.sampled_from(COMMANDS))]
    for _ in range(draw(st.integers(0, 6))):
        argv.append(draw(st.one_of(st.sampled_from(OPTIONS), st.sampled_from(TINY_PLANS), st.sampled_from(WORDS),
                                   st.sampled_from(files), st.text(max_size=8))))
    return argv


@st.composite
def well_formed_argv(draw: st.DrawFn, out_dir: Path) -> list[str]:
    """Commands with a plan and options that take values: most of these get as far as running."""
    files = [str(out_dir / n) for n in ("a.json", "b.csv", "c.trace.json", "no-such-dir/x.json")]
    values = {"--models": ["asyncio", "threads", "sequential", "asyncio,threads,sequential", "fibers", ""],
              "--workers": ["1", "2", "0", "-3", "100000", "x"], "--json": [*files, "-"], "--csv": files,
              "--trace": files, "--model": ["asyncio", "threads", "processes", "sequential", "fibers"]}
    argv = [draw(st.sampled_from(["run", "run", "code", "show"])),
            draw(st.sampled_from([*TINY_PLANS, files[0]]))]
    for _ in range(draw(st.integers(0, 4))):
        option = draw(st.sampled_from(sorted(values)))
        argv += [option, draw(st.sampled_from(values[option]))]
    return argv


def _tame(argv: list[str]) -> list[str]:
    """Keep fuzzed runs short: the plain runtime, threads for processes, no lesson runs. A real command
    line cannot hold a NUL byte, so none is passed on."""
    argv = [a.replace("\x00", "") for a in argv]
    if argv and argv[0] == "run":
        argv = [*argv, "--runtime", "plain"]
        if not any(a.startswith("--models") for a in argv):
            argv += ["--models", "asyncio"]
        argv = [a if a != "processes" else "threads" for a in argv]
    if argv and argv[0] == "lesson":
        argv = [a if a != "article-example" else "no-such-lesson" for a in argv]
    return argv


def _exit_code(argv: list[str]) -> int:
    try:
        return cli.main(argv)
    except SystemExit as exc:  # --help and --version exit through argparse, as the launcher would
        return int(exc.code or 0)


@settings(FUZZ, max_examples=ARGV_EXAMPLES)
@given(data=st.data())
def test_random_command_lines_exit_0_1_or_2_without_a_traceback(
        tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str], data: st.DataObject) -> None:
    out_dir = tmp_path_factory.mktemp("argv", numbered=True)
    argv = _tame(data.draw(st.one_of(argv_lists(out_dir), well_formed_argv(out_dir))))
    code = _exit_code(argv)
    captured = capsys.readouterr()
    event(f"{argv[0] or '(empty)'} exit {code}")
    assert code in (0, 1, 2), (argv, code, captured.err[-500:])
    assert "Traceback" not in captured.err and "Traceback" not in captured.out, argv
    if code == 2 and captured.err:
        assert captured.err.startswith(("conclab: ", "usage: ")), (argv, captured.err[:200])


def test_a_plan_longer_than_a_file_name_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """A one-line plan of more than 255 bytes is plan text, not a file name the system refuses."""
    plan = "; ".join(["sleep 1ms"] * 30)
    assert len(plan) > 255
    code = _exit_code(["run", plan, "--models", "asyncio", "--runtime", "plain"])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert code == 0, captured.err[-300:]
    assert _exit_code(["code", plan, "--model", "threads"]) == 0
