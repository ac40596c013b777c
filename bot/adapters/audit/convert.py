"""Conversions between domain objects and rows, in one place so every method maps alike.

Enum columns are plain strings in the database (adding a status must not need a migration), and
become the domain's ``StrEnum`` again here.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Row

from bot.adapters.audit.models import (
    EquitySnapshotRow,
    FillRow,
    IntentRow,
    OrderEventRow,
    OrderRow,
    RiskDecisionRow,
    RunRow,
    TradingStateEventRow,
)
from bot.domain import (
    EquitySnapshot,
    Fill,
    IntentKind,
    Liquidity,
    Order,
    OrderEvent,
    OrderIntent,
    OrderPurpose,
    OrderStatus,
    OrderType,
    RiskDecision,
    Side,
    TradingState,
    Verdict,
)
from bot.domain.records import RunRecord, TradingStateEvent


def run_record(row: RunRow | Row[Any]) -> RunRecord:
    return RunRecord(
        id=row.id,
        started_at=row.started_at,
        stopped_at=row.stopped_at,
        status=row.status,
        mode=row.mode,
        venue=row.venue,
        version=row.version,
        config_hash=row.config_hash,
        config=dict(row.config),
        bot_name=row.bot_name,
        kind=row.kind,
        start_balances=dict(row.start_balances) if row.start_balances is not None else None,
        markets=dict(row.markets) if row.markets is not None else None,
    )


def intent_values(run_id: int, intent: OrderIntent) -> dict[str, Any]:
    return {
        "intent_id": intent.intent_id,
        "run_id": run_id,
        "strategy": intent.strategy,
        "symbol": intent.symbol,
        "side": intent.side.value,
        "kind": intent.kind.value,
        "order_type": intent.order_type.value,
        "reference_price": intent.reference_price,
        "limit_price": intent.limit_price,
        "stop_price": intent.stop_price,
        "quantity": intent.quantity,
        "reason": intent.reason,
        "created_at": intent.created_at,
    }


def intent(row: IntentRow | Row[Any]) -> OrderIntent:
    return OrderIntent(
        intent_id=row.intent_id,
        strategy=row.strategy,
        symbol=row.symbol,
        side=Side(row.side),
        kind=IntentKind(row.kind),
        order_type=OrderType(row.order_type),
        reference_price=row.reference_price,
        created_at=row.created_at,
        reason=row.reason,
        limit_price=row.limit_price,
        stop_price=row.stop_price,
        quantity=row.quantity,
    )


def decision_values(seq: int, decision: RiskDecision) -> dict[str, Any]:
    return {
        "intent_id": decision.intent_id,
        "seq": seq,
        "guard": decision.guard,
        "verdict": decision.verdict.value,
        "reason": decision.reason,
        "detail": decision.detail,
        "quantity_before": decision.quantity_before,
        "quantity_after": decision.quantity_after,
        "decided_at": decision.decided_at,
    }


def decision_row(seq: int, decision: RiskDecision) -> RiskDecisionRow:
    return RiskDecisionRow(**decision_values(seq, decision))


def decision(row: RiskDecisionRow | Row[Any]) -> RiskDecision:
    return RiskDecision(
        intent_id=row.intent_id,
        guard=row.guard,
        verdict=Verdict(row.verdict),
        reason=row.reason,
        quantity_before=row.quantity_before,
        quantity_after=row.quantity_after,
        decided_at=row.decided_at,
        detail=row.detail,
    )


def order_values(run_id: int, venue: str, order: Order) -> dict[str, Any]:
    return {
        "client_order_id": order.client_order_id,
        "run_id": run_id,
        "intent_id": order.intent_id,
        "venue": venue,
        "symbol": order.symbol,
        "side": order.side.value,
        "order_type": order.order_type.value,
        "purpose": order.purpose.value,
        "price": order.price,
        "stop_price": order.stop_price,
        "quantity": order.quantity,
        "status": order.status.value,
        "exchange_order_id": order.exchange_order_id,
        "filled_quantity": order.filled_quantity,
        "average_fill_price": order.average_fill_price,
        "created_at": order.created_at,
        "updated_at": order.created_at,
    }


def order(row: OrderRow | Row[Any]) -> Order:
    return Order(
        client_order_id=row.client_order_id,
        intent_id=row.intent_id,
        symbol=row.symbol,
        side=Side(row.side),
        order_type=OrderType(row.order_type),
        purpose=OrderPurpose(row.purpose),
        quantity=row.quantity,
        created_at=row.created_at,
        price=row.price,
        stop_price=row.stop_price,
        status=OrderStatus(row.status),
        exchange_order_id=row.exchange_order_id,
        filled_quantity=row.filled_quantity,
        average_fill_price=row.average_fill_price,
    )


def event_values(event: OrderEvent) -> dict[str, Any]:
    return {
        "client_order_id": event.client_order_id,
        "status": event.status.value,
        "detail": event.detail,
        "exchange_order_id": event.exchange_order_id,
        "occurred_at": event.occurred_at,
    }


def event_row(event: OrderEvent) -> OrderEventRow:
    return OrderEventRow(**event_values(event))


def event(row: OrderEventRow | Row[Any]) -> OrderEvent:
    return OrderEvent(
        client_order_id=row.client_order_id,
        status=OrderStatus(row.status),
        occurred_at=row.occurred_at,
        detail=row.detail,
        exchange_order_id=row.exchange_order_id,
    )


def fill_values(fill: Fill) -> dict[str, Any]:
    return {
        "venue": fill.venue,
        "trade_id": fill.trade_id,
        "client_order_id": fill.client_order_id,
        "symbol": fill.symbol,
        "side": fill.side.value,
        "price": fill.price,
        "quantity": fill.quantity,
        "fee": fill.fee,
        "fee_currency": fill.fee_currency,
        "liquidity": fill.liquidity.value,
        "occurred_at": fill.occurred_at,
        "exchange_order_id": fill.exchange_order_id,
    }


def fill(row: FillRow | Row[Any]) -> Fill:
    return Fill(
        venue=row.venue,
        trade_id=row.trade_id,
        client_order_id=row.client_order_id,
        symbol=row.symbol,
        side=Side(row.side),
        price=row.price,
        quantity=row.quantity,
        fee=row.fee,
        fee_currency=row.fee_currency,
        liquidity=Liquidity(row.liquidity),
        occurred_at=row.occurred_at,
        exchange_order_id=row.exchange_order_id,
    )


def snapshot_values(run_id: int, snapshot: EquitySnapshot) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "taken_at": snapshot.taken_at,
        "equity": snapshot.equity,
        "cash": snapshot.cash,
        "positions_value": snapshot.positions_value,
        "peak_equity": snapshot.peak_equity,
        "marks": {symbol: str(price) for symbol, price in snapshot.marks.items()} or None,
    }


def snapshot_row(run_id: int, snapshot: EquitySnapshot) -> EquitySnapshotRow:
    return EquitySnapshotRow(**snapshot_values(run_id, snapshot))


def snapshot(row: EquitySnapshotRow | Row[Any]) -> EquitySnapshot:
    return EquitySnapshot(
        taken_at=row.taken_at,
        equity=row.equity,
        cash=row.cash,
        positions_value=row.positions_value,
        peak_equity=row.peak_equity,
        marks={symbol: Decimal(price) for symbol, price in (row.marks or {}).items()},
    )


def trading_state_event(row: TradingStateEventRow | Row[Any]) -> TradingStateEvent:
    return TradingStateEvent(
        id=row.id,
        bot_name=row.bot_name,
        run_id=row.run_id,
        state=TradingState(row.state),
        reason=row.reason,
        actor=row.actor,
        flatten=row.flatten,
        occurred_at=row.occurred_at,
    )
