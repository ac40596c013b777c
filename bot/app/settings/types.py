"""Shared building blocks of the settings models: the section base class and validated value types.

Each constrained type carries its own "what is allowed" text, so an error reads
``market.symbols[1]: 'btcusdt' — BASE/QUOTE in capitals, e.g. 'BTC/USDT'`` rather than a regex.
"""

from __future__ import annotations

import re
import typing
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, PlainSerializer

from bot.app.settings.errors import allowed_error
from bot.domain import TIMEFRAME_SECONDS


class Section(BaseModel):
    """Base of every settings table: unknown keys are errors, values are immutable once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


def _matches(pattern: str, allowed: str) -> AfterValidator:
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise allowed_error(allowed)
        return value

    return AfterValidator(check)


def _timeframe(value: str) -> str:
    if value not in TIMEFRAME_SECONDS:
        raise allowed_error(f"one of {', '.join(TIMEFRAME_SECONDS)}")
    return value


def ceiling(limit: Decimal, why: str) -> AfterValidator:
    """A hard upper bound whose error says why it exists (risk limits are policy, not taste)."""

    def check(value: Decimal) -> Decimal:
        if value > limit:
            raise allowed_error(f"at most {limit} ({why})")
        return value

    return AfterValidator(check)


DURATION_UNITS = {"d": 86_400, "h": 3_600, "m": 60, "s": 1}
MAX_DURATION = timedelta(days=365)
DURATION_FORMAT = "a duration such as '4h', '90m', '30s', '1h30m' or '0' (units d, h, m, s), at most 365d"
_DURATION = re.compile(r"(?:\d+[dhms])+")
_DURATION_PART = re.compile(r"(\d+)([dhms])")


def parse_duration(value: Any) -> Any:
    """``"4h"`` / ``"90m"`` / ``"1h30m"`` / ``"0"`` -> :class:`timedelta`; anything else is refused."""
    if isinstance(value, timedelta):
        if not timedelta(0) <= value <= MAX_DURATION:
            raise allowed_error(DURATION_FORMAT)
        return value
    text = value.strip().lower() if isinstance(value, str) else value
    if text == "0" or (isinstance(value, int) and not isinstance(value, bool) and value == 0):
        return timedelta(0)
    if not isinstance(text, str) or not _DURATION.fullmatch(text):
        raise allowed_error(DURATION_FORMAT)
    seconds = sum(int(n) * DURATION_UNITS[unit] for n, unit in _DURATION_PART.findall(text))
    if seconds > MAX_DURATION.total_seconds():  # also keeps timedelta (and now + it) from overflowing
        raise allowed_error(DURATION_FORMAT)
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """The inverse of :func:`parse_duration`: ``timedelta(minutes=90)`` -> ``"1h30m"``, zero -> ``"0"``."""
    seconds = int(value.total_seconds())
    parts = []
    for unit, size in DURATION_UNITS.items():
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0"


def _not_empty(value: Any) -> Any:
    """An empty string would become the working directory: never what was meant."""
    if isinstance(value, str) and not value.strip():
        raise allowed_error("a path; an empty one is none (leave the key out instead)")
    return value


def _absolute_path(value: Path) -> Path:
    """Relative paths are anchored to the working directory *at load time*, so a later chdir cannot move
    the data or the logs."""
    return value if value.is_absolute() else Path.cwd() / value


def _file_in_the_way(directory: Path) -> Path | None:
    """The file (if any) that keeps ``directory`` from existing: itself or its nearest existing parent."""
    found = next((candidate for candidate in (directory, *directory.parents) if candidate.exists()), None)
    return found if found is not None and not found.is_dir() else None


def _directory_path(value: Path) -> Path:
    """A directory that exists or can be created."""
    if (blocker := _file_in_the_way(value)) is not None:
        raise allowed_error(f"a directory ({blocker} is a file)")
    return value


def _file_path(value: Path) -> Path:
    """A file that exists or can be created in a directory that exists or can be."""
    if value.is_dir():
        raise allowed_error("a file path, not a directory")
    if (blocker := _file_in_the_way(value.parent)) is not None:
        raise allowed_error(f"a file path in a directory ({blocker} is a file)")
    return value


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


def _two_currencies(value: str) -> str:
    """``USDT/USDT`` matched the pattern and failed the first tick (a position in the quote itself)."""
    base, _, quote = value.partition("/")
    if base == quote:
        raise allowed_error("BASE/QUOTE of two different currencies, e.g. 'BTC/USDT'")
    return value


Symbol = Annotated[
    str,
    _matches(r"[A-Z0-9]{1,20}/[A-Z0-9]{1,20}", "BASE/QUOTE in capitals, e.g. 'BTC/USDT'"),
    AfterValidator(_two_currencies),
]
Currency = Annotated[str, _matches(r"[A-Z0-9]{1,20}", "a currency code in capitals, e.g. 'USDT'")]
Timeframe = Annotated[str, AfterValidator(_timeframe)]
BotName = Annotated[str, _matches(r"[a-z0-9_-]{1,32}", "1-32 characters from a-z, 0-9, '_' and '-'")]
StrategyName = Annotated[str, _matches(r"[a-z0-9_-]{1,64}", "1-64 characters from a-z, 0-9, '_' and '-'")]
ExchangeId = Annotated[str, _matches(r"[a-z][a-z0-9_]{0,63}", "a ccxt exchange id, e.g. 'binance'")]
AbsolutePath = Annotated[Path, BeforeValidator(_not_empty), AfterValidator(_absolute_path)]
DirectoryPath = Annotated[AbsolutePath, AfterValidator(_directory_path)]
FilePath = Annotated[AbsolutePath, AfterValidator(_file_path)]
Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
]
upper_case = BeforeValidator(_upper)


def split_symbol(symbol: str) -> tuple[str, str]:
    """``"ETH/BTC"`` -> ``("ETH", "BTC")`` (symbols are validated, so the split always succeeds)."""
    base, _, quote = symbol.partition("/")
    return base, quote


def unique(values: list[str] | tuple[str, ...]) -> list[str]:
    """The values that occur more than once, in first-seen order."""
    seen: set[str] = set()
    dupes: list[str] = []
    for value in values:
        if value in seen and value not in dupes:
            dupes.append(value)
        seen.add(value)
    return dupes


def is_model(value: Any) -> typing.TypeGuard[type[BaseModel]]:
    return isinstance(value, type) and issubclass(value, BaseModel)


def unwrap(annotation: Any) -> Any:
    """``Annotated[X, ...]`` -> X; ``X | None`` -> X."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
    if len(args) == 1 and typing.get_origin(annotation) in (typing.Union, type(int | None)):
        return unwrap(args[0])
    return annotation
