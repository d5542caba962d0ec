"""Which of a lesson's runs can be made where: window runs only in the window, named interpreters only
when the lookup finds them, every other run kept in order."""

from __future__ import annotations

from conclab.model.errors import ConclabError
from conclab.model.lesson_runs import WINDOW_ONLY, Unmade, runnable
from conclab.model.lessons import get_lesson


def _no_313t(spec: str) -> object:
    if spec == "3.13t":
        raise ConclabError("no Python 3.13t was found; available: 3.11.7")
    return object()


def test_free_threaded_run_is_left_out_with_the_lookups_reason() -> None:
    request, unmade = runnable(get_lesson("free-threaded").request(), _no_313t, window=True)
    assert [r.name for r in request.runs] == ["threads"]
    assert unmade == [Unmade("threads-ft", "no Python 3.13t was found; available: 3.11.7")]
    assert str(unmade[0]) == "threads-ft: no Python 3.13t was found; available: 3.11.7"


def test_window_runs_are_kept_in_the_window_and_named_elsewhere() -> None:
    lesson = get_lesson("gui-sluggish")
    in_app, none = runnable(lesson.request(), _no_313t, window=True)
    assert [r.name for r in in_app.runs] == ["threads", "threads-window"] and none == []
    cli, unmade = runnable(lesson.request(), _no_313t, window=False)
    assert [r.name for r in cli.runs] == ["threads"]
    assert unmade == [Unmade("threads-window", WINDOW_ONLY)]


def test_the_switch_interval_and_every_run_setting_survive() -> None:
    lesson = get_lesson("gil-handoff")
    request, unmade = runnable(lesson.request(2.0), _no_313t, window=True)
    assert unmade == [] and request == lesson.request(2.0)
    assert request.switch_interval_ms == 2.0
