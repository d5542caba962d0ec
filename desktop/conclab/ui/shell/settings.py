"""Persistent settings (QSettings): window geometry, last plan, chosen models and Pythons, workers, switch
interval.

Every value is read defensively: a corrupt or foreign value falls back to the default and is
reported once, so a broken settings file never stops the app from starting.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QByteArray, QSettings

from conclab.model.session_spec import Runtime as Where
from conclab.model.trace import MODELS

DEFAULT_MODELS = ["asyncio", "threads"]
OWN_PYTHON = "self"


@dataclass
class SessionSettings:
    """What is restored on the next start."""

    plan_text: str | None = None
    models: list[str] = field(default_factory=lambda: list(DEFAULT_MODELS))
    workers: int = 0
    switch_ms: float = 5.0
    runtime: Where = Where.LAB
    pythons: list[str] = field(default_factory=lambda: [OWN_PYTHON])  # executables; OWN_PYTHON: the app's own
    geometry: QByteArray | None = None
    state: QByteArray | None = None
    last_dir: str = ""
    problems: list[str] = field(default_factory=list)


def load_settings(store: QSettings) -> SessionSettings:
    s = SessionSettings()
    if store.status() != QSettings.Status.NoError:
        s.problems.append(f"the settings file {store.fileName()} could not be read; using defaults")
        return s

    def get(key: str, kind: type, default: object) -> object:
        try:
            value = store.value(key, default)
        except Exception:
            value = None
        if value is None or value == default:
            return default
        try:
            if kind is list:
                items = [value] if isinstance(value, str) else list(value)  # type: ignore[call-overload]
                return [str(v) for v in items]
            if kind is QByteArray:
                if isinstance(value, QByteArray):
                    return value
                raise TypeError
            return kind(value)
        except (TypeError, ValueError):
            s.problems.append(f"setting '{key}' was unreadable ({str(value)[:40]!r}); using the default")
            return default

    text = get("plan/text", str, None)
    s.plan_text = text if isinstance(text, str) and text.strip() else None
    models = get("run/models", list, list(DEFAULT_MODELS))
    good = [m for m in models if m in MODELS] if isinstance(models, list) else []
    if isinstance(models, list) and len(good) != len(models):
        s.problems.append("setting 'run/models' named unknown models; they were dropped")
    s.models = good or list(DEFAULT_MODELS)
    workers = get("run/workers", int, 0)
    s.workers = workers if isinstance(workers, int) and 0 <= workers <= 100_000 else 0
    switch = get("run/switch_ms", float, 5.0)
    s.switch_ms = switch if isinstance(switch, float) and 0.1 <= switch <= 100 else 5.0
    where = get("run/runtime", str, str(Where.LAB))
    if where in {str(w) for w in Where}:
        s.runtime = Where(where)
    else:
        s.problems.append(f"setting 'run/runtime' was {str(where)[:40]!r}; running in the lab")
    pythons = get("run/pythons", list, [OWN_PYTHON])
    usable = [p for p in pythons if p == OWN_PYTHON or (p.startswith("/") and len(p) < 4096)] \
        if isinstance(pythons, list) else []
    if isinstance(pythons, list) and len(usable) != len(pythons):
        s.problems.append("setting 'run/pythons' named something that is not a Python's path; it was dropped")
    s.pythons = usable or [OWN_PYTHON]
    geometry = get("window/geometry", QByteArray, None)
    s.geometry = geometry if isinstance(geometry, QByteArray) else None
    state = get("window/state", QByteArray, None)
    s.state = state if isinstance(state, QByteArray) else None
    last_dir = get("files/last_dir", str, "")
    s.last_dir = last_dir if isinstance(last_dir, str) else ""
    return s


def save_settings(store: QSettings, s: SessionSettings) -> None:
    if s.plan_text is not None:
        store.setValue("plan/text", s.plan_text)
    store.setValue("run/models", list(s.models))
    store.setValue("run/workers", int(s.workers))
    store.setValue("run/switch_ms", float(s.switch_ms))
    store.setValue("run/runtime", str(s.runtime))
    store.setValue("run/pythons", list(s.pythons))
    if s.geometry is not None:
        store.setValue("window/geometry", s.geometry)
    if s.state is not None:
        store.setValue("window/state", s.state)
    store.setValue("files/last_dir", s.last_dir)
    store.sync()
