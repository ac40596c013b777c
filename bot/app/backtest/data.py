"""Where a backtest's candles come from: ``--data`` paths resolved to CSV files, and a time window.

- A directory holds files named ``BASE_QUOTE-TF.csv`` (``ETH_BTC-5m.csv``); the config's symbols and
  timeframe pick the files.
- Files name their symbol and timeframe the same way; given explicitly, they *are* the symbols traded.
- :func:`restrict_market` slices an :class:`OfflineMarket` to candles opening in ``[start, end)``, keeping
  its market rules (derived from the whole files), so a window trades under the same rules.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from bot.adapters.market.offline import OfflineMarket
from bot.domain.clock import datetime_to_ms
from bot.domain.series import CandleSeries

_FILE_NAME = re.compile(r"^(?P<base>[A-Za-z0-9]+)_(?P<quote>[A-Za-z0-9]+)-(?P<tf>\d+[mhdw])\.csv$")


class DataError(ValueError):
    """``--data`` / ``--from`` / ``--to`` cannot be used; the message says which path or date and why."""


@dataclass(frozen=True, slots=True)
class DataFiles:
    files: dict[str, Path]  # symbol -> CSV
    explicit: bool  # files given one by one (they define the symbols) rather than a directory


def candle_file_name(symbol: str, timeframe: str) -> str:
    """``"ETH/BTC", "5m"`` -> ``"ETH_BTC-5m.csv"``: the naming ``spotbot download`` writes."""
    return f"{symbol.replace('/', '_')}-{timeframe}.csv"


def symbol_of_file(path: Path) -> tuple[str, str]:
    """``ETH_BTC-5m.csv`` -> ``("ETH/BTC", "5m")``."""
    match = _FILE_NAME.match(path.name)
    if match is None:
        raise DataError(f"{path}: not a candle file name like ETH_BTC-5m.csv (BASE_QUOTE-TIMEFRAME.csv)")
    return f"{match['base'].upper()}/{match['quote'].upper()}", match["tf"]


def resolve_data(paths: Sequence[Path], symbols: Sequence[str], timeframe: str) -> DataFiles:
    """The CSV file of each symbol: from one directory (the config's symbols) or from explicit files."""
    if len(paths) == 1 and paths[0].is_dir():
        directory = paths[0]
        files = {symbol: directory / candle_file_name(symbol, timeframe) for symbol in symbols}
        missing = [str(path) for path in files.values() if not path.is_file()]
        if missing:
            raise DataError(
                f"--data {directory}: no candle file for the config's symbols: {', '.join(missing)}"
            )
        return DataFiles(files, explicit=False)
    files = {}
    for path in paths:
        if path.is_dir():
            raise DataError(f"--data {path}: give one directory, or files (not both)")
        if not path.is_file():
            raise DataError(f"--data {path}: no such file")
        symbol, file_timeframe = symbol_of_file(path)
        if file_timeframe != timeframe:
            raise DataError(
                f"--data {path}: timeframe {file_timeframe} differs from market.timeframe {timeframe}"
            )
        if symbol in files:
            raise DataError(f"--data {path}: a second file for {symbol} ({files[symbol]})")
        files[symbol] = path.resolve()
    return DataFiles(files, explicit=True)


def parse_date(value: str, option: str) -> datetime:
    """``2024-01-31`` or an ISO-8601 date-time; naive means UTC."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise DataError(f"{option} {value!r}: not a date (YYYY-MM-DD or ISO-8601 date-time)") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def window_ms(start: datetime | None, end: datetime | None) -> tuple[int | None, int | None] | None:
    """``[start, end)`` as open times in ms (``None`` for an open end); ``None`` for no window at all."""
    if start is None and end is None:
        return None
    return (
        datetime_to_ms(start) if start is not None else None,
        datetime_to_ms(end) if end is not None else None,
    )


def restrict_market(market: OfflineMarket, start: datetime | None, end: datetime | None) -> OfflineMarket:
    """The same market with only the candles opening in ``[start, end)`` (every symbol must keep some)."""
    window = window_ms(start, end)
    if window is None:
        return market
    lo = window[0] if window[0] is not None else np.iinfo(np.int64).min
    hi = window[1] if window[1] is not None else np.iinfo(np.int64).max
    if lo >= hi:
        raise DataError(f"--from {start} must be before --to {end}")
    series: dict[str, CandleSeries] = {}
    for symbol in market.symbols():
        one = market.series(symbol)
        keep = slice(*np.searchsorted(one.open_time, [lo, hi], side="left").tolist())
        if keep.stop <= keep.start:
            raise DataError(f"{symbol}: no candles between {start or 'the start'} and {end or 'the end'}")
        series[symbol] = CandleSeries(
            symbol,
            one.timeframe,
            one.open_time[keep].copy(),
            one.open[keep].copy(),
            one.high[keep].copy(),
            one.low[keep].copy(),
            one.close[keep].copy(),
            one.volume[keep].copy(),
        )
    return OfflineMarket(series, {s: market.rules(s) for s in series}, market.timeframe)
