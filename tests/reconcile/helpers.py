"""Builders and constants for the reconciliation tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from bot.adapters.exchange import CcxtBroker
from bot.core.order_gateway import OrderGateway
from bot.core.reconcile import Reconciler
from bot.domain import Order, OrderPurpose, OrderType, Side, client_order_id_for, make_intent_id

VENUE = "binance"
SYMBOL = "BTC/USDT"
NOW = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)


class FixedClock:
    def now(self) -> datetime:
        return NOW


@dataclass
class Bot:
    """One life of the bot: a broker and a reconciler over the shared audit DB."""

    broker: CcxtBroker
    reconciler: Reconciler
    gateway: OrderGateway


def buy(name: str, quantity: str = "0.002", price: str = "59000.00") -> Order:
    """A limit buy of BTC/USDT: below 60000 it rests, above it fills at once as taker."""
    intent = make_intent_id("reconcile-test", name)
    return Order(
        client_order_id=client_order_id_for(intent, OrderPurpose.ENTRY),
        intent_id=intent,
        symbol=SYMBOL,
        side=Side.BUY,
        order_type=OrderType.LIMIT,
        purpose=OrderPurpose.ENTRY,
        quantity=Decimal(quantity),
        created_at=NOW,
        price=Decimal(price),
    )
