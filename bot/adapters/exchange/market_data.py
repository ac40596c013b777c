"""Market data from a ccxt exchange: market rules, closed candles and the order book top."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from bot.adapters.exchange import answers
from bot.adapters.exchange.convert import to_decimal
from bot.adapters.exchange.retry import ExchangeCaller
from bot.core.ports import BookLevels, Clock
from bot.domain import Candle, InvalidOrder, MarketRules, timeframe_ms
from bot.domain.clock import datetime_to_ms

_MAX_KLINES = 1000  # Binance's per-request cap
_BOOK_LIMITS = (5, 10, 20, 50, 100, 500, 1000, 5000)  # the depth sizes Binance's /api/v3/depth accepts


class CcxtMarketData:
    """Implements :class:`bot.core.ports.MarketData` (and :class:`bot.core.ports.BookDepth`) on a ccxt client.

    Markets are loaded once (on first use) and again on :meth:`reload_markets`. Reads are retried
    (``ExchangeCaller.read``) and raise only :mod:`bot.domain.errors` exceptions once retries run out.
    """

    def __init__(
        self,
        client: Any,
        symbols: Sequence[str],
        timeframe: str,
        clock: Clock,
        *,
        caller: ExchangeCaller | None = None,
    ) -> None:
        timeframe_ms(timeframe)  # validates
        self.venue: str = str(client.id)
        self._client = client
        self._symbols = tuple(symbols)
        self._timeframe = timeframe
        self._clock = clock
        self._caller = caller or ExchangeCaller(client)
        self._markets: dict[str, Any] | None = None
        self._rules: dict[str, MarketRules] = {}

    # --- markets ------------------------------------------------------------------------------

    def symbols(self) -> Sequence[str]:
        return self._symbols

    def markets(self) -> dict[str, Any]:
        """ccxt's markets, loaded on first use."""
        if self._markets is None:
            self._markets = self._caller.read(
                "load_markets", None, self._client.load_markets, answers.markets
            )
        return self._markets

    def reload_markets(self) -> None:
        """Fetch the markets again (filters change rarely; call on an InvalidOrder about a filter)."""
        self._markets = self._caller.read(
            "load_markets", None, lambda: self._client.load_markets(True), answers.markets
        )
        self._rules.clear()

    def market(self, symbol: str) -> Any:
        market = self.markets().get(symbol)
        if market is None:
            raise InvalidOrder(f"{self.venue} has no market {symbol!r}")
        return market

    def rules(self, symbol: str) -> MarketRules:
        if symbol not in self._rules:
            self._rules[symbol] = rules_from_market(self.market(symbol))
        return self._rules[symbol]

    # --- candles and prices -------------------------------------------------------------------

    def closed_candles(self, symbol: str, timeframe: str, *, until_ms: int, limit: int) -> Sequence[Candle]:
        """Up to ``limit`` candles closed by ``until_ms`` (and by the clock's now), oldest first.

        Asks for candles opening from ``limit`` steps before the last closed one, in pages of 1000, and
        drops any whose close time is past ``until_ms``/now: the still-forming candle is never returned.
        """
        if limit <= 0:
            return []
        step = timeframe_ms(timeframe)
        until = min(until_ms, datetime_to_ms(self._clock.now()))
        last_open = (until // step) * step - step  # the newest candle closed by ``until``
        first_open = last_open - (limit - 1) * step
        candles: list[Candle] = []
        since = first_open
        while since <= last_open:
            want = min(_MAX_KLINES, (last_open - since) // step + 1)
            rows = self._fetch_ohlcv(symbol, timeframe, since, want, until)
            page = [_candle(symbol, timeframe, row) for row in rows]
            page = [c for c in page if since <= c.open_time and c.close_time <= until]
            if not page:
                break
            candles.extend(page)
            since = page[-1].open_time + step
            if len(rows) < want:
                break
        return candles[-limit:]

    def _fetch_ohlcv(
        self, symbol: str, timeframe: str, since: int, limit: int, until: int
    ) -> list[list[Any]]:
        params = {"until": until - 1}  # Binance endTime is inclusive of open time: exclude the forming one
        return list(
            self._caller.read(
                "fetch_ohlcv",
                symbol,
                lambda: self._client.fetch_ohlcv(symbol, timeframe, since=since, limit=limit, params=params),
                answers.candles,
            )
        )

    def current_price(self, symbol: str, at_ms: int) -> float | None:
        """The order book's mid price now (``at_ms`` is ignored: a live venue has only the present).

        A market order buys near the best ask and sells near the best bid; the mid is the neutral
        estimate the engine sizes with. One-sided book: that side; empty book: the ticker's last price;
        ``None`` if there is none.
        """
        book = self._caller.read(
            "fetch_order_book",
            symbol,
            lambda: self._client.fetch_order_book(symbol, limit=5),
            answers.order_book,
        )
        best_bid = book["bids"][0][0] if book.get("bids") else None
        best_ask = book["asks"][0][0] if book.get("asks") else None
        if best_bid is not None and best_ask is not None:
            return (float(best_bid) + float(best_ask)) / 2
        one_side: Any = best_bid if best_bid is not None else best_ask
        if one_side is not None:
            return float(one_side)
        ticker = self._caller.read(
            "fetch_ticker", symbol, lambda: self._client.fetch_ticker(symbol), answers.ticker
        )
        last: Any = ticker.get("last") or ticker.get("close")
        return float(last) if last is not None else None

    def book_top(self, symbol: str) -> tuple[Decimal | None, Decimal | None]:
        """Best bid and best ask (``None`` for an empty side)."""
        book = self._caller.read(
            "fetch_order_book",
            symbol,
            lambda: self._client.fetch_order_book(symbol, limit=5),
            answers.order_book,
        )
        bid = to_decimal(book["bids"][0][0]) if book.get("bids") else None
        ask = to_decimal(book["asks"][0][0]) if book.get("asks") else None
        return bid, ask

    def order_book(self, symbol: str, depth: int) -> tuple[BookLevels, BookLevels]:
        """Up to ``depth`` levels per side, best first, as Decimals (one read, retried like any read).

        The request asks for the smallest depth the venue accepts that covers ``depth``.
        """
        if depth <= 0:
            raise ValueError(f"depth must be > 0, got {depth}")
        limit = next((n for n in _BOOK_LIMITS if n >= depth), _BOOK_LIMITS[-1])
        book = self._caller.read(
            "fetch_order_book",
            symbol,
            lambda: self._client.fetch_order_book(symbol, limit=limit),
            answers.order_book,
        )
        return _levels(book.get("bids"), depth), _levels(book.get("asks"), depth)


def rules_from_market(market: Any) -> MarketRules:
    """MarketRules from a ccxt market (TICK_SIZE precision mode: precision values are increments)."""
    precision = market.get("precision") or {}
    limits = market.get("limits") or {}
    tick = to_decimal(precision.get("price"))
    step = to_decimal(precision.get("amount"))
    if tick is None or step is None or tick <= 0 or step <= 0:
        raise InvalidOrder(f"market {market.get('symbol')!r} has no tick/step precision: {precision}")
    return MarketRules(
        symbol=market["symbol"],
        base=market["base"],
        quote=market["quote"],
        tick_size=tick,
        step_size=step,
        min_notional=to_decimal((limits.get("cost") or {}).get("min")) or Decimal(0),
        maker_fee=to_decimal(market.get("maker")) or Decimal(0),
        taker_fee=to_decimal(market.get("taker")) or Decimal(0),
        min_quantity=to_decimal((limits.get("amount") or {}).get("min")) or Decimal(0),
    )


def _levels(rows: Any, depth: int) -> BookLevels:
    """The first ``depth`` (price, amount) rows as Decimals; rows without a positive amount are skipped."""
    levels: BookLevels = []
    for row in rows or ():
        price, amount = to_decimal(row[0]), to_decimal(row[1])
        if price is None or amount is None or price <= 0 or amount <= 0:
            continue
        levels.append((price, amount))
        if len(levels) == depth:
            break
    return levels


def _candle(symbol: str, timeframe: str, row: Sequence[Any]) -> Candle:
    open_time, open_, high, low, close, volume = row[:6]
    return Candle(
        symbol=symbol,
        timeframe=timeframe,
        open_time=int(open_time),
        open=float(open_),
        high=float(high),
        low=float(low),
        close=float(close),
        volume=float(volume or 0.0),
    )
