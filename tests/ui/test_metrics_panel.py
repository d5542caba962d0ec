"""Metrics panel: formatting, best-value highlighting per row direction, missing values, clearing."""

from __future__ import annotations

import pytest

from conclab.model.run import ModelRun
from conclab.ui.palette import best_color
from conclab.ui.timeline.metrics_panel import ROWS, MetricsPanel, best_columns, format_seconds


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
    assert panel.cell_text("efficiency", 0) == "87 %"
    assert panel.cell_text("lag", 0) == "12 ms / 40 ms"
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
    item = panel.table.item(panel.row_index("wall"), 0)
    assert item.foreground().color() == best_color()
    assert "Best" in item.toolTip()


def test_no_highlight_for_a_single_run_or_a_tie(panel: MetricsPanel) -> None:
    panel.set_runs([_run("asyncio", wall_s=1.0)])
    assert not panel.is_best("wall", 0)
    panel.set_runs([_run("asyncio", wall_s=1.0), _run("threads", wall_s=1.0)])
    assert not panel.is_best("wall", 0) and not panel.is_best("wall", 1)
    assert best_columns([None, 2.0, 1.0], "lower") == {2}
    assert best_columns([3.0, None], "higher") == set()


def test_columns_name_models_and_rows_explain_metrics(panel: MetricsPanel) -> None:
    panel.set_runs([_run("threads"), _run("threads"), _run("asyncio")])
    headers = [panel.table.horizontalHeaderItem(c).text() for c in range(3)]
    assert headers == ["threads (1)", "threads (2)", "asyncio"]
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
