"""When and at what price the paper broker fills an order: the conservative rules, one place.

- **Market order**: at the market's current price (the open of the candle starting at placement),
  worsened by the slippage and rounded to the tick the unfavourable way (buys up, sells down). Taker.
- **Limit marketable on arrival** (a buy at or above the current price, a sell at or below): at the
  current price with slippage, capped at the limit. Taker.
- **Resting limit**: only when a later candle trades *through* it (buy: low < limit; sell: high > limit;
  a touch does not fill), always at the limit price, even when the candle gapped through it (no price
  improvement is assumed). Maker.
- **Stop-market sell**: triggers when a candle's low <= stop. Fills at the stop, or at the candle's open
  if the candle opened at/below the stop (gaps hurt), minus slippage. Taker.
- **Stop-limit sell**: triggers like the stop. If the trigger price (stop or gapped open) is at or above
  the limit, fills at once at the trigger price minus slippage, not below the limit (taker). Otherwise it
  rests as a sell limit (it may never fill if the market gapped below it): if the candle opened through
  the stop, the whole candle came after the trigger, so it fills there at the limit (maker) when the high
  trades through it; if the stop was hit mid-candle, matching starts with the next candle.
- **Entry and stop in one candle**: an order takes part only in candles opening at or after its placement.
  A stop placed once the entry's fill is reported (at the close of the entry's candle) never triggers in
  that candle, whose low may have come before the entry filled; a stop already resting before it can.
- **Within one candle** stops are matched before limits, so when a stop and a take-profit could both fill,
  the stop (the worse outcome) comes first.
- **One-cancels-other pair** (a take-profit sell limit whose ``oco_with`` names its stop): the first of the
  two to fill cancels the other, in the same candle; with the rule above a candle spanning both the stop
  and the target fills the stop. The take-profit fills like any resting sell limit (the high trades
  through it).

Candle comparisons use the floats of the order's prices (cached on the order), so a candle costs no
``Decimal`` work unless something fills or triggers.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import overload

import numpy as np
import numpy.typing as npt

from bot.adapters.paper.paper_order import PaperOrder
from bot.domain import Candle, Liquidity, MarketRules, OrderType, Side

BPS = Decimal(10_000)
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Execution:
    """A decision to fill ``order`` completely at ``price``."""

    order: PaperOrder
    price: Decimal
    liquidity: Liquidity


def taker_price(reference: Decimal, side: Side, slippage_bps: Decimal, rules: MarketRules) -> Decimal:
    """``reference`` worsened by the slippage and rounded to the tick against us."""
    slip = slippage_bps / BPS
    if side is Side.BUY:
        return rules.round_price_up(reference * (1 + slip))
    return rules.round_price_down(reference * (1 - slip))


def marketable_price(
    order_side: Side, limit: Decimal, current: Decimal, slippage_bps: Decimal, rules: MarketRules
) -> Decimal | None:
    """The taker fill price of a limit that crosses the market on arrival, or ``None`` if it would rest."""
    if order_side is Side.BUY and limit >= current:
        return min(limit, taker_price(current, Side.BUY, slippage_bps, rules))
    if order_side is Side.SELL and limit <= current:
        return max(limit, taker_price(current, Side.SELL, slippage_bps, rules))
    return None


# The price tests below are the whole of "could this candle fill the order". They take a candle's
# low/high as floats, or whole numpy columns of them at once (``bot.adapters.paper.candle_feed`` scans a
# history
# with them to find the next candle worth matching), so the scan and the matching cannot disagree.


@overload
def stop_triggers(order: PaperOrder, low: float) -> bool: ...
@overload
def stop_triggers(order: PaperOrder, low: FloatArray) -> BoolArray: ...
def stop_triggers(order: PaperOrder, low: float | FloatArray) -> bool | BoolArray:
    """An armed stop-sell triggers when the candle's low reaches its stop."""
    return low <= order.stop_f


@overload
def limit_trades_through(order: PaperOrder, low: float, high: float) -> bool: ...
@overload
def limit_trades_through(order: PaperOrder, low: FloatArray, high: FloatArray) -> BoolArray: ...
def limit_trades_through(
    order: PaperOrder, low: float | FloatArray, high: float | FloatArray
) -> bool | BoolArray:
    """A resting limit fills when the candle trades through it (a touch does not fill)."""
    return low < order.limit_f if order.side is Side.BUY else high > order.limit_f


def could_act(order: PaperOrder, low: FloatArray, high: FloatArray) -> BoolArray:
    """Which candles may fill or trigger a resting order (placement time aside)."""
    return stop_triggers(order, low) if order.is_armed_stop else limit_trades_through(order, low, high)


def match_candle(resting: list[PaperOrder], candle: Candle, slippage_bps: Decimal) -> list[Execution]:
    """Fills caused by one closed candle, stops first. Triggered stop-limits that rest are re-armed as limits.

    Only orders placed at or before the candle's open take part (no look-ahead).
    """
    executions: list[Execution] = []
    filled: set[int] = set()
    for order in resting:
        if order.is_armed_stop and candle.open_time >= order.placed_ms and stop_triggers(order, candle.low):
            if _partner_filled(order, filled):
                continue
            execution = _trigger_stop(order, candle, slippage_bps)
            filled.add(id(order))  # triggered: its take-profit partner cannot fill in this candle
            if execution is not None:
                executions.append(execution)
    for order in resting:
        if order.is_armed_stop or id(order) in filled or candle.open_time < order.placed_ms:
            continue
        if _partner_filled(order, filled):
            continue  # one-cancels-other: its pair filled first in this candle
        if limit_trades_through(order, candle.low, candle.high):
            executions.append(Execution(order, order.limit_price, Liquidity.MAKER))
            filled.add(id(order))
    return executions


def _partner_filled(order: PaperOrder, filled: set[int]) -> bool:
    return order.partner is not None and id(order.partner) in filled


def _trigger_stop(order: PaperOrder, candle: Candle, slippage_bps: Decimal) -> Execution | None:
    stop = order.stop_price
    trigger = Decimal(repr(candle.open)) if candle.open <= order.stop_f else stop
    price = taker_price(trigger, Side.SELL, slippage_bps, order.rules)
    if order.order_type is OrderType.STOP_MARKET:
        return Execution(order, price, Liquidity.TAKER)
    order.triggered = True
    limit = order.limit_price
    if trigger >= limit:
        return Execution(order, max(limit, price), Liquidity.TAKER)
    gapped = candle.open <= order.stop_f
    if gapped and candle.high > order.limit_f:
        # triggered by the open, the candle's first trade: its whole range came after the trigger
        return Execution(order, limit, Liquidity.MAKER)
    order.placed_ms = candle.close_time  # rests as a sell limit from the next candle on
    return None
