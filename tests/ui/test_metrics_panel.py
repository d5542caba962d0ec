"""Metrics panel: formatting, best values only beyond the noise, stopped runs, speed-up basis, window lag,
ready waits per task, column names and columns that never clip their titles."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QFontMetrics

from conclab.model.metrics import SPEEDUP_MEASURED, SPEEDUP_PLANNED
from conclab.model.run import ModelRun
from conclab.ui.palette import best_color
from conclab.ui.timeline.metrics_panel import ROWS, MetricsPanel, Noise, best_columns, format_seconds


def _run(model: str, **metrics: float) -> ModelRun:
    return ModelRun(model, 2, dict(metrics), [], [])


@pytest.fixture
def panel(qtbot) -> MetricsPanel:  # type: ignore[no-untyped-def]
    widget = MetricsPanel()
    qtbot.addWidget(widget)
    return widget


def test_values_are_formatted_with_units(panel: MetricsPanel) -> None:
    panel.set_runs([_run("threads", wall_s=0.61, speedup=1.94, efficiency=0.871, lag_p99_ms=12.2,
                         lag_max_ms=40.0, frozen_s=0.0, peak_rss_mb=85.3, tasks_done=10, tasks_failed=1,
                         ctx_switches=12345)])
    assert panel.cell_text("wall", 0) == "0.61 s"
    assert panel.cell_text("speedup", 0) == "1.9x"
    assert panel.cell_text("window_lag", 0) == "—"
    assert panel.cell_text("efficiency", 0) == "87 %"
    assert panel.cell_text("lag", 0) == "12 / 40 ms"
    assert panel.cell_text("frozen", 0) == "0 ms"
    assert panel.cell_text("memory", 0) == "85 MB"
    assert panel.cell_text("switches", 0) == "12,345"
    assert panel.cell_text("tasks", 0) == "10 / 1"
    assert panel.cell_text("cores", 0) == "—"
    assert format_seconds(0.012) == "12 ms" and format_seconds(2.5) == "2.50 s"


def test_best_value_highlight_follows_row_direction(panel: MetricsPanel) -> None:
    runs = [_run("sequential", wall_s=2.0, speedup=1.0), _run("threads", wall_s=1.9, speedup=1.05),
            _run("processes", wall_s=1.1, speedup=1.8)]
    panel.set_runs(runs)
    assert [panel.is_best("wall", c) for c in range(3)] == [False, False, True]  # lower is better
    assert [panel.is_best("speedup", c) for c in range(3)] == [False, False, True]  # higher is better
    runs = [_run("sequential", wall_s=1.0, speedup=3.0), _run("threads", wall_s=2.0, speedup=1.5)]
    panel.set_runs(runs)
    assert [panel.is_best("wall", c) for c in range(2)] == [True, False]
    assert [panel.is_best("speedup", c) for c in range(2)] == [True, False]
    runs = [_run("sequential", wall_s=1.0), _run("threads", wall_s=1.03), _run("processes", wall_s=2.0)]
    panel.set_runs(runs)
    assert [panel.is_best("wall", c) for c in range(3)] == [True, True, False], "3 % apart is a tie"
    item = panel.table.item(panel.row_index("wall"), 0)
    assert item.foreground().color() == best_color()
    assert "best of the runs shown" in item.toolTip()


def test_no_highlight_for_a_single_run_or_a_tie(panel: MetricsPanel) -> None:
    panel.set_runs([_run("asyncio", wall_s=1.0)])
    assert not panel.is_best("wall", 0)
    panel.set_runs([_run("asyncio", wall_s=1.0), _run("threads", wall_s=1.0)])
    assert not panel.is_best("wall", 0) and not panel.is_best("wall", 1)
    assert best_columns([None, 2.0, 1.0], "lower") == {2}
    assert best_columns([3.0, None], "higher") == set()
    assert best_columns([1.0, 1.05], "lower", Noise(0.10, 0.02)) == set()


def test_differences_within_the_noise_are_not_called_best(panel: MetricsPanel) -> None:
    panel.set_runs([_run("asyncio", wall_s=0.512, cores_used=0.41, ctx_switches=1200, peak_rss_mb=80),
                    _run("threads", wall_s=0.530, cores_used=0.45, ctx_switches=1300, peak_rss_mb=84)])
    for key in ("wall", "cores", "switches", "memory"):
        assert not panel.is_best(key, 0) and not panel.is_best(key, 1), key


def test_lag_best_needs_a_responsive_value_and_a_real_gap(panel: MetricsPanel) -> None:
    panel.set_runs([_run("asyncio", lag_p99_ms=977, lag_max_ms=977), _run("threads", lag_p99_ms=1400,
                                                                       lag_max_ms=1500)])
    assert not panel.is_best("lag", 0), "a 977 ms lag is a frozen program, not the best of anything"
    panel.set_runs([_run("asyncio", lag_p99_ms=12, lag_max_ms=20), _run("threads", lag_p99_ms=15, lag_max_ms=16)])
    assert not panel.is_best("lag", 0) and not panel.is_best("lag", 1), "3 ms apart is noise"
    panel.set_runs([_run("asyncio", lag_p99_ms=502, lag_max_ms=502), _run("threads", lag_p99_ms=27, lag_max_ms=27)])
    assert panel.is_best("lag", 1) and not panel.is_best("lag", 0)


def test_stopped_runs_show_no_speedup_or_efficiency(panel: MetricsPanel) -> None:
    stopped = _run("threads", wall_s=0.3, speedup=276.0, efficiency=0.9, stopped=1.0, tasks_cancelled=4)
    panel.set_runs([_run("asyncio", wall_s=1.0, speedup=2.0, efficiency=0.5), stopped])
    assert panel.cell_text("speedup", 1) == "—" and panel.cell_text("efficiency", 1) == "—"
    assert "stopped" in panel.table.item(panel.row_index("speedup"), 1).toolTip()
    assert panel.table.horizontalHeaderItem(1).text() == "threads (stopped)"
    assert not panel.is_best("speedup", 0), "nothing to compare with"
    assert panel.cell_text("wall", 1) == "0.30 s"


def test_speedup_says_its_basis(panel: MetricsPanel) -> None:
    panel.set_runs([_run("sequential", speedup=1.0, speedup_basis=SPEEDUP_MEASURED),
                    _run("threads", speedup=1.9, speedup_basis=SPEEDUP_MEASURED)])
    assert panel.row_label("speedup") == "Speed-up vs sequential"
    assert "vs sequential, measured" in panel.table.item(panel.row_index("speedup"), 1).toolTip()
    panel.set_runs([_run("threads", speedup=1.9, speedup_basis=SPEEDUP_PLANNED)])
    assert panel.row_label("speedup") == "Speed-up vs plan"
    assert "vs the plan's serial time" in panel.table.item(panel.row_index("speedup"), 0).toolTip()


def test_window_lag_and_ready_waits_per_task(panel: MetricsPanel) -> None:
    panel.set_runs([_run("asyncio", window_lag_p99_ms=3.2, ready_wait_s=2.27, ready_wait_mean_s=0.454),
                    _run("threads", window_lag_p99_ms=250.0, ready_wait_s=0.62, ready_wait_mean_s=0.124)])
    assert panel.cell_text("window_lag", 0) == "3.2 ms"
    assert panel.is_best("window_lag", 0)
    assert panel.cell_text("ready", 0) == "0.45 s" and panel.row_label("ready") == "Ready, per task"
    assert panel.cell_text("ready_all", 0) == "2.27 s" and panel.row_label("ready_all") == "Ready, all tasks"
    assert panel.is_best("ready", 1) and not panel.is_best("ready_all", 1)
    tip = panel.table.verticalHeaderItem(panel.row_index("ready_all")).toolTip()
    assert "added up over all tasks" in tip and "task-seconds" in tip


def test_columns_never_clip_their_titles(panel: MetricsPanel, qtbot) -> None:  # type: ignore[no-untyped-def]
    panel.resize(360, 420)
    panel.show()
    qtbot.waitExposed(panel)
    panel.set_runs([_run("sequential", wall_s=1.0), _run("processes", wall_s=0.5), _run("threads · 3.13.0",
                    wall_s=0.7), _run("asyncio", wall_s=0.2)])
    header = panel.table.horizontalHeader()
    for c in range(panel.table.columnCount()):
        for title in panel.table.horizontalHeaderItem(c).text().splitlines():
            assert header.sectionSize(c) >= QFontMetrics(header.font()).horizontalAdvance(title), title
    label_width = panel.table.verticalHeader().width()
    assert all(QFontMetrics(panel.font()).horizontalAdvance(row.label) < label_width for row in ROWS)


def test_columns_name_models_and_rows_explain_metrics(panel: MetricsPanel) -> None:
    panel.set_runs([_run("threads"), _run("threads"), _run("asyncio")])
    headers = [panel.table.horizontalHeaderItem(c).text() for c in range(3)]
    assert headers == ["threads (1)", "threads (2)", "asyncio"]
    labelled = ModelRun("threads", 2, {}, [], [], label="threads · 3.13.0")
    panel.set_runs([labelled, _run("threads")])
    assert [panel.column_title(c) for c in range(2)] == ["threads · 3.13.0", "threads"]
    assert panel.table.horizontalHeaderItem(0).text() == "threads\n3.13.0", "two short lines, not one long one"
    for r, row in enumerate(ROWS):
        assert panel.table.verticalHeaderItem(r).toolTip() == row.tooltip and len(row.tooltip) > 20


def test_bad_metric_values_show_a_dash(panel: MetricsPanel) -> None:
    panel.set_runs([_run("threads", wall_s=float("nan"), speedup="fast", tasks_done=3),  # type: ignore[arg-type]
                    _run("asyncio", wall_s=1.0, tasks_done=5, tasks_failed=0)])
    assert panel.cell_text("wall", 0) == "—"
    assert panel.cell_text("speedup", 0) == "—"
    assert panel.is_best("tasks", 1) and not panel.is_best("tasks", 0)
    assert not panel.is_best("wall", 1)  # only one known value: nothing to compare


def test_clear_removes_columns(panel: MetricsPanel) -> None:
    panel.set_runs([_run("threads", wall_s=1.0)])
    panel.clear()
    assert panel.table.columnCount() == 0
