"""Module loggers that build their structlog logger once per logging configuration, not once per call.

``structlog.get_logger(__name__)`` at import time returns a lazy proxy; without
``cache_logger_on_first_use`` it builds a new bound logger (a stdlib ``getLogger``, a wrapper object) on
*every* call, about 10 us each, 5 % of a backtest's round trip. With caching on, a logger used once
would ignore every later ``structlog.configure`` (``bot.app.logging_setup.configure_logging`` run
again, the test suite's ``structlog.testing.capture_logs``). :func:`get_logger` keeps its bound logger
while the configuration it was built from is the current one, and builds a new one when it changed.
"""

from __future__ import annotations

from typing import Any

import structlog
from structlog import _config

__all__ = ["get_logger"]


def _configuration() -> tuple[object, ...]:
    """What a bound logger is built from; a new ``structlog.configure`` replaces at least one of them."""
    config = _config._CONFIG
    return (config.default_processors, config.default_wrapper_class, config.logger_factory,
            config.default_context_class)  # fmt: skip


class _ModuleLogger:
    __slots__ = ("_bound", "_built_from", "_name")

    def __init__(self, name: str) -> None:
        self._name = name
        self._bound: Any = None
        self._built_from: tuple[object, ...] = ()

    def __getattr__(self, method: str) -> Any:
        current = _configuration()
        if self._bound is None or any(a is not b for a, b in zip(current, self._built_from, strict=True)):
            self._bound = structlog.get_logger(self._name).bind()
            self._built_from = current
        return getattr(self._bound, method)


def get_logger(name: str) -> Any:
    """A logger for module ``name`` (use like ``structlog.get_logger(__name__)``)."""
    return _ModuleLogger(name)
