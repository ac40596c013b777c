"""Fixtures for the audit store tests: a migrated store, a run, and builders of domain objects.

Builders are fixtures returning functions (``new_order(client_order_id="c2", quantity=...)``), so
test modules need no helper imports whatever pytest's import mode.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from bot.adapters.audit import SqlAuditStore, make_engine, upgrade
from bot.core.ports import RunInfo
from bot.domain import (
    EquitySnapshot,
    Fill,
    IntentKind,
    Liquidity,
    Order,
    OrderIntent,
    OrderPurpose,
    OrderType,
    RiskDecision,
    Side,
    Verdict,
)

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
VENUE = "binance"


def at(minutes: float) -> datetime:
    """A point in test time, ``minutes`` after T0."""
    return T0 + timedelta(minutes=minutes)


@pytest.fixture
def migrated_url(db_url: str) -> str:
    upgrade(db_url)
    return db_url


@pytest.fixture
def store(migrated_url: str) -> Iterator[SqlAuditStore]:
    with SqlAuditStore(migrated_url, venue=VENUE) as audit_store:
        yield audit_store


@pytest.fixture
def run_info() -> Callable[..., RunInfo]:
    base = RunInfo(
        started_at=T0,
        mode="paper",
        venue=VENUE,
        version="0.1.0",
        config_hash="abc123",
        config={"symbols": ["BTC/USDT"], "risk": {"per_trade": "0.01"}},
        bot_name="spotbot",
    )
    return lambda **changes: dataclasses.replace(base, **changes)


def insert_legacy_run(url: str, config: dict[str, Any]) -> int:
    """A run row as revision 0001 stored it (no later columns): for migration tests of old databases."""
    engine = make_engine(url)
    runs = sa.table(
        "runs", *(sa.column(name) for name in ("id", "started_at", "status", "mode", "venue", "version")),
        sa.column("config_hash"), sa.column("config", sa.JSON()),
    )  # fmt: skip
    try:
        with engine.begin() as connection:
            values = {"started_at": T0, "status": "running", "mode": "live", "venue": VENUE,
                      "version": "0.1.0", "config_hash": "h", "config": config}  # fmt: skip
            return int(connection.execute(sa.insert(runs).values(**values).returning(runs.c.id)).scalar_one())
    finally:
        engine.dispose()


@pytest.fixture
def run_id(store: SqlAuditStore, run_info: Callable[..., RunInfo]) -> int:
    return store.start_run(run_info())


@pytest.fixture
def new_intent() -> Callable[..., OrderIntent]:
    def build(intent_id: str = "intent-1", **changes: Any) -> OrderIntent:
        base = OrderIntent(
            intent_id=intent_id,
            strategy="sma_cross",
            symbol="BTC/USDT",
            side=Side.BUY,
            kind=IntentKind.ENTRY,
            order_type=OrderType.LIMIT,
            reference_price=Decimal("42000.5"),
            created_at=T0,
            reason="fast sma crossed above slow",
            limit_price=Decimal("41990"),
            stop_price=Decimal("40000"),
        )
        return dataclasses.replace(base, **changes)

    return build


@pytest.fixture
def new_decision() -> Callable[..., RiskDecision]:
    def build(intent_id: str, guard: str, **changes: Any) -> RiskDecision:
        base = RiskDecision(
            intent_id=intent_id,
            guard=guard,
            verdict=Verdict.APPROVED,
            reason="ok",
            quantity_before=Decimal("0.5"),
            quantity_after=Decimal("0.5"),
            decided_at=T0,
        )
        return dataclasses.replace(base, **changes)

    return build


@pytest.fixture
def new_order() -> Callable[..., Order]:
    def build(client_order_id: str = "sbintent-1e0", **changes: Any) -> Order:
        base = Order(
            client_order_id=client_order_id,
            intent_id="intent-1",
            symbol="BTC/USDT",
            side=Side.BUY,
            order_type=OrderType.LIMIT,
            purpose=OrderPurpose.ENTRY,
            quantity=Decimal("0.25"),
            created_at=T0,
            price=Decimal("41990"),
        )
        return dataclasses.replace(base, **changes)

    return build


@pytest.fixture
def new_fill() -> Callable[..., Fill]:
    def build(trade_id: str = "trade-1", client_order_id: str = "sbintent-1e0", **changes: Any) -> Fill:
        base = Fill(
            venue=VENUE,
            trade_id=trade_id,
            client_order_id=client_order_id,
            symbol="BTC/USDT",
            side=Side.BUY,
            price=Decimal("41990"),
            quantity=Decimal("0.1"),
            fee=Decimal("0.0001"),
            fee_currency="BTC",
            liquidity=Liquidity.MAKER,
            occurred_at=at(1),
        )
        return dataclasses.replace(base, **changes)

    return build


@pytest.fixture
def new_snapshot() -> Callable[..., EquitySnapshot]:
    def build(**changes: Any) -> EquitySnapshot:
        base = EquitySnapshot(
            taken_at=T0,
            equity=Decimal("10000"),
            cash=Decimal("7500"),
            positions_value=Decimal("2500"),
            peak_equity=Decimal("10200"),
        )
        return dataclasses.replace(base, **changes)

    return build
