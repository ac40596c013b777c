"""Public market data from the engine's price path: tickers, a synthetic order book, scripted klines."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from tests.fake_exchange.markets import SYMBOLS, BinanceError, SymbolSpec, fmt, spec_for
from tests.fake_exchange.matching import Engine

INTERVAL_MS = {
    "1s": 1_000, "1m": 60_000, "3m": 180_000, "5m": 300_000, "15m": 900_000, "30m": 1_800_000,
    "1h": 3_600_000, "2h": 7_200_000, "4h": 14_400_000, "6h": 21_600_000, "8h": 28_800_000,
    "12h": 43_200_000, "1d": 86_400_000, "3d": 259_200_000, "1w": 604_800_000, "1M": 2_592_000_000,
}  # fmt: skip
BOOK_LEVELS = 20


def interval_ms(interval: str) -> int:
    if interval not in INTERVAL_MS:
        raise BinanceError(-1120, "Invalid interval.")
    return INTERVAL_MS[interval]


def candles_ending_now(closes: list[Any], interval: str = "1m", now: int | None = None) -> list[list[Any]]:
    """Scripted candles (openTime, o, h, l, c, v) whose last one contains ``now``: the forming candle.

    Each candle opens at the previous close; high/low are the max/min of open and close; volume 1.
    """
    from tests.fake_exchange.matching import now_ms

    step = interval_ms(interval)
    current_open = ((now if now is not None else now_ms()) // step) * step
    first_open = current_open - step * (len(closes) - 1)
    candles: list[list[Any]] = []
    previous = Decimal(str(closes[0]))
    for i, close in enumerate(closes):
        c = Decimal(str(close))
        candles.append(
            [first_open + i * step, str(previous), str(max(previous, c)), str(min(previous, c)), str(c), "1"]
        )
        previous = c
    return candles


class MarketData:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _price(self, spec: SymbolSpec) -> Decimal:
        return self.engine.prices[spec.symbol]

    def _spacing(self, spec: SymbolSpec) -> Decimal:
        return max(spec.tick_size, spec.round_price(self._price(spec) * Decimal("0.00005")))

    def _level_qty(self, spec: SymbolSpec, level: int) -> Decimal:
        return max(spec.step_size, spec.floor_quantity(Decimal(10000) / self._price(spec))) * level

    def _symbols(self, params: dict[str, str]) -> tuple[list[SymbolSpec], bool]:
        """The symbols asked for, and whether a single object (not a list) is wanted."""
        if params.get("symbol"):
            return [spec_for(params["symbol"])], True
        if params.get("symbols"):
            return [spec_for(s) for s in json.loads(params["symbols"])], False
        return list(SYMBOLS.values()), False

    def _each(self, params: dict[str, str], build: Any) -> Any:
        with self.engine.lock:
            specs, single = self._symbols(params)
            rows = [build(spec) for spec in specs]
            return rows[0] if single else rows

    def book_ticker(self, params: dict[str, str]) -> Any:
        def build(spec: SymbolSpec) -> dict[str, Any]:
            price, gap = self._price(spec), self._spacing(spec)
            qty = fmt(self._level_qty(spec, 1))
            return {"symbol": spec.symbol, "bidPrice": fmt(price - gap), "bidQty": qty,
                    "askPrice": fmt(price + gap), "askQty": qty}  # fmt: skip

        return self._each(params, build)

    def price_ticker(self, params: dict[str, str]) -> Any:
        return self._each(params, lambda spec: {"symbol": spec.symbol, "price": fmt(self._price(spec))})

    def ticker_24hr(self, params: dict[str, str]) -> Any:
        def build(spec: SymbolSpec) -> dict[str, Any]:
            book = self.book_ticker({"symbol": spec.symbol})
            price, now = fmt(self._price(spec)), self.engine.now()
            return {
                "symbol": spec.symbol, "priceChange": "0.00000000", "priceChangePercent": "0.000",
                "weightedAvgPrice": price, "prevClosePrice": price, "lastPrice": price,
                "lastQty": "0.00100000", "bidPrice": book["bidPrice"], "bidQty": book["bidQty"],
                "askPrice": book["askPrice"], "askQty": book["askQty"], "openPrice": price,
                "highPrice": price, "lowPrice": price,
                "volume": "100.00000000", "quoteVolume": fmt(self._price(spec) * 100),
                "openTime": now - 86_400_000, "closeTime": now, "firstId": 1, "lastId": 100, "count": 100,
            }  # fmt: skip

        return self._each(params, build)

    def depth(self, params: dict[str, str]) -> dict[str, Any]:
        with self.engine.lock:
            spec = spec_for(params.get("symbol"))
            levels = min(int(params.get("limit", 100)), BOOK_LEVELS)
            price, gap = self._price(spec), self._spacing(spec)
            qty = [fmt(self._level_qty(spec, i)) for i in range(1, levels + 1)]
            return {
                "lastUpdateId": self.engine.next_trade_id + 1_000_000,
                "bids": [[fmt(price - gap * i), qty[i - 1]] for i in range(1, levels + 1)],
                "asks": [[fmt(price + gap * i), qty[i - 1]] for i in range(1, levels + 1)],
            }

    def klines(self, params: dict[str, str]) -> list[list[Any]]:
        """GET /api/v3/klines from the scripted candles; the last scripted candle is the forming one."""
        with self.engine.lock:
            spec = spec_for(params.get("symbol"))
            interval = params.get("interval", "")
            step = interval_ms(interval)
            limit = min(int(params.get("limit", 500)), 1000)
            rows = list(self.engine.candles.get((spec.symbol, interval), []))
            if "startTime" in params:
                rows = [c for c in rows if int(c[0]) + step > int(params["startTime"])]
            if "endTime" in params:
                rows = [c for c in rows if int(c[0]) <= int(params["endTime"])]
            rows = rows[:limit] if "startTime" in params else rows[-limit:]
            return [self._kline(c, step) for c in rows]

    @staticmethod
    def _kline(candle: list[Any], step: int) -> list[Any]:
        open_time = int(candle[0])
        o, h, low, c, v = (Decimal(str(x)) for x in candle[1:6])
        quote = fmt(v * c)
        zero = "0.00000000"
        return [
            open_time,
            fmt(o),
            fmt(h),
            fmt(low),
            fmt(c),
            fmt(v),
            open_time + step - 1,
            quote,
            1,
            zero,
            zero,
            "0",
        ]
