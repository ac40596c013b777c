"""Market data and exchange market rules.

Candle prices are ``float``: they are observations, fed to indicators, and issue #5 requires the
per-candle path to allocate no ``Decimal``. Every price or amount the bot *commits to* (an order, a
fill, a balance) is ``Decimal``; :meth:`MarketRules.price_from_float` is the one conversion point.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

TIMEFRAME_SECONDS: dict[str, int] = {
    "1m": 60,
    "3m": 180,
    "5m": 300,
    "15m": 900,
    "30m": 1800,
    "1h": 3600,
    "2h": 7200,
    "4h": 14400,
    "6h": 21600,
    "12h": 43200,
    "1d": 86400,
}


MIN_PRICE = 1e-12
MAX_PRICE = 1e12
"""The prices the bot can carry, in quote units: a tick (at most 1e-5 of the price) still fits the audit
DB's 18 decimals, and the price its 20 integer digits with room to spare. Candle files and simulated
start prices outside this range are refused."""
MAX_TIME_MS = 253_402_300_799_999
"""9999-12-31T23:59:59.999Z, the last instant a ``datetime`` holds: no candle may open later."""


def timeframe_ms(timeframe: str) -> int:
    """Milliseconds in one candle of ``timeframe`` (e.g. ``"5m"`` -> 300000)."""
    try:
        return TIMEFRAME_SECONDS[timeframe] * 1000
    except KeyError:
        allowed = ", ".join(TIMEFRAME_SECONDS)
        raise ValueError(f"unknown timeframe {timeframe!r}; allowed: {allowed}") from None


@dataclass(frozen=True, slots=True)
class Candle:
    """One closed OHLCV candle. ``open_time`` is the candle's open, ms since the Unix epoch (UTC)."""

    symbol: str
    timeframe: str
    open_time: int
    open: float
    high: float
    low: float
    close: float
    volume: float

    @property
    def close_time(self) -> int:
        """The ms timestamp at which this candle closed (= the next candle's open)."""
        return self.open_time + timeframe_ms(self.timeframe)


def decimal_from_float(value: float) -> Decimal:
    """The shortest decimal that reads back as ``value`` (``0.1`` -> ``Decimal("0.1")``, not the binary
    expansion). Accepts numpy floats too, whose ``repr`` is not a number."""
    return Decimal(repr(float(value)))


_ONE = Decimal(1)


def plain_decimal(value: Decimal) -> Decimal:
    """``value`` without trailing zeros and never with a positive exponent: ``Decimal("65000.00")`` ->
    ``65000`` where ``normalize()`` gives ``6.5E+4`` (which ``str()`` - logs, JSON, the DB's config - shows
    as is); ``1.50`` -> ``1.5``; any zero -> ``0``. The same number, only its representation differs."""
    if value.is_zero():
        return Decimal(0)
    normalized = value.normalize()
    exponent = normalized.as_tuple().exponent
    return normalized.quantize(_ONE) if isinstance(exponent, int) and exponent > 0 else normalized


def _quantize(value: Decimal, step: Decimal, rounding: str) -> Decimal:
    units = (value / step).to_integral_value(rounding=rounding)
    return plain_decimal(units * step)


@dataclass(frozen=True, slots=True)
class MarketRules:
    """What an exchange enforces on one spot market (Binance's PRICE_FILTER, LOT_SIZE, NOTIONAL).

    Fees are fractions (``Decimal("0.001")`` = 0.1 %). Rounding is always the safe way: an amount
    is rounded down, a buy price down and a sell price up, so rounding never raises risk or cost.
    """

    symbol: str
    base: str
    quote: str
    tick_size: Decimal
    step_size: Decimal
    min_notional: Decimal
    maker_fee: Decimal
    taker_fee: Decimal
    min_quantity: Decimal = Decimal(0)

    def round_quantity(self, quantity: Decimal) -> Decimal:
        """Round an amount down to the lot step."""
        return _quantize(quantity, self.step_size, ROUND_FLOOR)

    def round_price_down(self, price: Decimal) -> Decimal:
        return _quantize(price, self.tick_size, ROUND_FLOOR)

    def round_price_up(self, price: Decimal) -> Decimal:
        return _quantize(price, self.tick_size, ROUND_CEILING)

    def round_price(self, price: Decimal, *, is_buy: bool) -> Decimal:
        """Round a limit price the safe way: buys down (never pay more), sells up (never sell cheaper)."""
        return self.round_price_down(price) if is_buy else self.round_price_up(price)

    def price_from_float(self, price: float, *, is_buy: bool) -> Decimal:
        """Turn an observed float price (a candle's close) into a tick-valid ``Decimal``."""
        return self.round_price(decimal_from_float(price), is_buy=is_buy)

    def is_tick_valid(self, price: Decimal) -> bool:
        return price > 0 and price % self.tick_size == 0

    def is_step_valid(self, quantity: Decimal) -> bool:
        return quantity > 0 and quantity % self.step_size == 0 and quantity >= self.min_quantity

    def meets_min_notional(self, price: Decimal, quantity: Decimal) -> bool:
        return price * quantity >= self.min_notional
