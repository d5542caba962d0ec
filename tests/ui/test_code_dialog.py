""""Show as code" → "Run it with…": the generated script runs with a Python of this machine, from the
dialog the Lessons menu opens, and its output (its own wall time) shows in the dialog."""

from __future__ import annotations

import asyncio
from time import perf_counter

import pytest
import qasync

from conclab.engines.interpreters import InterpreterError, resolve
from conclab.model.plan_text import parse
from conclab.ui.plan_editor.code_dialog import CodeDialog
from conclab.ui.shell.main_window import MainWindow


def _open_code(window: MainWindow) -> CodeDialog:
    window.editor.set_plan(parse("2x sleep 100ms"))
    window.controls.set_models(["threads"])
    window.action("show_code").trigger()  # Lessons → Show as code (Ctrl+Shift+C)
    dialog = window.findChild(CodeDialog)
    assert isinstance(dialog, CodeDialog) and dialog.isVisible()
    return dialog


def _run_and_wait(qloop: qasync.QEventLoop, dialog: CodeDialog, timeout: float = 60.0) -> str:
    dialog.runner.run_button.click()

    async def wait() -> None:
        end = perf_counter() + timeout
        while "exit status" not in dialog.runner.output.toPlainText() and perf_counter() < end:
            await asyncio.sleep(0.05)

    qloop.run_until_complete(wait())
    return dialog.runner.output.toPlainText()


def test_the_script_runs_with_the_apps_python_and_prints_its_wall_time(window: MainWindow,
                                                                      qloop: qasync.QEventLoop) -> None:
    dialog = _open_code(window)
    assert dialog.model() == "threads"
    out = _run_and_wait(qloop, dialog)
    assert "(exit status 0)" in out, out
    wall = float(out.split("wall: ")[1].split()[0])
    assert 0.08 < wall < 1.0, "two 100 ms sleeps on two threads overlap"
    dialog.close()


@pytest.mark.parametrize("version", ["3.12", "3.13"])
def test_the_script_runs_with_another_python_of_this_machine(window: MainWindow, qloop: qasync.QEventLoop,
                                                            version: str) -> None:
    try:
        executable = resolve(version).executable
    except InterpreterError as exc:
        pytest.skip(f"Python {version} is not on this machine: {exc}")
    dialog = _open_code(window)
    dialog.runner.python_box.showPopup()  # opening the choice lists the machine's Pythons
    dialog.runner.python_box.hidePopup()

    async def listed() -> None:
        end = perf_counter() + 30
        while dialog.runner.python_box.findData(executable) < 0 and perf_counter() < end:
            await asyncio.sleep(0.05)

    qloop.run_until_complete(listed())
    assert dialog.runner.set_python(executable), "the interpreter is offered in Run it with"
    out = _run_and_wait(qloop, dialog)
    assert out.startswith(f"$ {executable} ") and "(exit status 0)" in out, out
    dialog.close()


def test_closing_the_dialog_ends_a_running_script(window: MainWindow, qloop: qasync.QEventLoop) -> None:
    window.editor.set_plan(parse("sleep 30s"))
    window.controls.set_models(["asyncio"])
    window.action("show_code").trigger()
    dialog = window.findChild(CodeDialog)
    assert isinstance(dialog, CodeDialog)
    dialog.runner.run_button.click()
    qloop.run_until_complete(asyncio.sleep(0.5))
    assert dialog.runner.is_running()
    dialog.close()
    assert not dialog.runner.is_running()
