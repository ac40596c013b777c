"""Defects 8 and 9: the report of a live run. A restarted run carries the bot's position and starts from the
venue's balances; a run killed between an equity snapshot and a fill still adds up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.adapters.audit import SqlAuditStore, upgrade
from bot.app.bootstrap import finish_app
from bot.app.reporting import build_report
from bot.core.ports import RunInfo
from bot.domain import (
    EquitySnapshot,
    Fill,
    Liquidity,
    Order,
    OrderPurpose,
    OrderType,
    Side,
    client_order_id_for,
)
from tests.exchange.live import last_close, live_settings, start
from tests.fake_exchange.fixture import FakeExchange


def venue_total(fake: FakeExchange, asset: str) -> Decimal:
    balance = fake.state()["balances"][asset]
    return Decimal(balance["free"]) + Decimal(balance["locked"])


def test_the_report_of_a_restarted_live_run_carries_the_position_and_the_venue_balances(
    tmp_path: Path, db_url: str, fake_exchange: FakeExchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = live_settings(tmp_path, db_url, fake_exchange, monkeypatch)
    first = start(path)
    first.engine.tick(last_close())
    finish_app(first, "stopped")
    held, cash = venue_total(fake_exchange, "BTC"), venue_total(fake_exchange, "USDT")

    second = start(path)  # a restart: nothing new is bought, the position is carried
    second.engine.tick(last_close())
    report = finish_app(second, "stopped")

    assert report.open_positions["BTC/USDT"].quantity == held
    assert report.carried_positions["BTC/USDT"].quantity == held
    assert report.balances == {"BTC": held, "USDT": cash}, "the venue's, not the paper starting balance"
    position_value = held * Decimal(60000)
    assert abs(report.unrealized_pnl) < position_value / 100, "not the whole position as profit"
    change = report.final_equity - report.starting_equity
    assert (
        change == report.realized_pnl + report.unrealized_pnl - report.starting_unrealized_pnl - report.fees
    )


def test_a_run_killed_after_a_fill_and_before_the_next_snapshot_still_adds_up(db_url: str) -> None:
    t0, price, ten_k, zero = datetime(2026, 12, 1, tzinfo=UTC), Decimal(60000), Decimal(10000), Decimal(0)
    intent = "ab" * 12
    cid = client_order_id_for(intent, OrderPurpose.ENTRY)
    entry = Order(cid, intent, "BTC/USDT", Side.BUY, OrderType.LIMIT, OrderPurpose.ENTRY, Decimal("0.05"), t0,
                  price=price)  # fmt: skip
    fill = Fill("binance", "7", cid, "BTC/USDT", Side.BUY, price, Decimal("0.05"), Decimal("0.00005"), "BTC",
                Liquidity.TAKER, t0 + timedelta(seconds=5))  # fmt: skip
    upgrade(db_url)
    with SqlAuditStore(db_url, venue="binance") as store:
        run_id = store.start_run(RunInfo(t0, "live", "binance", "t", "h", {}, bot_name="b"))
        store.describe_run(run_id, start_balances={"USDT": "10000"}, markets={})
        store.record_equity(run_id, EquitySnapshot(t0, ten_k, ten_k, zero, ten_k, {}))
        store.save_new_order(run_id, entry)
        store.record_fill(fill)  # ...and the process was killed: no snapshot after the fill
        report = build_report(store, run_id)

    assert report.final_equity == ten_k - fill.fee * price, "the cash paid, the coins held at their price"
    identity = report.starting_equity + report.realized_pnl + report.unrealized_pnl - report.fees
    assert report.final_equity == identity
    assert report.open_positions["BTC/USDT"].quantity == Decimal("0.04995")
