"""The words around an instant on a slide or in presenter mode: its question, and what the runs measured.

The verdicts are the runs' own captions (model/captions.py: what the trace shows, said only as far as
it was measured) after each run's wall time. No Qt.
"""

from __future__ import annotations

from collections.abc import Sequence

from conclab.model.captions import captions_for
from conclab.model.plan import Plan
from conclab.model.run import ModelRun

MAX_CAPTIONS = 3

_QUESTIONS: dict[str, str] = {
    "asyncio": "Who holds the event loop, who is ready for it, and who waits on a timer or a socket?",
    "threads": "Who holds the GIL, who is ready and waits for it, and who sleeps with it released?",
    "processes": "Which workers run on the cores, who waits for a core, and what is still queued?",
    "sequential": "What is the one worker doing, and what waits in its queue?",
}


def question_for(models: Sequence[str], t: float) -> str:
    """The question an instant answers, in the words of the model shown (or of all of them)."""
    if len(set(models)) == 1:
        return f"At {t:.3f} s: {_QUESTIONS.get(models[0], 'what is each task doing?')}"
    return f"At {t:.3f} s, in each model: who is running, who is ready, who is waiting — and for what?"


def verdict_lines(runs: Sequence[ModelRun], plan: Plan | None) -> list[str]:
    """One line per run: its wall time and up to three of its captions."""
    lines: list[str] = []
    for run in runs:
        wall = run.metrics.get("wall_s")
        head = f"{run.name}: {wall:.2f} s wall" if isinstance(wall, float) else run.name
        texts = [c.text for c in captions_for(run, plan)[:MAX_CAPTIONS]]
        lines.append(head + (" — " + "; ".join(texts) if texts else ""))
    return lines
