"""Exchange-like market rules for offline symbols, derived from a typical price unless given.

The rules, chosen to resemble Binance spot markets:

- **tick size** = the largest power of ten not above ``typical_price * 1e-5``. One tick is between
  0.0001 % and 0.001 % of the price: 40000 -> 0.1, 2500 -> 0.01, 0.0984 -> 0.0000001.
- **step size** = the largest power of ten whose worth (``step * typical_price``) is at most a tenth of
  the minimum notional, so the smallest valid order can be sized in at least ten steps:
  price 40000 with min notional 10 -> 0.00001 (Binance BTCUSDT: 0.00001);
  price 0.0984 with min notional 0.0001 -> 0.0001 (Binance ETHBTC: 0.0001).
- **min quantity** = one step. **min notional** (quote units) and **maker/taker fees** come from the caller.

Explicit per-symbol overrides win over every derived value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal

from bot.domain import MarketRules, plain_decimal

DEFAULT_FEE = Decimal("0.001")
OVERRIDABLE_FIELDS = ("tick_size", "step_size", "min_notional", "maker_fee", "taker_fee", "min_quantity")
RuleOverrides = Mapping[str, Decimal | str | int]


def split_symbol(symbol: str) -> tuple[str, str]:
    """``"ETH/BTC"`` -> ``("ETH", "BTC")``."""
    base, sep, quote = symbol.partition("/")
    if not sep or not base or not quote or "/" in quote:
        raise ValueError(f"symbol {symbol!r} must look like BASE/QUOTE, e.g. 'BTC/USDT'")
    return base, quote


def _power_of_ten_at_most(value: Decimal) -> Decimal:
    """The largest power of ten <= ``value`` (``value`` > 0), exactly (``10``, not ``1E+1``)."""
    return plain_decimal(Decimal(1).scaleb(value.adjusted()))


def derive_rules(
    symbol: str,
    typical_price: float | Decimal,
    *,
    min_notional: Decimal,
    maker_fee: Decimal = DEFAULT_FEE,
    taker_fee: Decimal = DEFAULT_FEE,
    overrides: RuleOverrides | None = None,
) -> MarketRules:
    """Rules for ``symbol`` from its typical price (e.g. the median close), then ``overrides`` applied."""
    base, quote = split_symbol(symbol)
    price = Decimal(str(typical_price))
    if not price.is_finite() or price <= 0:
        raise ValueError(f"{symbol}: typical price must be a positive number, got {typical_price!r}")
    if min_notional <= 0:
        raise ValueError(f"{symbol}: min_notional must be > 0 (in {quote}), got {min_notional}")
    for name, fee in (("maker_fee", maker_fee), ("taker_fee", taker_fee)):
        if not 0 <= fee < 1:
            raise ValueError(f"{symbol}: {name} must be a fraction in [0, 1), got {fee}")
    step = _power_of_ten_at_most(min_notional / (10 * price))
    rules = MarketRules(
        symbol=symbol,
        base=base,
        quote=quote,
        tick_size=_power_of_ten_at_most(price * Decimal("1e-5")),
        step_size=step,
        min_notional=min_notional,
        maker_fee=maker_fee,
        taker_fee=taker_fee,
        min_quantity=step,
    )
    return apply_overrides(rules, overrides or {})


def apply_overrides(rules: MarketRules, overrides: RuleOverrides) -> MarketRules:
    """Replace fields of ``rules``; unknown keys and non-positive sizes are errors naming the key."""
    changes: dict[str, Decimal] = {}
    for key, raw in overrides.items():
        if key not in OVERRIDABLE_FIELDS:
            allowed = ", ".join(OVERRIDABLE_FIELDS)
            raise ValueError(f"{rules.symbol}: unknown market rule {key!r}; allowed: {allowed}")
        try:
            value = Decimal(str(raw))
        except ArithmeticError:
            raise ValueError(f"{rules.symbol}: rule {key} = {raw!r} is not a number") from None
        if not value.is_finite() or value < 0 or (key in ("tick_size", "step_size") and value == 0):
            raise ValueError(f"{rules.symbol}: rule {key} = {raw!r} is out of range")
        changes[key] = value
    return replace(
        rules,
        tick_size=changes.get("tick_size", rules.tick_size),
        step_size=changes.get("step_size", rules.step_size),
        min_notional=changes.get("min_notional", rules.min_notional),
        maker_fee=changes.get("maker_fee", rules.maker_fee),
        taker_fee=changes.get("taker_fee", rules.taker_fee),
        min_quantity=changes.get("min_quantity", rules.min_quantity),
    )
