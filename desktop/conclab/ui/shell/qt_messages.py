"""Qt's own messages on the terminal, minus the noise: one filter for the messages that tell users nothing.

The offscreen (and some other) platform plugins print "This plugin does not support propagateSizeHints()"
whenever a window is shown; it is about the plugin, not the app. Every other message still goes to the
handler that was there before (Qt's default prints it on stderr as usual).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

NOISE = ("This plugin does not support propagateSizeHints()",)
_installed: list[Callable[..., Any] | None] = []


def is_noise(message: str) -> bool:
    return message.strip() in NOISE


def _handler(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    if is_noise(message):
        return
    previous = _installed[0] if _installed else None
    if previous is not None:
        previous(kind, context, message)
    else:
        print(message, file=sys.stderr, flush=True)


def silence_plugin_noise() -> None:
    """Install the filter once, in front of whatever handler is installed."""
    if not _installed:
        _installed.append(qInstallMessageHandler(_handler))
