"""Test-wide set-up: offscreen Qt before any QApplication exists, and the resources folder of the checkout."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYTHONFAULTHANDLER", "1")
