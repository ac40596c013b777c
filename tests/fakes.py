"""Fakes for engine and execution tests: an in-memory audit store and a scriptable broker.

They implement the ports (bot/core/ports.py) so the real engine and executor run against them unchanged.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from bot.core.ports import BrokerUpdate, RunInfo
from bot.domain import (
    Balance,
    EquitySnapshot,
    Fill,
    Liquidity,
    Order,
    OrderEvent,
    OrderIntent,
    OrderNotFound,
    OrderStatus,
    RiskDecision,
    Side,
    TradingStatus,
)
from bot.domain.records import TradingStateEvent


class InMemoryAuditStore:
    def __init__(self) -> None:
        self.runs: dict[int, RunInfo] = {}
        self.intents: dict[str, tuple[int, OrderIntent, tuple[RiskDecision, ...]]] = {}
        self.order_rows: dict[str, tuple[int, Order]] = {}
        self.events: list[OrderEvent] = []
        self.fill_rows: dict[tuple[str, str], Fill] = {}
        self.equity: list[EquitySnapshot] = []
        self.state_events: list[TradingStateEvent] = []

    def start_run(self, run: RunInfo) -> int:
        run_id = len(self.runs) + 1
        self.runs[run_id] = run
        return run_id

    def finish_run(self, run_id: int, stopped_at: datetime, status: str) -> None:
        pass

    def record_intent(self, run_id: int, intent: OrderIntent, decisions: Sequence[RiskDecision]) -> bool:
        if intent.intent_id in self.intents:
            return False
        self.intents[intent.intent_id] = (run_id, intent, tuple(decisions))
        return True

    def save_new_order(self, run_id: int, order: Order) -> bool:
        if order.client_order_id in self.order_rows:
            return False
        self.order_rows[order.client_order_id] = (run_id, order)
        self.events.append(OrderEvent(order.client_order_id, OrderStatus.PENDING, order.created_at, "saved"))
        return True

    def record_order_update(self, order: Order, event: OrderEvent) -> None:
        run_id, _ = self.order_rows[order.client_order_id]
        self.order_rows[order.client_order_id] = (run_id, order)
        self.events.append(event)

    def record_fills(self, fills: Sequence[Fill]) -> list[Fill]:
        new = []
        for fill in fills:
            key = (fill.venue, fill.trade_id)
            if key not in self.fill_rows:
                self.fill_rows[key] = fill
                new.append(fill)
        return new

    def record_fill(self, fill: Fill) -> bool:
        return bool(self.record_fills([fill]))

    def record_equity(self, run_id: int, snapshot: EquitySnapshot) -> None:
        self.equity.append(snapshot)

    def record_trading_state(
        self, bot_name: str, run_id: int | None, status: TradingStatus, actor: str, flatten: bool = False
    ) -> int:
        event_id = len(self.state_events) + 1
        self.state_events.append(
            TradingStateEvent(
                event_id, bot_name, run_id, status.state, status.reason, actor, flatten, status.since
            )
        )
        return event_id

    def trading_state_events(self, bot_name: str, after_id: int = 0) -> list[TradingStateEvent]:
        return [e for e in self.state_events if e.bot_name == bot_name and e.id > after_id]

    def latest_trading_state(self, bot_name: str) -> TradingStateEvent | None:
        events = self.trading_state_events(bot_name)
        return events[-1] if events else None

    def get_order(self, client_order_id: str) -> Order | None:
        row = self.order_rows.get(client_order_id)
        return row[1] if row else None

    def orders(self, run_id: int | None = None, *, only_open: bool = False) -> list[Order]:
        return [
            o
            for r, o in self.order_rows.values()
            if (run_id is None or r == run_id) and not (only_open and o.status.is_terminal)
        ]

    def fills(self, run_id: int | None = None) -> list[Fill]:
        return list(self.fill_rows.values())


class ScriptedBroker:
    """A broker whose answers tests script: queue exceptions for the next calls, fill orders by hand."""

    venue = "fake"

    def __init__(self, quote: str = "USDT", balance: Decimal = Decimal(10000)) -> None:
        self.orders: dict[str, Order] = {}
        self.sent: list[str] = []  # every client order id the venue accepted, in order
        self.place_errors: list[Exception] = []
        self.fetch_errors: list[Exception] = []
        self.lost_after_send: set[str] = (
            set()
        )  # ids accepted, then the answer is "lost" (raise OutcomeUnknown)
        self._pending = BrokerUpdate()
        self._trade_ids = itertools.count(1)
        self.deadline = datetime(1970, 1, 1, tzinfo=UTC)
        self._balances = {quote: Balance(quote, balance)}

    def place_order(self, order: Order) -> Order:
        if self.place_errors:
            raise self.place_errors.pop(0)
        acked = replace(order, status=OrderStatus.OPEN, exchange_order_id=f"x{len(self.sent) + 1}")
        self.orders[order.client_order_id] = acked
        self.sent.append(order.client_order_id)
        if order.client_order_id in self.lost_after_send:
            from bot.domain import OutcomeUnknown

            raise OutcomeUnknown("timeout after sending")
        return acked

    def cancel_order(self, symbol: str, client_order_id: str) -> Order:
        """As Binance: a cancel of an order that is not open (filled, cancelled, unknown) is refused with
        -2011 "Unknown order sent.", which ccxt raises as OrderNotFound."""
        order = self.orders.get(client_order_id)
        if order is None or order.status.is_terminal:
            raise OrderNotFound(client_order_id)
        order = self.orders[client_order_id] = replace(order, status=OrderStatus.CANCELED)
        return order

    def fetch_order(self, symbol: str, client_order_id: str) -> Order:
        if self.fetch_errors:
            raise self.fetch_errors.pop(0)
        if client_order_id not in self.orders:
            raise OrderNotFound(client_order_id)
        return self.orders[client_order_id]

    def open_orders(self, symbol: str | None = None) -> Sequence[Order]:
        return [o for o in self.orders.values() if not o.status.is_terminal]

    def balances(self) -> dict[str, Balance]:
        return dict(self._balances)

    def outcome_deadline(self) -> datetime:
        """The scripted venue never executes a request late, unless a test says until when it may."""
        return self.deadline

    def acknowledge(self, fills: Sequence[Fill]) -> None:
        pass

    def fill(self, client_order_id: str, price: Decimal, at: datetime, fee: Decimal = Decimal(0)) -> Fill:
        """Fill an open order completely; reported by the next poll()."""
        order = self.orders[client_order_id]
        filled = replace(
            order, status=OrderStatus.FILLED, filled_quantity=order.quantity, average_fill_price=price
        )
        self.orders[client_order_id] = filled
        fill = Fill(
            self.venue,
            f"t{next(self._trade_ids)}",
            client_order_id,
            order.symbol,
            order.side,
            price,
            order.quantity,
            fee,
            "USDT",
            Liquidity.TAKER,
            at,
        )
        self._pending = BrokerUpdate([*self._pending.orders, filled], [*self._pending.fills, fill])
        return fill

    def poll(self, now: datetime) -> BrokerUpdate:
        update, self._pending = self._pending, BrokerUpdate()
        return update


def buy_fill(symbol: str, qty: str, price: str, at: datetime, trade_id: str = "1", fee: str = "0") -> Fill:
    return Fill(
        "fake",
        trade_id,
        "cid",
        symbol,
        Side.BUY,
        Decimal(price),
        Decimal(qty),
        Decimal(fee),
        "USDT",
        Liquidity.TAKER,
        at,
    )
