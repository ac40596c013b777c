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
from typing import Any, ParamSpec, TypeVar

from bot.domain.failures import ExitError
from bot.domain.secrets import scrub_text

P = ParamSpec("P")
R = TypeVar("R")


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
