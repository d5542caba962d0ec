"""Every lesson that can run headless here holds its claims when measured for real, and its result (through
`lesson_result`, the one place verdicts come from) decides its prediction when the deciding claims apply.

Runs inside the window and runs on another interpreter cannot be made headless: those lessons are
skipped, with the reason.
"""

from __future__ import annotations

import hashlib
import sys
import threading
import time

import pytest

from conclab.model.lesson_result import LessonResult, lesson_result
from conclab.model.lessons import Lesson, get_lesson, load_lessons
from conclab.model.run import RunDocument
from conclab.model.session_spec import Runtime

LESSONS, _ = load_lessons()


def _hash(blocks: int, buf: bytes = bytes(1 << 20)) -> None:
    h = hashlib.sha256()
    for _ in range(blocks):
        h.update(buf)


def free_cores(blocks: int = 96) -> int:
    """1 or 2: whether two cores are free right now (two hashing threads vs one, median of three)."""
    ratios: list[float] = []
    for _ in range(3):
        t = time.perf_counter()
        _hash(blocks)
        one = time.perf_counter() - t
        threads = [threading.Thread(target=_hash, args=(blocks,)) for _ in range(2)]
        t = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        two = time.perf_counter() - t
        ratios.append(2 * one / two)
    return 2 if sorted(ratios)[1] > 1.5 else 1


def headless_reason(lesson: Lesson) -> str:
    """Why a lesson cannot run headless here ("" when it can)."""
    if lesson.in_window:
        return "it measures a run inside the window"
    if any(r.python for r in lesson.runs):
        return "it runs on another interpreter"
    return ""


def measure(lesson: Lesson) -> LessonResult:
    from conclab.engines.headless import run_plan

    plan = lesson.plan()
    old = sys.getswitchinterval()
    if lesson.switch_interval_ms is not None:
        sys.setswitchinterval(lesson.switch_interval_ms / 1000)
    cores = free_cores()
    try:
        docs = []
        for spec in lesson.runs:
            assert spec.runtime is Runtime.LAB
            doc = run_plan(plan, [spec.model], spec.workers)
            doc.runs[0].label = spec.label
            docs.append(doc)
    finally:
        sys.setswitchinterval(old)
    machine = dict(docs[0].machine)
    # On a shared machine another program may hold a core: then claims that need two cores are judged
    # as on a one-core machine (not applicable); every other claim must still hold.
    machine["cpus"] = min(int(machine["cpus"]), cores, free_cores())
    doc = RunDocument(docs[0].plan, machine, docs[0].calibration, [d.runs[0] for d in docs])
    return lesson_result(lesson, doc, chosen=None)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("lesson_id", [les.id for les in LESSONS])
def test_lesson_claims_hold_when_run_headless(lesson_id: str) -> None:
    lesson = get_lesson(lesson_id)
    reason = headless_reason(lesson)
    if reason:
        pytest.skip(f"{lesson_id} cannot run headless: {reason}")
    # Noise on a shared machine can spoil one measurement; a lesson gets three tries to show its claims,
    # and every try's lines are reported when none succeeds.
    tries: list[str] = []
    for _ in range(3):
        result = measure(lesson)
        assert result.applicable_count, "no claim applies on this machine"
        p = lesson.prediction
        decidable = p is not None and any(result.verdicts[c.when].held is not None for c in p.choices
                                          if c.when is not None)
        # A decidable prediction must be decided by the measurement: a try that leaves it open (no
        # answer's claim held, e.g. a machine in a fast moment for one run) counts as a failed try.
        decided = not decidable or (result.prediction is not None and result.prediction.right is not None)
        if not result.failed and decided:
            return
        said = result.prediction.sentence if result.prediction is not None else ""
        tries.append("\n".join([*result.lines(), said]))
    pytest.fail("claims did not hold, or the prediction was left undecided:\n" + "\n---\n".join(tries))
