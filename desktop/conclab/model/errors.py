"""The project's own error types: every bad input ends in one of these, with a message for the user."""

from __future__ import annotations


class ConclabError(Exception):
    """Base class for errors that carry a message meant for the user."""


class PlanError(ConclabError):
    """A plan text that cannot be parsed or breaks a limit; names the line and column."""

    def __init__(self, message: str, line: int = 0, col: int = 0) -> None:
        self.line = line
        self.col = col
        self.reason = message
        where = f"line {line}, col {col}: " if line else ""
        super().__init__(f"{where}{message}")


class FormatError(ConclabError):
    """A file (saved run, lesson, settings) that is malformed or of the wrong schema."""
