"""What a paper fill does: the money moves in the wallet, and the venue reports a filled order and a fill.

Fees are charged in the quote currency for buys and sells alike (see :mod:`bot.adapters.paper.broker`).
"""

from __future__ import annotations

from dataclasses import replace

from bot.adapters.paper.balances import BalanceBook
from bot.adapters.paper.fill_rules import Execution
from bot.domain import Fill, Liquidity, Order, OrderStatus, Side
from bot.domain.clock import ms_to_datetime


def settle(
    execution: Execution, wallet: BalanceBook, *, venue: str, trade_id: str, at_ms: int
) -> tuple[Order, Fill]:
    """Fill the whole order at the execution's price (its lock already released): debit and credit the
    wallet, and return the order as filled and the fill, stamped ``at_ms``."""
    order, rules, price = execution.order.order, execution.order.rules, execution.price
    quantity = order.quantity
    notional = price * quantity
    fee = notional * (rules.maker_fee if execution.liquidity is Liquidity.MAKER else rules.taker_fee)
    purpose = f"fill of {order.client_order_id}"
    if order.side is Side.BUY:
        wallet.debit(rules.quote, notional + fee, purpose=purpose)
        wallet.credit(rules.base, quantity)
    else:
        wallet.debit(rules.base, quantity, purpose=purpose)
        wallet.credit(rules.quote, notional - fee)
    filled = replace(order, status=OrderStatus.FILLED, filled_quantity=quantity, average_fill_price=price)
    fill = Fill(
        venue=venue,
        trade_id=trade_id,
        client_order_id=order.client_order_id,
        symbol=order.symbol,
        side=order.side,
        price=price,
        quantity=quantity,
        fee=fee,
        fee_currency=rules.quote,
        liquidity=execution.liquidity,
        occurred_at=ms_to_datetime(at_ms),
    )
    return filled, fill
