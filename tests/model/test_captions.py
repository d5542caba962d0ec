"""Captions computed from fabricated traces say what the trace shows, and nothing when it does not."""

from __future__ import annotations

from conclab.model.captions import (
    Caption,
    captions_for,
    cores_used,
    gil_handoff,
    handoff_times,
    loop_blocked,
    main_loop_lag,
    parallel_fraction,
    ready_wait,
    ready_waits,
)
from conclab.model.plan import Group, Plan, Step
from conclab.model.run import ModelRun, TaskOutcome
from conclab.model.trace import Span


def make_run(model: str, spans: list[Span], names: list[str], metrics: dict[str, float] | None = None,
             lag: list[tuple[float, float]] | None = None) -> ModelRun:
    tasks = [TaskOutcome(i, n, "done") for i, n in enumerate(names)]
    return ModelRun(model, 2, metrics or {}, tasks, list(spans), lag or [])


def alternating(quantum: float, total: float, lanes: tuple[str, str] = ("thread 1", "thread 2"),
                cause: str = "gil") -> list[Span]:
    """Two threads taking turns: running on one lane while the other is ready, every `quantum`."""
    spans: list[Span] = []
    t, i = 0.0, 0
    while t < total - 1e-9:
        lane = lanes[i % 2]
        other = lanes[(i + 1) % 2]
        spans.append(Span(i % 2, 0, lane, "running", t, t + quantum))
        spans.append(Span((i + 1) % 2, 0, other, "ready_wait", t, t + quantum, cause))
        t += quantum
        i += 1
    return spans


def test_longest_blocking_span_under_asyncio() -> None:
    spans = [
        Span(0, 0, "task 0", "io_wait", 0.0, 1.0),
        Span(1, 0, "task 1", "blocking", 0.1, 0.3),
        Span(2, 0, "task 2", "blocking", 0.3, 1.112),
    ]
    cap = loop_blocked(make_run("asyncio", spans, ["fetch", "other", "logger"]))
    assert cap == Caption("loop_blocked", "loop blocked 812 ms by task logger", 0.3, "task 2")


def test_no_blocking_caption_elsewhere_or_when_short() -> None:
    spans = [Span(0, 0, "task 0", "blocking", 0.0, 0.005)]
    assert loop_blocked(make_run("asyncio", spans, ["a"])) is None
    long_block = [Span(0, 0, "thread 1", "blocking", 0.0, 0.5)]
    assert loop_blocked(make_run("threads", long_block, ["a"])) is None


def test_gil_handoff_median_gap() -> None:
    run = make_run("threads", alternating(0.005, 0.3), ["spin 1", "spin 2"])
    cap = gil_handoff(run)
    assert cap is not None and cap.text == "GIL hand-off every ~5 ms"
    assert 0.0 < cap.t < 0.3
    slower = gil_handoff(make_run("threads", alternating(0.02, 0.4), ["a", "b"]))
    assert slower is not None and slower.text == "GIL hand-off every ~20 ms"


def test_no_handoff_when_the_waits_were_for_cores_or_not_told() -> None:
    # Hashing threads taking turns on too few cores look the same on the timeline: their waits say why.
    assert gil_handoff(make_run("threads", alternating(0.005, 0.3, cause="core"), ["h1", "h2"])) is None
    assert gil_handoff(make_run("threads", alternating(0.005, 0.3, cause="gil_or_core"), ["a", "b"])) is None
    assert gil_handoff(make_run("threads", alternating(0.005, 0.3, cause=""), ["a", "b"])) is None


def test_no_handoff_when_threads_run_side_by_side() -> None:
    # Hashing threads overlap: their running spans coincide, so nothing changes hands.
    spans = [Span(i % 2, 0, f"thread {i % 2 + 1}", "running", (i // 2) * 0.01, (i // 2) * 0.01 + 0.01)
             for i in range(40)]
    assert handoff_times(spans) == []
    assert parallel_fraction(spans) == 1.0
    assert parallel_fraction([s for s in alternating(0.005, 0.1) if s.state == "running"]) == 0.0
    assert gil_handoff(make_run("threads", spans, ["a", "b"])) is None


def test_no_handoff_caption_for_one_thread_or_other_models() -> None:
    one = [Span(0, 0, "thread 1", "running", i * 0.005, (i + 1) * 0.005) for i in range(50)]
    assert gil_handoff(make_run("threads", one, ["a"])) is None
    assert gil_handoff(make_run("asyncio", alternating(0.005, 0.3), ["a", "b"])) is None


def test_cores_used_counts_cpu_tasks_from_plan() -> None:
    plan = Plan((Group((Step("cpu", 300_000),), count=4, name="crunch"), Group((Step("sleep", 1000),))))
    run = make_run("threads", [], [f"t{i}" for i in range(5)], {"cores_used": 1.02, "wall_s": 1.2})
    cap = cores_used(run, plan)
    assert cap is not None and cap.text == "4 cpu tasks used 1.0 cores"
    assert cap.t == 0.6
    without_plan = cores_used(run)
    assert without_plan is not None and without_plan.text == "5 tasks used 1.0 cores"
    assert cores_used(make_run("threads", [], ["a"], {})) is None


def test_ready_wait_names_the_tasks_and_what_was_waited_for() -> None:
    spans = [
        Span(0, 0, "a", "ready_wait", 0.2, 0.9, "loop"),
        Span(1, 0, "b", "ready_wait", 0.4, 0.7, "loop"),
        Span(1, 1, "b", "ready_wait", 0.8, 1.0, "loop"),
        Span(2, 0, "c", "running", 0.0, 1.0),
    ]
    cap = ready_wait(make_run("asyncio", spans, ["fetch", "logger", "other"]))
    assert cap is not None and cap.text == "fetch and logger waited ~600 ms each for the event loop"
    assert cap.t == 0.2
    one = [Span(0, 0, "thread 1", "ready_wait", 0.2, 0.565, "core")]
    core = ready_wait(make_run("threads", one, ["hash"]))
    assert core is not None and core.text == "hash waited 365 ms for a core"
    gil = ready_wait(make_run("threads", [one[0]._replace(cause="gil")], ["crunch"]))
    assert gil is not None and gil.text == "crunch waited 365 ms for the GIL"
    unknown = ready_wait(make_run("threads", [one[0]._replace(cause="gil_or_core")], ["x"]))
    assert unknown is not None and unknown.text == "x waited 365 ms for the GIL or a core"
    assert ready_wait(make_run("asyncio", [Span(0, 0, "a", "ready_wait", 0.0, 0.001, "loop")], ["a"])) is None


def test_ready_waits_one_caption_per_cause_largest_first() -> None:
    spans = [Span(t, 0, f"thread {t + 1}", "ready_wait", 0.1 * t, 0.1 * t + 0.2, "gil") for t in range(5)]
    spans.append(Span(0, 0, "thread 1", "ready_wait", 0.9, 0.95, "core"))
    caps = ready_waits(make_run("threads", spans, [f"crunch {i + 1}" for i in range(5)]))
    assert [c.text for c in caps] == ["5 tasks waited ~200 ms each for the GIL", "crunch 1 waited 50 ms for a core"]


def test_ready_waits_from_older_files_take_the_models_usual_cause() -> None:
    old = [Span(0, 0, "process 1", "ready_wait", 0.0, 0.3)]
    cap = ready_wait(make_run("processes", old, ["p"]))
    assert cap is not None and cap.text == "p waited 300 ms for a core"
    threads = ready_wait(make_run("threads", [old[0]._replace(worker="thread 1")], ["t"]))
    assert threads is not None and threads.text.endswith("for the GIL or a core")


def test_main_loop_lag_only_when_noticeable() -> None:
    cap = main_loop_lag(make_run("asyncio", [], ["a"], lag=[(0.01, 0.001), (0.9, 0.85), (0.92, 0.01)]))
    assert cap is not None and cap.text == "main loop unresponsive for 850 ms"
    assert abs(cap.t - 0.05) < 1e-9
    assert main_loop_lag(make_run("asyncio", [], ["a"], lag=[(0.01, 0.02)])) is None


def test_captions_for_collects_in_time_order() -> None:
    spans = alternating(0.005, 0.2)
    run = make_run("threads", spans, ["spin 1", "spin 2"], {"cores_used": 1.0, "wall_s": 0.2})
    caps = captions_for(run)
    kinds = [c.kind for c in caps]
    assert set(kinds) == {"gil_handoff", "cores_used", "ready_wait"}
    assert [c.t for c in caps] == sorted(c.t for c in caps)
    assert captions_for(make_run("sequential", [], [])) == []
