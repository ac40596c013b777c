"""How a command ends: documented exit codes, and errors that end it with one line instead of a traceback.

Every failure a user can act on is an :class:`ExitError` (or subclass) raised with a one-line message that
names what is wrong and what is allowed; the CLI prints ``error: <message>`` on stderr and exits with its
code. Anything else is a bug: it keeps its traceback (in the log) and exits 1.

The codes are part of the interface (README, "Exit codes"); never renumber them.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from enum import IntEnum
from typing import Any, ParamSpec, TypeVar

from bot.logging_setup import scrub_text

P = ParamSpec("P")
R = TypeVar("R")


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


def log_failure(logger: Any, event: str, error: BaseException, **values: Any) -> None:
    """Log a failed job or command: an :class:`ExitError` (a condition a human acts on) as its one line,
    its traceback only at debug; anything else (a bug) with its traceback."""
    if isinstance(error, ExitError):
        logger.error(event, error=str(error), **values)
        logger.debug(f"{event}_traceback", exc_info=error, **values)
    else:
        logger.error(event, exc_info=error, **values)


def one_line_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Wrap a CLI command: an :class:`ExitError` ends it with ``error: <message>`` (one line, on stderr)
    and its exit code; its traceback goes to the log at debug, never to the console."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except ExitError as error:
            # stdlib logging: dropped unless the command configured logging (then: its log, at debug)
            logging.getLogger(command.__module__).debug("command_failed", exc_info=error)
            sys.stderr.write(f"error: {scrub_text(str(error))}\n")  # plain text: a message is no markup
            sys.stderr.flush()
            raise SystemExit(int(error.exit_code)) from None

    return run
