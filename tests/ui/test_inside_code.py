"""The code, live: every step of every example plan is found on its line of the generated script, under
every model, and the code panel marks each task's line in its state's colour."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor
from pytestqt.qtbot import QtBot

from conclab.model.code_lines import CodeLines, code_lines, step_lines
from conclab.model.examples import load_examples
from conclab.model.plan import Plan, Step
from conclab.model.plan_text import parse
from conclab.model.trace import MODELS
from conclab.ui.inside.code_panel import CodePanel
from conclab.ui.inside.picture import Chip
from conclab.ui.palette import STATE_HEX

# What each kind of step calls in the script (the generator's words, checked on the line found).
CALLS = {"sleep": ("sleep",), "block": ("time.sleep",), "net": ("net",), "cpu": ("spin",), "hash": ("hash_work",)}
PLANS = [e.text for e in load_examples()] + [
    "3x fetch: net 200ms, cpu 30ms, net 100ms; crunch: cpu 300ms; logger: block 150ms",
    "off: cpu 20ms in thread, hash 10ms in process; 2x w: after 10ms every 5ms sleep 10ms",
    "lim: limit 1 timeout 1s sleep 10ms, hash 1ms; 40x many: sleep 1ms",
]


def _check(lines: CodeLines, plan: Plan) -> None:
    script = lines.script.splitlines()
    for g, group in enumerate(plan.groups):
        assert g in lines.steps, (g, group)
        for step, line in zip(group.steps, lines.steps[g], strict=True):
            text = script[line - 1]
            assert any(call in text for call in CALLS[step.kind]), (step, text)
            if step.offload:
                assert "to_thread" in text or "run_in_executor" in text or "await" not in text, text
        start = script[lines.starts[g] - 1].strip()
        assert start.startswith(("def ", "async def ", "with ", "async with ")), start


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("text", PLANS)
def test_every_step_is_on_its_line(text: str, model: str) -> None:
    plan = parse(text)
    for workers in (None, 2):
        _check(code_lines(plan, model, workers), plan)


def test_a_script_that_does_not_match_marks_nothing() -> None:
    plan = parse("a: sleep 10ms; b: cpu 10ms")
    assert step_lines("def a():\n    pass\n", plan).steps == {}
    assert step_lines("not python (", plan).line_of(0, 0) is None
    assert CodeLines("").line_of(3, -1) is None


def test_the_code_panel_marks_each_tasks_line_in_its_state_colour(qtbot: QtBot) -> None:
    panel = CodePanel()
    qtbot.addWidget(panel)
    panel.resize(700, 500)
    panel.show()
    plan = parse("2x fetch: sleep 200ms, cpu 30ms; crunch: cpu 300ms")
    panel.show_code(plan, "asyncio", None)
    chips = [Chip(0, False, "fetch 1", "io_wait", "", "", 0), Chip(1, False, "fetch 2", "ready_wait", "", "", 1),
             Chip(2, False, "crunch", "running", "", "", 0), Chip(0, True, "fetch 1", "running", "", "", 0)]
    panel.show_tasks(chips)
    marks = panel.text_view.marked_lines()
    script = panel.text_view.toPlainText().splitlines()
    assert {script[line - 1].strip().split("  #")[0]: names for line, names in marks.items()} == {
        "await asyncio.sleep(0.2)": ["fetch 1"], "spin(0.03)": ["fetch 2"], "spin(0.3)": ["crunch"]}
    qtbot.wait(30)
    image = panel.text_view.viewport().grab().toImage()
    colours = {image.pixelColor(x, y).name() for x in range(0, image.width(), 3) for y in range(0, image.height(), 3)}
    for state in ("io_wait", "ready_wait", "running"):  # the names at the lines' ends, in their states' colours
        assert QColor(STATE_HEX[state]).name() in colours, state
    panel.show_code(plan, "threads", None)  # another model: another script, marks made again
    assert panel.text_view.marked_lines() == {}
    assert "import threading" in panel.text_view.toPlainText()


def test_step_lines_keep_the_order_of_repeated_steps() -> None:
    plan = parse("s: sleep 1ms, sleep 2ms, sleep 3ms")
    lines = code_lines(plan, "asyncio")
    script = lines.script.splitlines()
    assert [script[n - 1].strip() for n in lines.steps[0]] == [
        "await asyncio.sleep(0.001)", "await asyncio.sleep(0.002)", "await asyncio.sleep(0.003)"]
    assert isinstance(plan.groups[0].steps[0], Step)
