"""Builders for the tax export tests: fills written by hand, runs recorded in an audit DB as the daemon
records them (run, intent, order, fill), the ``spotbot`` command in a subprocess, and its CSV read back."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from bot.adapters.audit import SqlAuditStore, upgrade
from bot.core.ports import RunInfo
from bot.domain import (
    Fill,
    IntentKind,
    Liquidity,
    Order,
    OrderIntent,
    OrderPurpose,
    OrderStatus,
    OrderType,
    Side,
)

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2023, 1, 1, tzinfo=UTC)


def day(n: float) -> datetime:
    """``n`` days after 2023-01-01 00:00 UTC."""
    return T0 + timedelta(days=n)


def fill(
    side: str,
    quantity: str,
    price: str,
    at: datetime,
    *,
    fee: str = "0",
    fee_currency: str = "USDT",
    symbol: str = "BTC/USDT",
    venue: str = "binance",
    trade_id: str | None = None,
) -> Fill:
    trade = trade_id or f"{side}-{at:%Y%m%d%H%M%S}-{symbol.replace('/', '')}"
    return Fill(
        venue=venue,
        trade_id=trade,
        client_order_id=f"sb-{venue}-{trade}",
        symbol=symbol,
        side=Side(side),
        price=Decimal(price),
        quantity=Decimal(quantity),
        fee=Decimal(fee),
        fee_currency=fee_currency,
        liquidity=Liquidity.TAKER,
        occurred_at=at,
    )


def buy(quantity: str, price: str, at: datetime, **changes: str) -> Fill:
    return fill("buy", quantity, price, at, **changes)


def sell(quantity: str, price: str, at: datetime, **changes: str) -> Fill:
    return fill("sell", quantity, price, at, **changes)


def record_run(
    url: str,
    fills: Sequence[Fill],
    *,
    bot: str,
    venue: str = "binance",
    mode: str = "live",
    kind: str = "daemon",
) -> int:
    """A finished run of ``bot`` on ``venue`` whose orders filled as ``fills``; returns its id."""
    upgrade(url)
    started = min((f.occurred_at for f in fills), default=T0)
    with SqlAuditStore(url, venue=venue) as store:
        config = {"bot": {"name": bot, "quote_currency": "USDT"}}
        run_id = store.start_run(RunInfo(started, mode, venue, "0.1.0", "h", config, bot_name=bot, kind=kind))
        for item in fills:
            intent = OrderIntent(
                intent_id=f"intent-{item.client_order_id}",
                strategy="by_hand",
                symbol=item.symbol,
                side=item.side,
                kind=IntentKind.ENTRY if item.side is Side.BUY else IntentKind.EXIT,
                order_type=OrderType.MARKET,
                reference_price=item.price,
                created_at=item.occurred_at,
                reason="test",
            )
            store.record_intent(run_id, intent, [])
            order = Order(
                client_order_id=item.client_order_id,
                intent_id=intent.intent_id,
                symbol=item.symbol,
                side=item.side,
                order_type=OrderType.MARKET,
                purpose=OrderPurpose.ENTRY if item.side is Side.BUY else OrderPurpose.EXIT,
                quantity=item.quantity,
                created_at=item.occurred_at,
                status=OrderStatus.PENDING,
            )
            store.save_new_order(run_id, order)
            store.record_fill(item)
        store.finish_run(run_id, max((f.occurred_at for f in fills), default=started), "completed")
    return run_id


def spotbot(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m bot ARGS`` of this checkout, in ``cwd`` (no config/paper.toml there: the built-in one)."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200", **(env or {})},
    )


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def decimals(rows: Sequence[dict[str, str]], column: str) -> list[Decimal]:
    return [Decimal(row[column]) for row in rows]
