"""Hand-made daily candles for regime tests: each symbol's closes, one a day from T0, in a real offline
market (the adapter the backtest and the sim daemon read)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np

from bot.adapters.market import CandleSeries, OfflineMarket, derive_rules
from bot.domain import RegimeSpec

DAY_MS = 86_400_000
T0 = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp() * 1000)
WINDOW = timedelta(days=3)


def day(n: int) -> datetime:
    """The close of the candle opening on day ``n - 1``: ``day(4)`` is 2024-01-05 00:00 UTC."""
    return datetime.fromtimestamp((T0 + n * DAY_MS) / 1000, tz=UTC)


def series(symbol: str, closes: Sequence[float], first_day: int = 0) -> CandleSeries:
    prices = np.array(closes, dtype=np.float64)
    opens = np.array([T0 + (first_day + i) * DAY_MS for i in range(len(closes))], dtype=np.int64)
    return CandleSeries(symbol, "1d", opens, prices, prices, prices, prices, np.ones(len(prices)))


def market(
    closes: Mapping[str, Sequence[float]], first_days: Mapping[str, int] | None = None
) -> OfflineMarket:
    """``{"ETH/BTC": [1, 2, 3]}``: closes of days 0, 1, 2 (a symbol may start later: ``first_days``)."""
    starts = first_days or {}
    made = {s: series(s, c, starts.get(s, 0)) for s, c in closes.items()}
    rules = {
        s: derive_rules(s, one.median_close(), min_notional=Decimal("0.0001")) for s, one in made.items()
    }
    return OfflineMarket(made, rules, "1d")


def spec(basket: Sequence[str], **kwargs: object) -> RegimeSpec:
    return RegimeSpec(basket=tuple(basket), timeframe="1d", window=WINDOW, **kwargs)  # type: ignore[arg-type]
