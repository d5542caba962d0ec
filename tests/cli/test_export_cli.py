"""Command-line exports: `conclab run … --png/--svg/--trace/--csv` and `conclab show RUN.json`.

The subprocess tests go through `conclab.cli.main` once it carries the export hooks; until then a
small harness wires the same functions around it (the glue is one line each in cli.py).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conclab.cli.exports_cmd import add_export_args, add_show_command, cmd_show, write_exports
from conclab.engines.headless import run_plan
from conclab.model.errors import ConclabError, FormatError
from conclab.model.plan_text import parse
from conclab.model.runfile import dumps, loads

HARNESS = r"""
import argparse, sys
from conclab import cli
from conclab.cli.exports_cmd import add_export_args, add_show_command, write_exports

parser = cli.build_parser()
sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
if "show" in sub.choices and "--png" in sub.choices["run"]._option_string_actions:
    sys.exit(cli.main(sys.argv[1:]))
add_export_args(sub.choices["run"])
add_show_command(sub)
import conclab.engines.headless as headless
plain_run, docs = headless.run_plan, []
headless.run_plan = lambda *a, **k: docs.append(plain_run(*a, **k)) or docs[-1]
original = cli.build_parser
cli.build_parser = lambda: parser
def run_then_export(args, _run=cli.cmd_run):
    code = _run(args)
    write_exports(args, docs[-1])
    return code
sub.choices["run"].set_defaults(func=run_then_export)
sys.exit(cli.main(sys.argv[1:]))
"""


def _conclab(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, "-c", HARNESS, *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def _check_outputs(tmp_path: Path, spans: int) -> None:
    width, height = _png_size(tmp_path / "a.png")
    assert width == 2 * 1200 and height > 400
    root = ET.parse(tmp_path / "a.svg").getroot()
    assert list(root.iter("{http://www.w3.org/2000/svg}rect")) or list(root.iter("{http://www.w3.org/2000/svg}path"))
    assert "GIL" in (tmp_path / "a.svg").read_text()
    trace = json.loads((tmp_path / "a.json").read_text())
    assert sum(1 for e in trace["traceEvents"] if e["ph"] == "X") == spans
    with (tmp_path / "a.csv").open() as fh:
        assert len(list(csv.DictReader(fh))) == spans


def test_run_writes_all_four_exports(tmp_path: Path) -> None:
    p = _conclab("run", "2x sleep 50ms", "--runtime", "plain", "--models", "asyncio,threads",
                 "--png", str(tmp_path / "a.png"), "--scale", "2", "--svg", str(tmp_path / "a.svg"),
                 "--trace", str(tmp_path / "a.json"), "--csv", str(tmp_path / "a.csv"),
                 "--json", str(tmp_path / "run.json"))
    assert p.returncode == 0, p.stderr
    doc = loads((tmp_path / "run.json").read_text())
    assert [r.model for r in doc.runs] == ["asyncio", "threads"]
    _check_outputs(tmp_path, sum(len(r.spans) for r in doc.runs))


def test_show_renders_a_saved_run_and_rejects_bad_files(tmp_path: Path) -> None:
    doc = run_plan(parse("sleep 30ms; cpu 20ms"), ["threads"])
    saved = tmp_path / "run.json"
    saved.write_text(dumps(doc))
    p = _conclab("show", str(saved), "--png", str(tmp_path / "x.png"), "--no-footer")
    assert p.returncode == 0, p.stderr
    assert "wall time" in p.stdout and _png_size(tmp_path / "x.png")[0] == 1200
    junk = tmp_path / "junk.json"
    junk.write_bytes(b"\x00{not json" * 1000)
    for bad in (junk, tmp_path / "missing.json"):
        p = _conclab("show", str(bad), "--png", str(tmp_path / "y.png"))
        assert p.returncode == 2 and bad.name in p.stderr and "Traceback" not in p.stderr, p.stderr
    assert not (tmp_path / "y.png").exists()


def test_bad_scale_and_unwritable_path_exit_2(tmp_path: Path) -> None:
    p = _conclab("run", "sleep 10ms", "--runtime", "plain", "--models", "asyncio", "--png", "a.png",
                 "--scale", "5")
    assert p.returncode == 2 and "Traceback" not in p.stderr
    p = _conclab("run", "sleep 10ms", "--runtime", "plain", "--models", "asyncio",
                 "--csv", str(tmp_path / "no" / "dir" / "a.csv"))
    assert p.returncode == 2 and "could not write" in p.stderr and "Traceback" not in p.stderr


# -- the functions themselves, in process --------------------------------------------------------
def _parser() -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    parser = argparse.ArgumentParser(prog="conclab")
    sub = parser.add_subparsers(dest="command")
    run = sub.add_parser("run")
    run.add_argument("plan")
    add_export_args(run)
    add_show_command(sub)
    return parser, run


def test_write_exports_directly(tmp_path: Path) -> None:
    parser, _ = _parser()
    args = parser.parse_args(["run", "2x sleep 50ms", "--png", str(tmp_path / "a.png"), "--scale", "2",
                              "--svg", str(tmp_path / "a.svg"), "--trace", str(tmp_path / "a.json"),
                              "--csv", str(tmp_path / "a.csv")])
    assert (args.scale, args.footer) == (2, True)
    doc = run_plan(parse(args.plan), ["asyncio", "threads"])
    write_exports(args, doc)
    _check_outputs(tmp_path, sum(len(r.spans) for r in doc.runs))


def test_export_options_parse_and_validate(tmp_path: Path) -> None:
    parser, _ = _parser()
    args = parser.parse_args(["run", "x", "--no-footer"])
    assert (args.png, args.svg, args.trace, args.csv, args.scale, args.footer) == (None, None, None, None, 1, False)
    with pytest.raises(SystemExit):
        parser.parse_args(["run", "x", "--scale", "4"])
    same = parser.parse_args(["run", "x", "--csv", str(tmp_path / "a"), "--trace", str(tmp_path / "a")])
    with pytest.raises(ConclabError, match="same file"):
        write_exports(same, run_plan(parse("sleep 1ms"), ["asyncio"]))


def test_show_command_directly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser, _ = _parser()
    bad = tmp_path / "wrong.json"
    bad.write_text(json.dumps({"schema": "conclab.run/9"}))
    args = parser.parse_args(["show", str(bad)])
    assert args.func is cmd_show
    with pytest.raises(FormatError, match=r"wrong\.json: not a Concurrency Lab run"):
        args.func(args)
    good = tmp_path / "good.json"
    good.write_text(dumps(run_plan(parse("sleep 5ms"), ["asyncio"])))
    args = parser.parse_args(["show", str(good), "--csv", str(tmp_path / "g.csv")])
    assert args.func(args) == 0
    assert "asyncio" in capsys.readouterr().out
    assert (tmp_path / "g.csv").read_text().startswith("model,task")
