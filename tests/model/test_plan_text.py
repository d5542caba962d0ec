"""Unit tests for the plan text form: what parses to what, canonical formatting, and every error message."""

from __future__ import annotations

import pytest

from conclab.model import plan_text
from conclab.model.errors import PlanError
from conclab.model.plan import MAX_STEP_US, MAX_TASKS, MAX_TEXT_BYTES, Group, Plan, Step
from conclab.model.plan_text import (
    MAX_GROUPS,
    MAX_NAME_LEN,
    MAX_OFFSET_US,
    MAX_STEPS_PER_GROUP,
    format_plan,
    is_valid_name,
    parse,
    validate_plan,
)

DESIGN_EXAMPLE = "3x fetch: net 200ms, cpu 20ms, net 100ms; 2x crunch: cpu 300ms; logger: block 150ms"


def _error(text: str) -> PlanError:
    with pytest.raises(PlanError) as info:
        parse(text)
    return info.value


# --- what parses to what -------------------------------------------------------------------------


def test_design_example_parses_to_the_expected_groups() -> None:
    plan = parse(DESIGN_EXAMPLE)
    assert plan == Plan(
        (
            Group((Step("net", 200_000), Step("cpu", 20_000), Step("net", 100_000)), count=3, name="fetch"),
            Group((Step("cpu", 300_000),), count=2, name="crunch"),
            Group((Step("block", 150_000),), name="logger"),
        )
    )
    assert plan.task_count == 6


def test_after_and_every_in_either_order() -> None:
    a = parse("4x after 1s every 100ms sleep 1s")
    b = parse("4x every 100ms after 1s sleep 1s")
    assert a == b
    assert (a.groups[0].after_us, a.groups[0].every_us) == (1_000_000, 100_000)


@pytest.mark.parametrize("text", ["3x sleep 1s", "3 x sleep 1s", "3x  sleep 1 s", "\t3\tx\tsleep\t1000ms"])
def test_whitespace_is_free_between_tokens(text: str) -> None:
    assert parse(text) == Plan((Group((Step("sleep", 1_000_000),), count=3),))


@pytest.mark.parametrize(
    ("text", "us"),
    [("1us", 1), ("1.5ms", 1500), ("2s", 2_000_000), (".5s", 500_000), ("1.s", 1_000_000), ("0.5us", 1),
     ("2.4us", 2), ("0.0015s", 1500), ("0060s", 60_000_000)],
)
def test_durations_round_to_whole_microseconds(text: str, us: int) -> None:
    assert parse(f"sleep {text}").groups[0].steps[0].duration_us == us


def test_offloads_on_any_kind() -> None:
    plan = parse("cpu 1s in process, block 1s in thread, sleep 1s, net 1ms in thread, hash 2ms in process")
    assert [s.offload for s in plan.groups[0].steps] == ["process", "thread", None, "thread", "process"]


def test_empty_groups_blank_lines_and_comments_are_skipped() -> None:
    text = "# a comment — with any printable text ✓\n\n;; sleep 1s # trailing\n;\n   \n  cpu 2ms;;"
    assert parse(text) == Plan((Group((Step("sleep", 1_000_000),)), Group((Step("cpu", 2000),))))


def test_newlines_separate_groups_and_continue_after_a_comma() -> None:
    plan = parse("a: sleep 1s,\n   cpu 1ms\nb: net 2ms\r\nc: hash 3ms\rd: block 4ms")
    assert [g.name for g in plan.groups] == ["a", "b", "c", "d"]
    assert len(plan.groups[0].steps) == 2


@pytest.mark.parametrize("name", ["sleep", "after", "every", "in", "x", "thread", "ms", "s", "_x", "a-b.c_9"])
def test_a_name_spelled_like_a_keyword_is_unambiguous(name: str) -> None:
    plan = parse(f"2x {name}: sleep 1s")
    assert plan.groups[0].name == name
    assert parse(format_plan(plan)) == plan


def test_names_accepted_by_the_parser_are_valid_names() -> None:
    assert is_valid_name("fetch-1.a_b")
    for bad in ["", "1abc", "a b", "a:b", "é", "a" * (MAX_NAME_LEN + 1), "a,b"]:
        assert not is_valid_name(bad)


# --- the canonical text --------------------------------------------------------------------------


def test_format_uses_the_largest_exact_unit() -> None:
    steps = (Step("sleep", 1_500_000), Step("sleep", 2_000_000), Step("sleep", 1), Step("sleep", 1_000_001))
    assert format_plan(Plan((Group(steps),))) == "sleep 1500ms, sleep 2s, sleep 1us, sleep 1000001us"


def test_format_design_example_is_canonical_and_stable() -> None:
    assert format_plan(parse(DESIGN_EXAMPLE)) == DESIGN_EXAMPLE
    messy = " 3 x  fetch :net 200 ms ,cpu 0.02s,net 100000us\n2x crunch: cpu 300ms;logger:block 150ms # log"
    assert format_plan(parse(messy)) == DESIGN_EXAMPLE


def test_format_multiline_and_optional_parts() -> None:
    plan = Plan(
        (
            Group((Step("net", 1000, "thread"),), count=1, name=None, after_us=2_000_000, every_us=0),
            Group((Step("cpu", 5000, "process"),), count=2, name="w", after_us=0, every_us=100_000),
        )
    )
    text = format_plan(plan, multiline=True)
    assert text == "after 2s net 1ms in thread\n2x w: every 100ms cpu 5ms in process"
    assert parse(text) == plan
    assert format_plan(plan) == text.replace("\n", "; ")


@pytest.mark.parametrize(
    "group",
    [
        Group((Step("sleep", 1000),), name="a b"),
        Group((Step("sleep", 1000),), name="9lives"),
        Group((Step("sleep", 0),)),
        Group((Step("sleep", 1000),), count=0),
        Group(()),
    ],
)
def test_format_refuses_groups_without_a_text_form(group: Group) -> None:
    with pytest.raises(PlanError):
        format_plan(Plan((group,)))


def test_validate_plan_checks_the_parser_limits() -> None:
    validate_plan(parse(DESIGN_EXAMPLE))
    too_many = Plan((Group((Step("sleep", 1000),), count=MAX_TASKS + 1),))
    too_long = Plan((Group((Step("sleep", MAX_STEP_US + 1),)),))
    late = Plan((Group((Step("sleep", 1000),), after_us=MAX_OFFSET_US + 1),))
    for plan in (too_many, too_long, late, Plan(())):
        with pytest.raises(PlanError):
            validate_plan(plan)


# --- errors: message, line and column ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "col", "words"),
    [
        ("sleep 1s\n   slep 1s", 2, 4, ["unknown step kind 'slep'", "did you mean 'sleep'?"]),
        ("Sleep 1s", 1, 1, ["did you mean 'sleep'?"]),
        ("hsah 1s", 1, 1, ["did you mean 'hash'?"]),
        ("aftr 1s sleep 1s", 1, 1, ["unknown word 'aftr'", "did you mean 'after'?"]),
        ("evry 1s sleep 1s", 1, 1, ["did you mean 'every'?"]),
        ("zzz 1s", 1, 1, ["unknown step kind 'zzz'", "sleep, block, net, cpu, hash"]),
        ("sleep 1 mss", 1, 9, ["unknown unit 'mss'", "did you mean 'ms'?"]),
        ("sleep 1MS", 1, 8, ["did you mean 'ms'?"]),
        ("sleep 1 hours", 1, 9, ["unknown unit 'hours'", "use us, ms or s"]),
        ("sleep 1s in thred", 1, 13, ["after 'in'", "did you mean 'thread'?"]),
        ("sleep 1s in proces", 1, 13, ["did you mean 'process'?"]),
        ("sleep 1s in", 1, 12, ["expected 'thread' or 'process' after 'in'", "found nothing"]),
        ("sleep 1s in 5", 1, 13, ["expected 'thread' or 'process' after 'in', found '5'"]),
        ("sleep 1s inn thread", 1, 10, ["unexpected 'inn'", "did you mean 'in'?"]),
        ("sleep", 1, 6, ["missing duration after 'sleep'"]),
        ("cpu fast", 1, 5, ["missing duration after 'cpu'"]),
        ("after sleep 1s", 1, 7, ["missing duration after 'after'"]),
        ("sleep 10", 1, 9, ["missing unit after '10'"]),
        ("sleep 1.2.3s", 1, 7, ["bad number '1.2.3'"]),
        ("sleep 1e999s", 1, 7, ["bad number '1e999'"]),
        ("sleep 1s foo", 1, 10, ["unexpected 'foo' after the step", "expected ',', ';' or a new line"]),
        ("sleep 1s 5", 1, 10, ["unexpected '5' after the step"]),
        ("sleep 1s cpu 1s", 1, 10, ["missing ',' before the step 'cpu'"]),
        ("sleep 1s every 1s", 1, 10, ["'every' goes before the steps"]),
        ("a: b: sleep 1s", 1, 4, ["the name 'b' must come first"]),
        ("sleep 1s,", 1, 10, ["expected a step", "end of the line"]),
        ("2x", 1, 3, ["expected a step"]),
        ("sleep 1s,,cpu 1s", 1, 10, ["expected a step", "found ','"]),
        ("3 sleep 1s", 1, 3, ["expected 'x' after the count '3'"]),
        ("0x sleep 1s", 1, 1, ["the count must be at least 1"]),
        ("1.5x sleep 1s", 1, 1, ["the count '1.5' must be a whole number"]),
        ("sleep 0.4us", 1, 7, ["must be > 0"]),
        ("sleep 0s", 1, 7, ["must be > 0"]),
        ("after 0ms sleep 1s", 1, 7, ["must be > 0"]),
        ("sleep 60.000001s", 1, 7, ["a step lasts at most 60s", "too long"]),
        ("after 3601s sleep 1s", 1, 7, ["'after' is at most 3600s"]),
        ("every 3600.5s sleep 1s", 1, 7, ["'every' is at most 3600s"]),
        ("after 1s after 2s sleep 1s", 1, 10, ["'after' is given twice"]),
        ("sleep 99999999999999999999999999s", 1, 7, ["a step lasts at most 60s"]),
        ("99999999999999999999x sleep 1s", 1, 1, ["too many tasks", str(MAX_TASKS)]),
        ("sleep 1s @", 1, 10, ["unexpected character '@'"]),
        ("sleep 1s\n  \u00e9", 2, 3, ["'\u00e9' (U+00E9)", "plain ASCII"]),
        ("sleep 1s\x07", 1, 9, ["control character U+0007"]),
        ("sleep 1s # ok \x00", 1, 15, ["control character U+0000"]),
        ("sleep\u00a01s", 1, 6, ["U+00A0"]),
    ],
)
def test_error_messages_name_the_place_and_suggest(text: str, line: int, col: int, words: list[str]) -> None:
    err = _error(text)
    assert (err.line, err.col) == (line, col), str(err)
    assert str(err).startswith(f"line {line}, col {col}: ")
    for w in words:
        assert w in str(err)


@pytest.mark.parametrize("text", ["", "   ", "# just a comment\n\n", ";;\n;"])
def test_empty_plan(text: str) -> None:
    err = _error(text)
    assert str(err) == "the plan has no tasks"


def test_text_size_is_checked_first() -> None:
    err = _error("\u00e9" * (MAX_TEXT_BYTES + 1))
    assert "too long" in str(err) and err.line == 0
    # multi-byte characters count by their UTF-8 size
    err = _error("#" + "\u00e9" * (MAX_TEXT_BYTES // 2))
    assert "too long" in str(err)


def test_a_long_token_is_shortened_in_the_message() -> None:
    err = _error("sleep 1s " + "z" * 5000)
    assert len(str(err)) < 200


def test_name_too_long() -> None:
    err = _error("a" * (MAX_NAME_LEN + 1) + ": sleep 1s")
    assert (err.line, err.col) == (1, 1) and "too long" in str(err)
    assert parse("a" * MAX_NAME_LEN + ": sleep 1s").groups[0].name == "a" * MAX_NAME_LEN


def test_total_task_limit_across_groups() -> None:
    half = MAX_TASKS // 2
    assert parse(f"{half}x sleep 1s; {MAX_TASKS - half}x sleep 1s").task_count == MAX_TASKS
    err = _error(f"{half}x sleep 1s\n{MAX_TASKS - half}x sleep 1s\nsleep 1s")
    assert (err.line, err.col) == (3, 1) and "too many tasks" in str(err)


def test_step_count_limit() -> None:
    steps = ", ".join(["sleep 1us"] * MAX_STEPS_PER_GROUP)
    assert len(parse(steps).groups[0].steps) == MAX_STEPS_PER_GROUP
    err = _error(steps + ", sleep 1us")
    assert "too many steps" in str(err) and err.col == len(steps) + 3


def test_group_count_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    # The shortest group takes 7 bytes, so 10,000 groups never fit in 64 KiB of text: lower the
    # limit to reach it.
    assert MAX_GROUPS * len("cpu 1s;") > MAX_TEXT_BYTES
    monkeypatch.setattr(plan_text, "MAX_GROUPS", 50)
    groups = ";".join(["cpu 1s"] * 50)
    assert len(parse(groups).groups) == 50
    err = _error(groups + ";cpu 1s")
    assert "too many groups" in str(err) and err.col == len(groups) + 2
    assert "at most 50" in str(err)


def test_limits_are_inclusive() -> None:
    plan = parse("after 3600s every 3600s sleep 60s")
    assert (plan.groups[0].after_us, plan.groups[0].every_us) == (MAX_OFFSET_US, MAX_OFFSET_US)
    assert plan.groups[0].steps[0].duration_us == MAX_STEP_US


# --- limit and timeout ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "1000x req: limit 10 net 200ms",
        "8x job: timeout 250ms cpu 1s",
        "3x w: after 1s every 100ms limit 2 timeout 1500ms sleep 1s, cpu 5ms in thread",
        "limit 1 sleep 1s",
        "timeout 1us sleep 1s",
        f"after 3600s limit {MAX_TASKS} timeout 3600s sleep 60s",
    ],
)
def test_limit_and_timeout_round_trip(text: str) -> None:
    plan = parse(text)
    assert format_plan(plan) == text
    assert parse(format_plan(plan, multiline=True)) == plan
    validate_plan(plan)


def test_options_in_any_order_parse_to_the_same_group() -> None:
    a = parse("4x timeout 2s limit 3 every 10ms after 1s sleep 1s")
    b = parse("4x after 1s every 10ms limit 3 timeout 2s sleep 1s")
    assert a == b
    g = a.groups[0]
    assert (g.after_us, g.every_us, g.limit, g.timeout_us) == (1_000_000, 10_000, 3, 2_000_000)
    assert format_plan(a) == "4x after 1s every 10ms limit 3 timeout 2s sleep 1s"


def test_a_name_may_be_spelled_like_an_option() -> None:
    plan = parse("limit: limit 2 sleep 1s; timeout: timeout 1s sleep 2s")
    assert [g.name for g in plan.groups] == ["limit", "timeout"]
    assert (plan.groups[0].limit, plan.groups[1].timeout_us) == (2, 1_000_000)
    assert parse(format_plan(plan)) == plan


def test_tasks_carry_group_limit_and_deadline() -> None:
    tasks = parse("2x a: every 100ms limit 1 timeout 300ms sleep 1s; b: sleep 1s").tasks()
    assert [(t.group, t.limit, t.timeout_s) for t in tasks] == [(0, 1, 0.3), (0, 1, 0.3), (1, 0, None)]
    assert tasks[1].deadline_s == pytest.approx(0.4)
    assert tasks[2].deadline_s is None


@pytest.mark.parametrize(
    ("text", "critical"),
    [
        ("10x limit 2 sleep 1s", 5.0),  # five rounds of two
        ("10x limit 20 sleep 1s", 1.0),  # a limit above the count changes nothing
        ("4x every 1s limit 1 sleep 500ms", 3.5),  # never two at once anyway
        ("1000x limit 10 timeout 2s sleep 200ms", 2.0),  # a hundred rounds, cut at the deadline
        ("3x timeout 100ms cpu 1s; sleep 300ms", 0.3),
    ],
)
def test_critical_path_honours_limit_and_timeout(text: str, critical: float) -> None:
    assert parse(text).critical_s == pytest.approx(critical)


@pytest.mark.parametrize(
    ("text", "col", "words"),
    [
        ("limit sleep 1s", 7, ["missing number after 'limit'", "limit 10"]),
        ("limit 0 sleep 1s", 7, ["the limit must be at least 1"]),
        ("limit 1.5 sleep 1s", 7, ["the limit '1.5' must be a whole number"]),
        ("limit 10ms sleep 1s", 9, ["a limit is a number of tasks, not a duration"]),
        (f"limit {MAX_TASKS + 1} sleep 1s", 7, ["the limit is at most"]),
        ("limit 2 limit 3 sleep 1s", 9, ["'limit' is given twice"]),
        ("limt 3 sleep 1s", 1, ["unknown word 'limt'", "did you mean 'limit'?"]),
        ("timeout sleep 1s", 9, ["missing duration after 'timeout'"]),
        ("timeout 0s sleep 1s", 9, ["must be > 0"]),
        ("timeout 3601s sleep 1s", 9, ["'timeout' is at most 3600s"]),
        ("timout 1s sleep 1s", 1, ["did you mean 'timeout'?"]),
        ("timeout 1 sleep 1s", 11, ["unknown unit 'sleep'", "use us, ms or s"]),
        ("sleep 1s limit 2", 10, ["'limit' goes before the steps of a group"]),
        ("sleep 1s timeout 2s", 10, ["'timeout' goes before the steps of a group"]),
    ],
)
def test_limit_and_timeout_errors_name_the_place(text: str, col: int, words: list[str]) -> None:
    err = _error(text)
    assert (err.line, err.col) == (1, col), str(err)
    for w in words:
        assert w in str(err)


@pytest.mark.parametrize(
    "group",
    [
        Group((Step("sleep", 1000),), limit=-1),
        Group((Step("sleep", 1000),), timeout_us=-5),
    ],
)
def test_format_refuses_bad_limit_and_timeout(group: Group) -> None:
    with pytest.raises(PlanError):
        format_plan(Plan((group,)))


def test_validate_plan_checks_limit_and_timeout_ranges() -> None:
    for group in (Group((Step("sleep", 1000),), limit=MAX_TASKS + 1),
                  Group((Step("sleep", 1000),), timeout_us=MAX_OFFSET_US + 1)):
        with pytest.raises(PlanError):
            validate_plan(Plan((group,)))
