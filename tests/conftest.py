"""Test-wide set-up: offscreen Qt before any QApplication exists, and Python's fault handler on."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYTHONFAULTHANDLER", "1")
