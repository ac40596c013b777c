"""What the candles say about a shock: each holding's beta to a reference, and its worst N-hour move.

Both read the candles of the ``lookback`` before the portfolio's time (the whole series when it ends
earlier), by **close time**, so missing candles are never papered over:

- **beta** of a symbol to the reference = the OLS slope (with an intercept) of the symbol's simple
  returns on the reference's, ``cov(r, r_ref) / var(r_ref)`` (both ``n - 1``), over the close times both
  series have, each return running from the previous shared close. ``None`` with fewer than two
  shared returns or a reference that never moved.
- **worst N-hour move** = the lowest ``close(t + N h) / close(t) - 1`` over every close ``t`` with a
  close N hours later, ``close(t + N h)`` being the last close at or before then (a gap carries the
  last price). ``None`` when the candles span less than N hours.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bot.adapters.market.csv_replay import load_csv_series
from bot.app.backtest.data import candle_file_name, symbol_of_file
from bot.domain import timeframe_ms
from bot.domain.clock import datetime_to_ms
from bot.domain.series import CandleSeries

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Closes:
    """One symbol's closes by close time (ms), oldest first."""

    symbol: str
    times: IntArray
    prices: FloatArray

    @classmethod
    def of(cls, series: CandleSeries) -> Closes:
        step = timeframe_ms(series.timeframe)
        return cls(series.symbol, np.asarray(series.open_time, dtype=np.int64) + step,
                   np.asarray(series.close, dtype=np.float64))  # fmt: skip

    def before(self, at: datetime, lookback: timedelta) -> Closes:
        """The closes in ``(at - lookback, at]``; the last ``lookback`` of the series if none is."""
        end_ms = datetime_to_ms(at)
        end = int(np.searchsorted(self.times, end_ms, side="right")) or len(self.times)
        last = int(self.times[end - 1])
        start = int(np.searchsorted(self.times, last - int(lookback.total_seconds() * 1000), side="right"))
        return Closes(self.symbol, self.times[start:end], self.prices[start:end])


@dataclass(frozen=True, slots=True)
class WorstMove:
    move: float  # the return, e.g. -0.12
    start_ms: int  # the close it started from


def beta(asset: Closes, reference: Closes) -> float | None:
    """The OLS slope of ``asset``'s returns on ``reference``'s over their shared close times."""
    _, mine, theirs = np.intersect1d(asset.times, reference.times, assume_unique=True, return_indices=True)
    if mine.size < 3:
        return None
    r_asset = np.diff(asset.prices[mine]) / asset.prices[mine][:-1]
    r_ref = np.diff(reference.prices[theirs]) / reference.prices[theirs][:-1]
    variance = float(np.var(r_ref, ddof=1))
    if variance <= 0:
        return None
    return float(np.cov(r_asset, r_ref, ddof=1)[0, 1]) / variance


def worst_move(closes: Closes, hours: float) -> WorstMove | None:
    """The worst return over ``hours`` (see the module docstring)."""
    span_ms = int(hours * 3_600_000)
    starts = np.flatnonzero(closes.times + span_ms <= closes.times[-1])
    if starts.size == 0:
        return None
    ends = np.searchsorted(closes.times, closes.times[starts] + span_ms, side="right") - 1
    moves = closes.prices[ends] / closes.prices[starts] - 1.0
    worst = int(np.argmin(moves))
    return WorstMove(float(moves[worst]), int(closes.times[starts[worst]]))


def candle_files(paths: Sequence[Path], symbols: Iterable[str], timeframe: str) -> dict[str, Path]:
    """``--data``: files given one by one (each names its symbol), or one directory where each of
    ``symbols`` has its ``BASE_QUOTE-TF.csv`` if present (a symbol without a file has no candles)."""
    if len(paths) == 1 and paths[0].is_dir():
        found = {s: paths[0] / candle_file_name(s, timeframe) for s in symbols}
        return {symbol: path for symbol, path in found.items() if path.is_file()}
    return {symbol_of_file(path)[0]: path for path in paths}


def load_closes(files: Mapping[str, Path]) -> dict[str, Closes]:
    """Each file's closes (a bad file: :class:`~bot.adapters.market.csv_replay.CsvFormatError`, exit 2)."""
    return {symbol: Closes.of(load_csv_series(path, symbol)) for symbol, path in files.items()}
