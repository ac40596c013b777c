"""Logging: structlog key-value events and stdlib logging through one pipeline that redacts secrets.

Why one pipeline: ccxt, APScheduler, SQLAlchemy and Alembic log through the standard library. Routing
their records through the same processors as our structlog events gives every line the same shape
(ISO UTC timestamp, level, logger, event, key-values) and, above all, applies the same redaction to them
(DESIGN invariant 10: secrets never appear in logs).

Redaction has three layers, because no single one is enough:

1. values of keys whose *name* looks secret (``api_key``, ``apiKey``, ``X-MBX-APIKEY``, ``password``,
   ``signature``, ``token``...) are replaced by :data:`MASK`, at any depth of dicts and lists;
2. the actual secret values registered with :func:`register_secrets` are scrubbed out of every string,
   wherever they appear (a URL, an exception message, a third-party debug line);
3. ``key=value`` / ``"key": "value"`` pairs with a secret-looking key inside free text (a signed query
   string, a dumped header dict) and the password of a ``scheme://user:password@host`` URL are masked.

Registered secrets live only in this process's memory; nothing is written anywhere.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
import sys
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from types import EllipsisType
from typing import Any, Literal, TextIO

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from bot.domain.secrets import MASK, is_secret_key, scrub_text

LogFormat = Literal["console", "json"]

# Libraries that log through the stdlib; they are held at ``third_party_level`` (WARNING by default)
# because at INFO/DEBUG they are chatty (SQL statements, every HTTP request with its headers).
THIRD_PARTY_LOGGERS = ("ccxt", "apscheduler", "sqlalchemy", "alembic", "urllib3", "requests", "asyncio")

_HANDLER_MARK = "_spotbot_handler"


def _scrub(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | datetime | date):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")  # money reads as 65000 in both renderers: not Decimal('65000'), not 6.5E+4
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, Mapping):
        return {key: MASK if _masks(key, item) else _scrub(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_scrub(item) for item in value]
    # Any other object is rendered with repr() by both renderers: check what that would show.
    shown = repr(value)
    scrubbed = scrub_text(shown)
    return value if scrubbed == shown else scrubbed


def _masks(key: object, value: object) -> bool:
    return isinstance(key, str) and value is not None and is_secret_key(key)


def redact_secrets(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """structlog processor: mask secret-named keys and scrub secret values from everything else."""
    return {key: MASK if _masks(key, value) else _scrub(value) for key, value in event_dict.items()}


def _json_default(value: object) -> object:
    """JSON for the types the bot logs (money, times, paths, enums, dataclasses); repr() for the rest."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return repr(value)


def _level_number(level: str | int, what: str) -> int:
    if isinstance(level, int):
        return level
    number = logging.getLevelNamesMapping().get(level.upper())
    if number is None:
        raise ValueError(
            f"{what}: {level!r} is not a log level; allowed: DEBUG, INFO, WARNING, ERROR, CRITICAL"
        )
    return number


def _shared_processors() -> list[Processor]:
    """What both structlog events and foreign (stdlib) records get before formatting."""
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def _renderer(fmt: LogFormat, stream: TextIO | None) -> Processor:
    if fmt == "json":
        return structlog.processors.JSONRenderer(default=_json_default)
    colors = bool(stream is not None and getattr(stream, "isatty", lambda: False)())
    return structlog.dev.ConsoleRenderer(colors=colors)


def _formatter(fmt: LogFormat, stream: TextIO | None) -> logging.Formatter:
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared_processors(),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            # Tracebacks become plain text *before* redaction, so a secret inside an exception message
            # or a frame is scrubbed too (and the console renderer never prints locals).
            structlog.processors.format_exc_info,
            redact_secrets,
            _renderer(fmt, stream),
        ],
    )


def _install(root: logging.Logger, handler: logging.Handler, formatter: logging.Formatter) -> None:
    handler.setFormatter(formatter)
    setattr(handler, _HANDLER_MARK, True)
    root.addHandler(handler)


def _remove_installed(root: logging.Logger) -> None:
    for handler in list(root.handlers):
        if getattr(handler, _HANDLER_MARK, False):
            root.removeHandler(handler)
            handler.close()  # closes our log file; a StreamHandler leaves its stream open


def configure_logging(
    level: str | int = "INFO",
    fmt: LogFormat = "console",
    stream: TextIO | EllipsisType | None = ...,
    file: Path | None = None,
    *,
    third_party_level: str | int = "WARNING",
    third_party_loggers: Iterable[str] = THIRD_PARTY_LOGGERS,
) -> None:
    """Send structlog events and stdlib records, redacted, to ``stream`` and/or ``file``.

    - ``fmt="json"``: one JSON object per line; ``"console"``: structlog's aligned key-value renderer,
      coloured only when ``stream`` is a terminal.
    - ``stream``: ``...`` (default) means ``sys.stderr`` *at call time*; ``None`` means no stream output
      (e.g. the file only, while a live status line owns the terminal).
    - ``file``: also append to this file, always as JSON lines (machine-readable, whatever ``fmt`` is);
      its directory is created.
    - ``third_party_level``: the level for ccxt, APScheduler, SQLAlchemy, Alembic... (never more verbose
      than ``level``).

    Context bound with ``structlog.contextvars.bind_contextvars`` (strategy, symbol, tick id) appears in
    every line. Calling it again replaces what the previous call installed, so it is safe in tests.
    """
    if fmt not in ("console", "json"):
        raise ValueError(f"log format {fmt!r} is not supported; allowed: console, json")
    level_no = _level_number(level, "level")
    third_party_no = max(level_no, _level_number(third_party_level, "third_party_level"))
    target: TextIO | None = sys.stderr if stream is ... else stream

    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        # Calls below the level return at once (the processors never run): a backtest makes millions.
        wrapper_class=_filtering_stdlib_logger(level_no),
        context_class=dict,
        # Not cached: loggers created at import time must follow a later reconfiguration (tests,
        # the CLI switching to a file once the settings are known).
        cache_logger_on_first_use=False,
    )

    root = logging.getLogger()
    _remove_installed(root)
    if target is not None:
        _install(root, logging.StreamHandler(target), _formatter(fmt, target))
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
        _install(root, logging.FileHandler(file, encoding="utf-8"), _formatter("json", None))
    root.setLevel(level_no)
    for name in third_party_loggers:
        logging.getLogger(name).setLevel(third_party_no)


def _filtering_stdlib_logger(level: int) -> type[structlog.stdlib.BoundLogger]:
    """structlog's stdlib ``BoundLogger`` whose methods below ``level`` are no-ops."""
    names = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
             "warn": logging.WARNING, "error": logging.ERROR, "exception": logging.ERROR,
             "critical": logging.CRITICAL}  # fmt: skip

    def nothing(self: object, event: object = None, *args: object, **kw: object) -> None:
        return None

    muted = {name: nothing for name, value in names.items() if value < level}
    return type(f"BoundLoggerAt{logging.getLevelName(level)}", (structlog.stdlib.BoundLogger,), muted)


def reset_logging() -> None:
    """Undo :func:`configure_logging`: remove its handlers and restore structlog's defaults (for tests)."""
    _remove_installed(logging.getLogger())
    structlog.reset_defaults()
