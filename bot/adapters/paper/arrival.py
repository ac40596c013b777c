"""What a new paper order does on arrival: fill at once as a taker (and at what price), or rest.

Two sources of the arrival price, chosen by what the market provides:

- **Order book** (the market implements :class:`bot.core.ports.BookDepth`: paper mode on a real exchange).
  A buy walks the asks from the best up, a sell the bids from the best down, over at most
  :data:`BOOK_WALK_LEVELS` levels, until the order's quantity is covered. The fill price is the
  size-weighted average of the levels consumed, then worsened by the slippage and rounded to the tick
  against us. The order is still filled by **one** fill at that average price (the paper broker has no
  partial fills), so the fill's price is the average a real exchange's several trades would have had.

  - *Market order*: fills only if the walked levels hold its whole quantity; otherwise it is rejected
    with ``InvalidOrder`` ("not enough liquidity within N levels") and nothing moves. (A real market
    order would fill part and expire the rest; rejecting keeps the paper accounting whole and safe.)
  - *Limit order*: takes only levels at or better than its limit. If those (within the walked levels)
    hold its whole quantity it fills at once at the average plus slippage, never past its limit
    (taker). Otherwise it rests whole as a normal limit (all-or-nothing on arrival): nothing of it
    fills now, and later candles fill it at its limit like any resting limit (maker).
- **Current price** (offline markets: the open of the candle starting at placement): a market order
  fills at it plus slippage; a limit crossing it fills at it plus slippage, capped at the limit.
"""

from __future__ import annotations

from decimal import Decimal

from bot.adapters.paper.fill_rules import marketable_price, taker_price
from bot.core.ports import BookDepth, BookLevels
from bot.domain import InvalidOrder, MarketRules, Order, OrderRejected, OrderType, Side

BOOK_WALK_LEVELS = 5  # levels of the book a market order may consume on arrival
BOOK_FILLED = frozenset({OrderType.MARKET, OrderType.LIMIT})  # the types priced by the book when it exists


def current_price_fill(
    order: Order, rules: MarketRules, current: Decimal | None, slippage_bps: Decimal
) -> Decimal | None:
    """The taker price if the order fills on arrival at the current price (market, or a limit crossing
    the market); ``None`` if it rests."""
    if order.order_type is OrderType.MARKET:
        if current is None:
            raise OrderRejected(
                f"order {order.client_order_id} ({order.symbol}): no market price, the data has ended"
            )
        return taker_price(current, order.side, slippage_bps, rules)
    if order.order_type is OrderType.LIMIT and current is not None and order.price is not None:
        return marketable_price(order.side, order.price, current, slippage_bps, rules)
    return None


def book_fill(
    book: BookDepth,
    order: Order,
    rules: MarketRules,
    slippage_bps: Decimal,
    *,
    levels: int = BOOK_WALK_LEVELS,
) -> Decimal | None:
    """The taker price of a market or limit order walking the book on arrival; ``None`` if it rests."""
    bids, asks = book.order_book(order.symbol, levels)
    opposite = asks if order.side is Side.BUY else bids
    limit = order.price if order.order_type is OrderType.LIMIT else None
    average = walk(opposite[:levels], order.quantity, order.side, limit)
    if average is None:
        if limit is not None:
            return None  # not all of it is available at or better than the limit: it rests
        available = sum((amount for _, amount in opposite[:levels]), Decimal(0))
        raise InvalidOrder(
            f"order {order.client_order_id} ({order.symbol}): not enough liquidity within {levels} levels "
            f"of the order book for a market {order.side.value} of {order.quantity} (available {available})"
        )
    price = taker_price(average, order.side, slippage_bps, rules)
    if limit is None:
        return price
    return min(price, limit) if order.side is Side.BUY else max(price, limit)


def walk(levels: BookLevels, quantity: Decimal, side: Side, limit: Decimal | None = None) -> Decimal | None:
    """The size-weighted average price of taking ``quantity`` from ``levels`` (best first), using only
    levels at or better than ``limit`` (a buy: price <= limit; a sell: price >= limit); ``None`` if they
    do not hold the whole quantity."""
    if quantity <= 0:
        raise ValueError(f"quantity must be > 0, got {quantity}")
    remaining = quantity
    cost = Decimal(0)
    for price, amount in levels:
        if limit is not None and (price > limit if side is Side.BUY else price < limit):
            break
        taken = min(amount, remaining)
        cost += price * taken
        remaining -= taken
        if remaining == 0:
            return cost / quantity
    return None
