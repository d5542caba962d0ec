"""Property tests for the plan text form: any text gives a Plan or a PlanError, and valid plans round-trip."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conclab.model.errors import PlanError
from conclab.model.plan import KINDS, MAX_STEP_US, OFFLOADS, Group, Plan, Step
from conclab.model.plan_text import MAX_NAME_LEN, MAX_OFFSET_US, format_plan, parse, validate_plan

FUZZ = settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ROUND_TRIP = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Words, numbers and punctuation of the grammar, near misses and a few hostile characters, so that
# joined-up random sequences often get deep into the parser.
TOKENS = [
    *KINDS, *OFFLOADS, "after", "every", "in", "x", "us", "ms", "s", "fetch", "a-b.c", "_n",
    "slep", "mss", "thred", "Sleep", "inn",
    "0", "1", "3", "200", "1.5", ".5", "1.", "0.0001", "60", "61", "3600", "1.2.3", "1e999", "1e3",
    "99999999999999999999", "100000", "100001",
    " ", " ", " ", "\t", "\n", "\r\n", "\r", ";", ",", ":", "#", "# note\n",
    "é", "—", "\x00", "\x7f", "@", "\ud800",
]

token_text = st.lists(st.sampled_from(TOKENS), max_size=40).map("".join)


def _check_outcome(text: str) -> None:
    try:
        plan = parse(text)
    except PlanError as err:
        assert str(err)
        assert err.line >= 0 and (err.line == 0 or err.col >= 1)
        assert err.line <= text.count("\n") + text.count("\r") + 1
        return
    assert isinstance(plan, Plan)
    validate_plan(plan)
    canonical = format_plan(plan)
    again = parse(canonical)
    assert again == plan
    assert format_plan(again) == canonical


@FUZZ
@given(st.text(max_size=300))
def test_any_text_gives_a_plan_or_a_plan_error(text: str) -> None:
    _check_outcome(text)


@FUZZ
@given(token_text)
def test_grammar_token_soup_gives_a_plan_or_a_plan_error(text: str) -> None:
    _check_outcome(text)


@FUZZ
@given(st.lists(st.sampled_from(TOKENS), max_size=12), st.sampled_from(["sleep 1s", "2x a: cpu 5ms, net 1"]))
def test_valid_prefix_followed_by_soup(tail: list[str], head: str) -> None:
    _check_outcome(head + " " + "".join(tail))


def _durations(low: int, high: int) -> st.SearchStrategy[int]:
    """Durations in µs, biased towards values that print as whole ms or s as well as odd µs."""
    return st.one_of(
        st.integers(low, high),
        st.integers(max(1, low // 1000), high // 1000).map(lambda v: v * 1000),
        st.integers(max(1, low // 1_000_000), high // 1_000_000).map(lambda v: v * 1_000_000),
    )


steps = st.builds(
    Step,
    kind=st.sampled_from(KINDS),
    duration_us=_durations(1, MAX_STEP_US),
    offload=st.sampled_from([None, *OFFLOADS]),
)
names = st.one_of(
    st.none(),
    st.from_regex(rf"[A-Za-z_][A-Za-z0-9_.\-]{{0,{MAX_NAME_LEN - 1}}}", fullmatch=True),
    st.sampled_from([*KINDS, *OFFLOADS, "after", "every", "in", "x", "ms"]),
)
offsets = st.one_of(st.just(0), _durations(1, MAX_OFFSET_US))
groups = st.builds(
    Group,
    steps=st.lists(steps, min_size=1, max_size=6).map(tuple),
    count=st.one_of(st.just(1), st.integers(1, 2000)),
    name=names,
    after_us=offsets,
    every_us=offsets,
)
plans = st.lists(groups, min_size=1, max_size=8).map(lambda gs: Plan(tuple(gs)))


@ROUND_TRIP
@given(plans, st.booleans())
def test_valid_plans_round_trip_exactly(plan: Plan, multiline: bool) -> None:
    text = format_plan(plan, multiline=multiline)
    assert parse(text) == plan
    assert format_plan(parse(text), multiline=multiline) == text


edits = st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 3), st.sampled_from(TOKENS)), max_size=3)


@ROUND_TRIP
@given(plans, edits)
def test_valid_text_with_random_edits(plan: Plan, edits: list[tuple[int, int, str]]) -> None:
    text = format_plan(plan, multiline=True)
    for where, cut, token in edits:
        at = where % (len(text) + 1)
        text = text[:at] + token + text[at + cut :]
    _check_outcome(text)
