"""The floors rule: model/ and engines/ never load Qt (checked in a clean subprocess)."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import sys, pkgutil, importlib
import conclab.model, conclab.engines
for pkg in (conclab.model, conclab.engines):
    for m in pkgutil.iter_modules(pkg.__path__):
        importlib.import_module(f"{pkg.__name__}.{m.name}")
qt = sorted(n for n in sys.modules if n.split(".")[0] in ("PySide6", "shiboken6", "qasync", "pyqtgraph"))
print(",".join(qt))
"""


def test_model_and_engines_import_no_qt() -> None:
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == ""


def test_plain_headless_run_loads_no_qt() -> None:
    code = ("import sys; from conclab.cli import main; rc = main(['run', 'sleep 10ms', '--runtime', 'plain', "
            "'--models', 'asyncio,threads']); "
            "print('QT' if any(n.startswith(('PySide6', 'qasync')) for n in sys.modules) else 'NOQT', rc)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip().splitlines()[-1] == "NOQT 0", out.stderr
