"""Tests of the benchmark harness: statistics, verdicts, the table, the runner and small real measurements."""

from __future__ import annotations

import asyncio
import json
import sys

import pytest

from benchmarks import __main__ as bench_main
from benchmarks import bench_runfile, bench_runner, bench_scale, bench_startup, common


def test_median_and_noise_are_robust_to_one_outlier() -> None:
    values = [1.0, 1.1, 0.9, 1.0, 50.0]
    assert common.median(values) == 1.0
    assert common.noise(values) == pytest.approx(1.4826 * 0.1)
    assert common.noise([3.0]) == 0.0
    with pytest.raises(ValueError):
        common.median([])


def test_interleaved_alternates_which_side_goes_first() -> None:
    order: list[str] = []

    def side(tag: str, value: float) -> float:
        order.append(tag)
        return value

    a, b = common.interleaved(lambda: side("a", 2.0), lambda: side("b", 1.0), 4)
    assert order == ["a", "b", "b", "a", "a", "b", "b", "a"]
    assert a == [2.0] * 4 and b == [1.0] * 4
    assert common.ratios(a, b) == [2.0] * 4


def test_ratios_refuse_unpaired_series() -> None:
    with pytest.raises(ValueError):
        common.ratios([1.0], [1.0, 2.0])


def test_a_miss_fails_only_beyond_its_noise_band() -> None:
    within = common.row("x", 1.07, 1.05, "x", 0.05)
    beyond = common.row("y", 1.20, 1.05, "x", 0.05)
    met = common.row("z", 1.00, 1.05, "x", 0.0)
    reported = common.row("r", 99.0, None, "KiB")
    absent = common.row("n", None, 1.0, "s", note="not available")
    assert not within["ok"] and not common.missed(within)
    assert common.missed(beyond)
    assert met["ok"] and not common.missed(met)
    assert not common.missed(reported) and not common.missed(absent)
    assert common.exit_code([within, met, reported, absent]) == 0
    assert common.exit_code([within, beyond]) == 1
    assert [common.verdict(r) for r in (within, beyond, met, reported, absent)] == \
        ["miss~", "MISS", "ok", "report", "n/a"]


def test_rows_without_a_noise_key_count_as_noiseless() -> None:
    r = {"name": "paint", "value": 6.0, "target": 5.0, "unit": "ms", "ok": False}
    assert common.missed(r)


def test_table_has_one_line_per_row_and_the_notes() -> None:
    rows = [common.ratio_row("pair", [1.1, 1.2, 1.0], [1.0, 1.0, 1.0], 1.05, note="hello"),
            common.row("size", 92.9, 60.0, "B")]
    text = common.format_table(rows)
    lines = text.splitlines()
    assert len(lines) == 2 + len(rows)
    assert "1.100x" in lines[2] and "# hello" in lines[2]
    assert "MISS" in lines[3] and "≤ 60 B" in lines[3]


def test_main_rejects_unknown_names(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_main.main(["bench_nothing"]) == 2
    assert "unknown benchmark 'bench_nothing'" in capsys.readouterr().err


def test_a_failing_benchmark_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom() -> list[common.Row]:
        raise RuntimeError("no server")

    monkeypatch.setattr(bench_runfile, "run", boom)
    rows, ran = bench_main.run_module("bench_runfile")
    assert not ran
    assert rows[0]["value"] is None and "RuntimeError: no server" in rows[0]["note"]


def test_plain_sides_measure_real_work() -> None:
    elapsed = asyncio.run(bench_runner.plain_gather_sleep(50, 0.05))
    assert 0.04 < elapsed < 2.0
    threaded = bench_runner.plain_threads(4, 8, __import__("time").sleep, 0.05)
    assert 0.09 < threaded < 3.0  # two rounds of four 50 ms sleeps


def test_runner_net_pair_speaks_the_server_protocol() -> None:
    from conclab.engines.netserver import NetServer

    server = NetServer()
    addr = server.start()
    try:
        elapsed = asyncio.run(bench_runner.plain_gather_net(20, 0.05, addr))
        threaded = bench_runner.plain_threads(5, 10, bench_runner._plain_net_sync, addr, 50_000)
    finally:
        server.stop()
    assert 0.04 < elapsed < 3.0
    assert 0.09 < threaded < 5.0


def test_scale_child_reports_json_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_scale.child_main(["plain", "asyncio", "200"]) == 0
    data = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert data["wall_s"] >= 0.9
    assert "bytes_per_task" in data


def test_startup_reports_a_child_that_shows_nothing() -> None:
    with pytest.raises(bench_startup.LaunchError, match="showed no window"):
        bench_startup.time_to_shown([sys.executable, "-c", "print('hello')"])
    assert bench_startup.time_to_shown([sys.executable, "-c", "print('shown 0.1')"]) > 0


def test_runfile_synthetic_run_round_trips() -> None:
    from conclab.model import runfile

    doc = bench_runfile.synthetic_run(2_000)
    back = runfile.loads(runfile.dumps(doc))
    assert len(back.runs[0].spans) == 2_000
    assert back.runs[0].spans[0].worker.startswith("thread ")
    assert all(a.t0 <= b.t0 for a, b in zip(back.runs[0].spans, back.runs[0].spans[1:], strict=False))
