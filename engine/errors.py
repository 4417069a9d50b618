"""Every exception the engine raises on purpose lives here.

User mistakes (a bad config key, a bad tape row) are ``InputError`` subclasses
with a one-line message that names the file, key or loan, the value and what
was expected; the CLI prints that line and exits 2.
"""

from __future__ import annotations


class EngineError(Exception):
    """Base class of all engine errors."""


class InputError(EngineError):
    """Bad user input; the message is complete and fit to print as-is."""


class ConfigError(InputError):
    """A config key is unknown, mistyped or out of range.

    ``loans`` is what the invalid config names as its loans, when that is
    known (the tape's path, or the inline rows), so that the caller can
    report the tape's problems beside the config's."""

    def __init__(self, message: str = "", *, loans=None):
        super().__init__(message)
        self.loans = loans


class TapeError(InputError):
    """A loan tape is unreadable, misses a column or holds a bad value."""


class OutputError(InputError):
    """The output folder cannot be created or written (a user-fixable path)."""


class ConvergenceError(EngineError):
    """A solver did not converge (raised only when the caller asks for it)."""
