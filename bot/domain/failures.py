"""Failures that end a command, each with the exit code the README documents (they never change).

Raised by any layer (a bad candle file, a refused key, an audit DB that cannot be used); the command line
turns one into a single line on stderr and its exit code (:func:`bot.app.exits.one_line_errors`).
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0  # completed, or stopped by a signal
    FAILED = 1  # a tick failed, or an unexpected error (its traceback is in the log)
    BAD_INPUT = 2  # a bad config, data file, date or option
    CREDENTIALS = 3  # the exchange refused the API key or secret, or the key may withdraw
    ALREADY_RUNNING = 4  # another daemon holds this bot's lease on this audit DB
    AUDIT_DB = 5  # the audit DB cannot be used: missing, read-only, disk full, connection lost


class ExitError(Exception):
    """Ends a command with ``str(self)`` (one line, no secret) and :attr:`exit_code`."""

    exit_code: ExitCode = ExitCode.FAILED

    def __init__(self, message: str, *, exit_code: ExitCode | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class BadInput(ExitError):
    """A file, option or setting that cannot be used (exit 2)."""

    exit_code = ExitCode.BAD_INPUT


class CredentialsRefused(ExitError):
    """The venue refused the API key or secret, or the key may do what a trading bot's key must not (exit
    3). ``halt``: the refusal is definite (a bad signature, a malformed key), so trading is halted until a
    human resumes it, as it would be mid-run."""

    exit_code = ExitCode.CREDENTIALS

    def __init__(self, message: str, *, halt: bool = False) -> None:
        super().__init__(message)
        self.halt = halt
