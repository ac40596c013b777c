"""Replay real candles from CSV: ``timestamp,open,high,low,close,volume`` (ms UTC candle open time).

Every problem is reported as :class:`CsvFormatError` naming the file, the line (when there is one) and
what is wrong: a user's command ends with that one line (exit 2), never a traceback.
Gaps (missing candles) are kept as gaps: nothing is ever filled in.
"""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path
from typing import Any

import numpy as np

from bot.domain import MAX_PRICE, MAX_TIME_MS, MIN_PRICE, TIMEFRAME_SECONDS, timeframe_ms
from bot.domain.failures import BadInput
from bot.domain.series import CandleSeries

EXPECTED_HEADER = ("timestamp", "open", "high", "low", "close", "volume")
_TIMEFRAME_IN_NAME = re.compile(r"-(\d+[mhd])\.csv$", re.IGNORECASE)


class CsvFormatError(BadInput, ValueError):
    """A candle CSV that cannot be replayed; the message starts with ``path:line:`` (``path:`` for a
    problem with the whole file: unreadable, not UTF-8, a timeframe that disagrees with the name)."""

    def __init__(self, path: Path, line: int | None, problem: str) -> None:
        super().__init__(f"{path}:{line}: {problem}" if line is not None else f"{path}: {problem}")
        self.path = path
        self.line = line
        self.problem = problem


def timeframe_from_filename(path: Path) -> str | None:
    """``ETH_BTC-5m.csv`` -> ``"5m"``; ``None`` if the name carries no known timeframe."""
    match = _TIMEFRAME_IN_NAME.search(path.name)
    if match and match.group(1) in TIMEFRAME_SECONDS:
        return match.group(1)
    return None


def resolve_timeframe(path: Path, timeframe: str | None) -> str:
    """The configured timeframe, checked against the filename; else the filename's."""
    from_name = timeframe_from_filename(path)
    if timeframe is None:
        if from_name is None:
            raise CsvFormatError(
                path, None, "no timeframe configured and none in the file name (e.g. ETH_BTC-5m.csv)"
            )
        return from_name
    timeframe_ms(timeframe)  # rejects unknown timeframes with the allowed list
    if from_name is not None and from_name != timeframe:
        raise CsvFormatError(
            path, None, f"configured timeframe {timeframe!r} differs from {from_name!r} in the file name"
        )
    return timeframe


def load_csv_series(path: str | Path, symbol: str, timeframe: str | None = None) -> CandleSeries:
    """Read and validate one candle CSV into a :class:`CandleSeries` for ``symbol``."""
    path = Path(path)
    timeframe = resolve_timeframe(path, timeframe)
    step_ms = timeframe_ms(timeframe)
    times: list[int] = []
    rows: list[tuple[float, float, float, float, float]] = []
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            _check_header(path, _next_row(path, reader))
            while (fields := _next_row(path, reader)) is not None:
                if not fields or all(not f.strip() for f in fields):
                    continue
                line = reader.line_num
                timestamp, values = _parse_row(path, line, fields)
                if times:
                    _check_spacing(path, line, times[-1], timestamp, step_ms)
                times.append(timestamp)
                rows.append(values)
    except OSError as exc:
        raise CsvFormatError(path, None, f"cannot read candle file: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise CsvFormatError(path, None, "not a UTF-8 text file; expected CSV text") from None
    if not rows:
        raise CsvFormatError(path, 2, "no candles after the header")
    columns = np.array(rows, dtype=np.float64).T
    return CandleSeries(
        symbol,
        timeframe,
        np.array(times, dtype=np.int64),
        *(np.ascontiguousarray(column) for column in columns),
    )


def _next_row(path: Path, reader: Any) -> list[str] | None:
    """The next row, or None at the end; the csv module's own errors (a NUL byte, a field over its size
    limit, an unclosed quote) become a :class:`CsvFormatError` on the line they were found."""
    try:
        return next(reader, None)
    except csv.Error as exc:
        raise CsvFormatError(path, reader.line_num, f"not CSV text: {exc}") from None


def _check_header(path: Path, header: list[str] | None) -> None:
    if header is None:
        raise CsvFormatError(path, 1, "empty file; expected the header " + ",".join(EXPECTED_HEADER))
    found = tuple(name.strip().lower() for name in header)
    if found != EXPECTED_HEADER:
        raise CsvFormatError(
            path, 1, f"header is {','.join(header)!r}; expected {','.join(EXPECTED_HEADER)!r}"
        )


def _parse_row(
    path: Path, line: int, fields: list[str]
) -> tuple[int, tuple[float, float, float, float, float]]:
    if len(fields) != len(EXPECTED_HEADER):
        raise CsvFormatError(path, line, f"{len(fields)} fields; expected {len(EXPECTED_HEADER)}")
    raw_time = fields[0].strip()
    try:
        timestamp = int(raw_time)
    except ValueError:
        raise CsvFormatError(
            path, line, f"timestamp {raw_time!r} is not an integer (ms since epoch)"
        ) from None
    if not 0 <= timestamp <= MAX_TIME_MS:
        raise CsvFormatError(
            path, line, f"timestamp {raw_time} is out of range; must be ms since 1970 and before year 10000"
        )
    values: list[float] = []
    for name, raw in zip(EXPECTED_HEADER[1:], fields[1:], strict=True):
        try:
            value = float(raw)
        except ValueError:
            raise CsvFormatError(path, line, f"{name} {raw.strip()!r} is not a number") from None
        if name == "volume":
            bad, allowed = not math.isfinite(value) or value < 0, "finite and >= 0"
        else:
            bad, allowed = not MIN_PRICE <= value <= MAX_PRICE, f"from {MIN_PRICE:g} to {MAX_PRICE:g}"
        if bad:
            raise CsvFormatError(path, line, f"{name} {raw.strip()!r} is out of range; must be {allowed}")
        values.append(value)
    open_, high, low, close, volume = values
    if high < max(open_, close, low) or low > min(open_, close):
        raise CsvFormatError(
            path,
            line,
            f"inconsistent candle: open={open_} high={high} low={low} close={close}; "
            "need low <= open, close <= high",
        )
    return timestamp, (open_, high, low, close, volume)


def _check_spacing(path: Path, line: int, previous: int, timestamp: int, step_ms: int) -> None:
    if timestamp <= previous:
        raise CsvFormatError(path, line, f"timestamp {timestamp} is not after the previous row's {previous}")
    if (timestamp - previous) % step_ms:
        raise CsvFormatError(
            path,
            line,
            f"timestamp {timestamp} is {timestamp - previous} ms after the previous row's; "
            f"must be a multiple of {step_ms} ms",
        )
