"""The plan editor panel: form and text tabs in step both ways, inline errors, modified flag, examples."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontInfo, QTextCharFormat, QTextFormat
from PySide6.QtWidgets import QComboBox, QLineEdit, QPlainTextEdit, QSpinBox, QToolButton, QTreeView, QWidget

from conclab.model.errors import PlanError
from conclab.model.examples import load_examples
from conclab.model.plan import KIND_HELP, KINDS, MAX_TASKS, Group, Plan, Step
from conclab.model.plan_text import format_plan, parse
from conclab.ui.plan_editor.plan_draft import format_duration, parse_duration
from conclab.ui.plan_editor.plan_editor_panel import PlanEditorPanel
from conclab.ui.plan_editor.plan_form_model import (
    COL_AFTER,
    COL_COUNT,
    COL_DURATION,
    COL_EVERY,
    COL_KIND,
    COL_NAME,
    COL_OFFLOAD,
    PlanFormModel,
)

MIXED = "3x fetch: net 200ms, cpu 20ms\n2x crunch: every 50ms cpu 300ms in process\nlogger: block 150ms"


@pytest.fixture
def panel(qtbot) -> Iterator[PlanEditorPanel]:
    widget = PlanEditorPanel()
    qtbot.addWidget(widget)
    widget.set_plan(parse(MIXED))
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    assert not widget.text_view.is_pending(), "a test left the re-parse timer running"


def _open_editor(panel: PlanEditorPanel, index) -> QWidget:
    tree = panel.form_view.tree
    tree.setCurrentIndex(index)
    tree.edit(index)
    editor = tree.indexWidget(index)
    assert editor is not None, "no editor opened"
    return editor


def _type_text(qtbot, panel: PlanEditorPanel, text: str) -> None:
    """Replace the text tab's content by typing, as a user would."""
    editor = panel.text_view.editor
    editor.selectAll()
    editor.textCursor().removeSelectedText()
    for i, line in enumerate(text.split("\n")):
        if i:
            qtbot.keyClick(editor, Qt.Key.Key_Return)
        qtbot.keyClicks(editor, line)


def _plan_from_cells(model: PlanFormModel) -> Plan:
    """Rebuild a plan from what the table shows, independently of the model's own draft."""
    edit = Qt.ItemDataRole.EditRole
    groups = []
    for gi in range(model.rowCount()):
        task = model.task_index(gi)
        steps = []
        for si in range(model.rowCount(task)):
            kind = model.step_index(gi, si, COL_KIND).data(edit)
            us = parse_duration(
                model.step_index(gi, si, COL_DURATION).data(edit), allow_zero=False, limit_us=10**12
            )
            offload = model.step_index(gi, si, COL_OFFLOAD).data(edit) or None
            steps.append(Step(kind, us, offload))
        after, every = (
            parse_duration(model.task_index(gi, c).data(edit), allow_zero=True, limit_us=10**13)
            for c in (COL_AFTER, COL_EVERY)
        )
        name = model.task_index(gi, COL_NAME).data(edit) or None
        groups.append(Group(tuple(steps), model.task_index(gi, COL_COUNT).data(edit), name, after, every))
    return Plan(tuple(groups))


# -- loading -------------------------------------------------------------------------------------


def test_set_plan_shows_tasks_in_the_table_and_the_text(panel: PlanEditorPanel) -> None:
    model = panel.form_view.model
    assert model.rowCount() == 3
    assert [model.rowCount(model.task_index(g)) for g in range(3)] == [2, 1, 1]
    assert model.task_index(0, COL_NAME).data() == "fetch"
    assert model.task_index(0, COL_COUNT).data(Qt.ItemDataRole.EditRole) == 3
    assert model.task_index(1, COL_EVERY).data() == "50ms"
    assert model.step_index(1, 0, COL_OFFLOAD).data() == "in process"
    assert model.step_index(0, 1, COL_KIND).data() == "cpu"
    assert model.task_index(0, COL_DURATION).data() == "220ms"  # one copy's length
    assert panel.text() == MIXED
    assert panel.plan() == parse(MIXED)
    assert not panel.is_modified() and not panel.has_error()


def test_set_plan_keeps_given_text_and_rejects_mismatches(qtbot, panel: PlanEditorPanel) -> None:
    text = "# two sleepers\ntask1: sleep 1s\n\ntask2:  sleep 2000ms"
    with qtbot.waitSignal(panel.plan_changed) as sig:
        panel.set_plan(parse(text), text=text)
    assert sig.args == [parse(text)]
    assert panel.text() == text
    with pytest.raises(PlanError, match="different plan"):
        panel.set_plan(parse("a: sleep 1s"), text="a: sleep 2s")
    with pytest.raises(PlanError):
        panel.set_plan(Plan((Group((Step("sleep", 0),)),)))
    assert panel.text() == text and panel.plan() == parse(text)


# -- editing the form ----------------------------------------------------------------------------


def test_editing_cells_through_their_editors_changes_plan_and_text(qtbot, panel: PlanEditorPanel) -> None:
    model = panel.form_view.model
    spin = _open_editor(panel, model.task_index(0, COL_COUNT))
    assert isinstance(spin, QSpinBox) and spin.maximum() == MAX_TASKS
    spin.setValue(7)
    with qtbot.waitSignal(panel.plan_changed):
        qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert panel.plan().groups[0].count == 7
    assert panel.text().startswith("7x fetch: net 200ms, cpu 20ms\n")

    combo = _open_editor(panel, model.step_index(0, 1, COL_KIND))
    assert isinstance(combo, QComboBox)
    assert [combo.itemData(i, Qt.ItemDataRole.ToolTipRole) for i in range(combo.count())] == [
        f"{k}: {KIND_HELP[k]}" for k in KINDS
    ]
    with qtbot.waitSignal(panel.plan_changed):
        combo.setCurrentIndex(combo.findData("hash"))
        combo.activated.emit(combo.currentIndex())
    assert panel.plan().groups[0].steps[1] == Step("hash", 20_000)

    line = _open_editor(panel, model.step_index(0, 0, COL_DURATION))
    assert isinstance(line, QLineEdit)
    line.clear()
    qtbot.keyClicks(line, "1x.5?s")  # the validator drops the characters that cannot make a duration
    assert line.text() == "1.5s"
    with qtbot.waitSignal(panel.plan_changed):  # the delegate commits on Return, queued
        qtbot.keyClick(line, Qt.Key.Key_Return)
    assert panel.plan().groups[0].steps[0].duration_us == 1_500_000

    offload = _open_editor(panel, model.step_index(2, 0, COL_OFFLOAD))
    assert isinstance(offload, QComboBox)
    with qtbot.waitSignal(panel.plan_changed):
        offload.setCurrentIndex(offload.findData("thread"))
        offload.activated.emit(offload.currentIndex())

    name = _open_editor(panel, model.task_index(2, COL_NAME))
    assert isinstance(name, QLineEdit)
    name.clear()
    qtbot.keyClicks(name, "log ger!")  # space and '!' are not allowed in names
    assert name.text() == "logger"
    name.setText("writer")
    with qtbot.waitSignal(panel.plan_changed):
        qtbot.keyClick(name, Qt.Key.Key_Return)

    assert (
        panel.text() == "7x fetch: net 1500ms, hash 20ms\n2x crunch: every 50ms cpu 300ms in process\n"
        "writer: block 150ms in thread"
    )
    assert parse(panel.text()) == panel.plan() == panel.form_view.plan()


def test_form_refuses_invalid_values_and_keeps_the_plan(qtbot, panel: PlanEditorPanel) -> None:
    model = panel.form_view.model
    before = panel.plan()
    with qtbot.assertNotEmitted(panel.plan_changed):
        assert not model.setData(model.step_index(0, 0, COL_DURATION), "0ms")
        assert not model.setData(model.step_index(0, 0, COL_DURATION), "61s")
        assert not model.setData(model.task_index(0, COL_COUNT), MAX_TASKS)  # total would pass the limit
        assert not model.setData(model.task_index(0, COL_NAME), "9lives")
        assert not model.setData(model.step_index(0, 0, COL_KIND), "slep")
        assert not model.setData(model.task_index(0, COL_KIND), "cpu")  # a task row has no kind
    assert panel.plan() == before and panel.text() == MIXED
    assert panel.form_view.message.isVisible()
    assert "Not changed" in panel.form_view.message.text()
    assert model.setData(model.task_index(0, COL_AFTER), "0.5 s")
    assert panel.plan().groups[0].after_us == 500_000
    assert not panel.form_view.message.isVisible()


def test_add_remove_duplicate_and_move_tasks(qtbot, panel: PlanEditorPanel) -> None:
    form = panel.form_view
    actions = form.actions_by_name
    form.select((0, None))
    actions["add_task"].trigger()
    assert form.current_position() == (1, None)
    assert panel.plan().groups[1] == Group((Step("sleep", 100_000),))
    assert len(panel.plan().groups) == 4
    actions["remove"].trigger()
    assert panel.plan() == parse(MIXED)
    form.select((2, None))
    actions["duplicate"].trigger()
    assert [g.name for g in panel.plan().groups] == ["fetch", "crunch", "logger", "logger"]
    form.select((0, None))
    actions["move_down"].trigger()
    actions["move_down"].trigger()
    assert [g.name for g in panel.plan().groups] == ["crunch", "logger", "fetch", "logger"]
    assert form.current_position() == (2, None)
    actions["move_up"].trigger()
    assert [g.name for g in panel.plan().groups] == ["crunch", "fetch", "logger", "logger"]
    form.select((0, None))
    actions["move_up"].trigger()  # already first: nothing moves
    assert [g.name for g in panel.plan().groups] == ["crunch", "fetch", "logger", "logger"]
    assert parse(panel.text()) == panel.plan()


def test_add_remove_duplicate_and_move_steps(qtbot, panel: PlanEditorPanel) -> None:
    form = panel.form_view
    actions = form.actions_by_name
    form.select((0, 0))
    actions["add_step"].trigger()  # after the current step, a copy of it without offload
    assert panel.plan().groups[0].steps == (Step("net", 200_000), Step("net", 200_000), Step("cpu", 20_000))
    assert form.current_position() == (0, 1)
    actions["remove"].trigger()
    form.select((0, 1))
    actions["duplicate"].trigger()
    assert [s.kind for s in panel.plan().groups[0].steps] == ["net", "cpu", "cpu"]
    form.select((0, 0))
    actions["move_down"].trigger()
    assert [s.kind for s in panel.plan().groups[0].steps] == ["cpu", "net", "cpu"]
    assert form.current_position() == (0, 1)
    form.select((1, None))
    actions["add_step"].trigger()  # on a task row: appended to that task
    assert panel.plan().groups[1].steps[-1] == Step("cpu", 300_000)
    assert panel.text().splitlines()[1] == "2x crunch: every 50ms cpu 300ms in process, cpu 300ms"


def test_last_step_and_last_task_cannot_be_removed(qtbot, panel: PlanEditorPanel) -> None:
    form = panel.form_view
    form.select((2, 0))
    with qtbot.assertNotEmitted(panel.plan_changed):
        form.actions_by_name["remove"].trigger()
    assert "at least one step" in form.message.text()
    panel.set_plan(parse("only: sleep 1s"))
    form.select((0, None))
    form.actions_by_name["remove"].trigger()
    assert "at least one task" in form.message.text()
    assert panel.plan() == parse("only: sleep 1s")


def test_shortcuts_reach_the_actions(qtbot, panel: PlanEditorPanel) -> None:
    panel.activateWindow()
    tree = panel.form_view.tree
    tree.setFocus()
    qtbot.waitUntil(tree.hasFocus)
    panel.form_view.select((0, None))
    qtbot.keyClick(tree, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    assert len(panel.plan().groups) == 4
    qtbot.keyClick(tree, Qt.Key.Key_Delete)
    assert len(panel.plan().groups) == 3
    assert panel.form_view.current_position() == (1, None)
    qtbot.keyClick(tree, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert [g.name for g in panel.plan().groups] == ["fetch", "crunch", "crunch", "logger"]
    qtbot.keyClick(tree, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    assert [g.name for g in panel.plan().groups] == ["fetch", "crunch", "logger", "crunch"]
    assert panel.form_view.current_position() == (3, None)
    qtbot.keyClick(
        tree, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    assert len(panel.plan().groups[3].steps) == 2
    qtbot.keyClick(tree, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)  # a step moves within its task
    assert panel.form_view.current_position() == (3, 0)


def test_context_menu_offers_every_action(panel: PlanEditorPanel) -> None:
    menu = panel.form_view.context_menu()
    texts = [a.text() for a in menu.actions() if not a.isSeparator()]
    assert texts == ["Add task", "Add step", "Remove", "Duplicate", "Move up", "Move down"]
    menu.deleteLater()


# -- editing the text ----------------------------------------------------------------------------


def test_typing_valid_text_updates_the_table_after_the_pause(qtbot, panel: PlanEditorPanel) -> None:
    panel.tabs.setCurrentIndex(1)
    with qtbot.waitSignal(panel.plan_changed, timeout=5000) as sig:
        _type_text(qtbot, panel, "4x w: sleep 1s\n# note\nz: hash 5ms")
    assert sig.args == [parse("4x w: sleep 1s; z: hash 5ms")]
    model = panel.form_view.model
    assert model.rowCount() == 2
    assert model.task_index(0, COL_NAME).data() == "w"
    assert model.step_index(1, 0, COL_KIND).data() == "hash"
    # the typed text stays as typed (comment, cursor and all): the text was the source
    assert panel.text() == "4x w: sleep 1s\n# note\nz: hash 5ms"
    assert panel.text_view.editor.textCursor().position() == len(panel.text())


def test_bad_text_shows_inline_error_and_keeps_the_last_valid_plan(qtbot, panel: PlanEditorPanel) -> None:
    before = panel.plan()
    with qtbot.waitSignal(panel.validity_changed) as sig:
        _type_text(qtbot, panel, "3x fetch: net 200ms\nlogger: blok 150ms")
        panel.flush()
    assert sig.args == [False]
    assert panel.has_error()
    assert panel.error_text().startswith("line 2, col 9:")
    label = panel.text_view.error_label
    assert (
        label.isVisibleTo(panel.text_view)
        and "line 2, column 9" in label.text()
        and "did you mean 'block'" in label.text()
    )
    assert panel.plan() == before and panel.form_view.plan() == before
    assert panel.form_banner.isVisibleTo(panel)

    line_sel, token_sel = panel.text_view.editor.extraSelections()
    assert line_sel.cursor.blockNumber() == 1
    assert line_sel.format.property(QTextFormat.Property.FullWidthSelection)
    assert token_sel.cursor.selectedText() == "blok"
    assert token_sel.format.underlineStyle() == QTextCharFormat.UnderlineStyle.WaveUnderline

    with qtbot.waitSignals([panel.validity_changed, panel.plan_changed]):
        qtbot.keyClick(panel.text_view.editor, Qt.Key.Key_End)
        cursor = panel.text_view.editor.textCursor()
        cursor.setPosition(len("3x fetch: net 200ms\nlogger: blo"))
        panel.text_view.editor.setTextCursor(cursor)
        qtbot.keyClicks(panel.text_view.editor, "c")
        panel.flush()
    assert not panel.has_error() and panel.error_text() == ""
    assert not panel.text_view.error_label.isVisibleTo(panel.text_view) and not panel.form_banner.isVisibleTo(
        panel
    )
    assert panel.text_view.editor.extraSelections() == []
    assert panel.plan() == parse("3x fetch: net 200ms; logger: block 150ms")


def test_errors_without_a_position_and_at_line_end(qtbot, panel: PlanEditorPanel) -> None:
    _type_text(qtbot, panel, "# nothing yet")
    panel.flush()
    assert panel.error_text() == "the plan has no tasks"
    assert panel.text_view.editor.extraSelections() == []
    _type_text(qtbot, panel, "a: sleep")
    panel.flush()
    assert panel.error_text().startswith("line 1, col 9:")
    selections = panel.text_view.editor.extraSelections()
    token = selections[1].cursor
    assert token.selectedText() == "p"  # nothing at the end of the line: the last character is marked
    assert panel.plan() == parse(MIXED)


def test_editing_the_form_while_the_text_is_bad_replaces_the_text(qtbot, panel: PlanEditorPanel) -> None:
    _type_text(qtbot, panel, "oops")
    panel.flush()
    assert panel.has_error()
    model = panel.form_view.model
    with qtbot.waitSignal(panel.validity_changed) as sig:
        model.setData(model.task_index(0, COL_COUNT), 5)
    assert sig.args == [True]
    assert panel.text() == MIXED.replace("3x", "5x", 1)
    panel.text_view.editor.undo()  # the form's rewrite is one undo step in the text
    assert panel.text() == "oops"
    panel.flush()
    assert panel.has_error()


def test_flush_parses_at_once_and_stops_the_timer(qtbot, panel: PlanEditorPanel) -> None:
    _type_text(qtbot, panel, "a: cpu 1ms")
    assert panel.text_view.is_pending()
    assert panel.plan() == parse(MIXED)
    panel.flush()
    assert not panel.text_view.is_pending()
    assert panel.plan() == parse("a: cpu 1ms")


# -- modified flag -------------------------------------------------------------------------------


def test_modified_flag_follows_edits_and_saves(qtbot, panel: PlanEditorPanel) -> None:
    assert not panel.is_modified()
    model = panel.form_view.model
    with qtbot.waitSignal(panel.modified_changed) as sig:
        model.setData(model.task_index(0, COL_COUNT), 4)
    assert sig.args == [True] and panel.is_modified()
    with qtbot.waitSignal(panel.modified_changed) as sig:
        panel.mark_saved()
    assert sig.args == [False] and not panel.is_modified()
    qtbot.keyClicks(panel.text_view.editor, " # hi")
    assert panel.is_modified()
    panel.flush()
    with qtbot.waitSignal(panel.modified_changed) as sig:
        panel.set_plan(parse("a: sleep 1s"))
    assert sig.args == [False] and not panel.is_modified()
    with qtbot.waitSignal(panel.modified_changed) as sig:
        model.setData(model.task_index(0, COL_COUNT), 2)
    with qtbot.waitSignal(panel.modified_changed) as sig:
        model.setData(model.task_index(0, COL_COUNT), 1)  # back to the saved text
    assert sig.args == [False]


# -- examples, fields, accessibility -------------------------------------------------------------


def test_every_example_round_trips_through_the_table(qtbot, panel: PlanEditorPanel) -> None:
    examples = load_examples()
    assert len(examples) >= 10
    model = panel.form_view.model
    for example in examples:
        plan = example.plan()
        panel.set_plan(plan, text=example.text)
        assert panel.text() == example.text and not panel.is_modified()
        assert _plan_from_cells(model) == plan, example.id
        with qtbot.assertNotEmitted(panel.plan_changed):  # writing each shown value back changes nothing
            for gi in range(model.rowCount()):
                for col in (COL_NAME, COL_COUNT, COL_AFTER, COL_EVERY):
                    index = model.task_index(gi, col)
                    assert model.setData(index, index.data(Qt.ItemDataRole.EditRole))
                for si in range(len(plan.groups[gi].steps)):
                    for col in (COL_KIND, COL_DURATION, COL_OFFLOAD):
                        index = model.step_index(gi, si, col)
                        assert model.setData(index, index.data(Qt.ItemDataRole.EditRole))
        assert panel.plan() == plan and panel.form_view.plan() == plan
        assert parse(format_plan(panel.form_view.plan(), multiline=True)) == plan


@pytest.mark.parametrize(
    ("text", "us"),
    [("200ms", 200_000), ("1.5 s", 1_500_000), ("250us", 250), (".5ms", 500), ("0.0005ms", 1)],
)
def test_duration_fields_read_like_the_text_form(text: str, us: int) -> None:
    assert parse_duration(text, allow_zero=False, limit_us=60_000_000) == us
    assert parse_duration(format_duration(us), allow_zero=False, limit_us=60_000_000) == us
    assert parse(f"sleep {text}").groups[0].steps[0].duration_us == us


@pytest.mark.parametrize("text", ["", "0", "200", "ms", "2x", "0.0001ms", "61s", "-1s", "1e3ms"])
def test_bad_durations_are_refused_with_a_message(text: str) -> None:
    with pytest.raises(PlanError, match=r"duration|more than 0|too long"):
        parse_duration(text, allow_zero=False, limit_us=60_000_000)


def test_every_control_has_an_accessible_name_and_tooltip(panel: PlanEditorPanel) -> None:
    controls: list[QWidget] = [panel.tabs, *panel.form_view.findChildren(QToolButton)]
    controls += [*panel.findChildren(QTreeView), *panel.findChildren(QPlainTextEdit)]
    assert len(controls) >= 9
    for w in controls:
        assert w.accessibleName(), w
        assert w.toolTip(), w
    model = panel.form_view.model
    for index in (
        *(model.task_index(0, c) for c in (COL_NAME, COL_COUNT, COL_AFTER, COL_EVERY)),
        *(model.step_index(0, 0, c) for c in (COL_KIND, COL_DURATION, COL_OFFLOAD)),
    ):
        editor = _open_editor(panel, index)
        assert editor.accessibleName() and editor.toolTip()
        assert index.data(Qt.ItemDataRole.ToolTipRole)
        panel.form_view.tree.setFocus()
    assert QFontInfo(panel.text_view.editor.font()).fixedPitch()


def test_a_duration_without_its_unit_says_why_it_is_refused(qtbot, panel: PlanEditorPanel) -> None:
    model = panel.form_view.model
    index = model.step_index(0, 0, COL_DURATION)
    editor = _open_editor(panel, index)
    assert isinstance(editor, QLineEdit)
    editor.selectAll()
    qtbot.keyClicks(editor, "1")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    message = panel.form_view.message
    assert message.isVisibleTo(panel) and "'1' has no unit" in message.text() and "1ms" in message.text()
    assert panel.form_view.tree.indexWidget(index) is editor, "the editor stays open to add the unit"
    assert panel.plan() == parse(MIXED), "nothing changed"
    qtbot.keyClicks(editor, "ms")
    qtbot.keyClick(editor, Qt.Key.Key_Return)  # the view commits it on its next turn of the event loop
    qtbot.waitUntil(lambda: panel.plan().groups[0].steps[0].duration_us == 1000)
    assert not message.isVisibleTo(panel)


def test_leaving_a_duration_cell_without_a_unit_keeps_the_value_and_says_so(qtbot, panel: PlanEditorPanel) -> None:
    index = panel.form_view.model.step_index(1, 0, COL_DURATION)
    editor = _open_editor(panel, index)
    editor.selectAll()
    qtbot.keyClicks(editor, "250")
    panel.form_view.tree.setFocus()  # click elsewhere
    qtbot.waitUntil(lambda: panel.form_view.message.isVisibleTo(panel))
    assert "'250' has no unit" in panel.form_view.message.text()
    assert panel.plan() == parse(MIXED)


def test_notes_above_the_plan_wrap_and_can_be_hidden(qtbot, panel: PlanEditorPanel) -> None:
    about = "a long explanation of what this plan shows " * 6
    panel.set_notes("Ten thousand waiters", about)
    assert panel.notes_box.isVisibleTo(panel) and panel.notes.wordWrap()
    assert "Ten thousand waiters" in panel.notes_text()
    panel.resize(320, 500)
    assert panel.notes.heightForWidth(280) >= 3 * panel.notes.fontMetrics().height()
    hide = next(b for b in panel.notes_box.findChildren(QToolButton))
    hide.click()
    assert panel.notes_text() == ""
    panel.set_notes("", "")
    assert not panel.notes_box.isVisibleTo(panel)


def test_an_empty_text_says_the_plan_is_empty_and_how_to_start(qtbot, panel: PlanEditorPanel) -> None:
    panel.tabs.setCurrentIndex(1)
    panel.text_view.editor.setPlainText("# nothing yet\n")
    panel.flush()
    label = panel.text_view.error_label
    assert label.isVisibleTo(panel.text_view) and "The plan is empty" in label.text()


def test_the_form_shows_every_column_whole_at_its_ideal_width(qtbot, panel: PlanEditorPanel) -> None:
    panel.resize(panel.ideal_width(), 500)
    qtbot.wait(10)
    tree = panel.form_view.tree
    header = tree.header()
    for col in range(header.count()):
        right = header.sectionViewportPosition(col) + header.sectionSize(col)
        assert right <= tree.viewport().width() + 1, f"column {col} is cut off"
        title = panel.form_view.model.headerData(col, Qt.Orientation.Horizontal)
        assert header.sectionSize(col) >= header.fontMetrics().horizontalAdvance(title) + 8, title
