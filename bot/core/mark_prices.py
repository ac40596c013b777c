"""Marking to market: the last price of every traded symbol, and equity valued at it.

Kept apart from the engine because every part of a tick reads it: repricing and trailing stops need
current prices, guards need equity with open positions at market, snapshots record it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from bot.core.ports import BookDepth, MarketData
from bot.core.positions import PositionBook
from bot.domain import Balance, Candle, decimal_from_float, timeframe_ms

ZERO = Decimal(0)


class Marks:
    def __init__(self, market: MarketData, timeframes_by_symbol: Mapping[str, Sequence[str]]) -> None:
        self._market = market
        # Each symbol's finest timeframe among the strategies trading it, for last-price refreshes.
        self._timeframe_of = {s: min(tfs, key=timeframe_ms) for s, tfs in timeframes_by_symbol.items() if tfs}
        self._symbols = sorted(self._timeframe_of)
        self._live_book = isinstance(market, BookDepth)  # checked once: a Protocol check is slow
        self.prices: dict[str, Decimal] = {}
        self.closes: dict[str, int] = {}  # per symbol: close time (ms) of the newest candle seen

    def observe(self, candle: Candle) -> None:
        self.prices[candle.symbol] = decimal_from_float(candle.close)
        self.closes[candle.symbol] = candle.close_time

    def refresh(self, now_ms: int) -> None:
        """Last close per symbol traded; on a live exchange, the order book's price between closes (so
        client-side stops and trailing see the market every few seconds; offline, the current price would
        be the next candle's open: a look into the future)."""
        live_book = self._live_book
        for symbol in self._symbols:
            candles = self._market.closed_candles(
                symbol, self._timeframe_of[symbol], until_ms=now_ms, limit=1
            )
            if candles:
                self.observe(candles[-1])
            if live_book:
                price = self._market.current_price(symbol, now_ms)
                if price is not None:
                    self.prices[symbol] = decimal_from_float(price)

    def equity(
        self, balances: Mapping[str, Balance], book: PositionBook, quote: str
    ) -> tuple[Decimal, Decimal, Decimal]:
        """(equity, cash, positions value) in the quote currency, positions (and dust) marked at the last
        price."""
        cash_balance = balances.get(quote)
        cash = cash_balance.total if cash_balance is not None else ZERO
        positions_value = ZERO
        for holding in book.holdings():
            positions_value += holding.market_value(self.prices.get(holding.symbol, holding.average_price))
        return cash + positions_value, cash, positions_value
