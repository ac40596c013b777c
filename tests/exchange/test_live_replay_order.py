"""Defect 7, its aftermath: two daemons once traded one account, and each sold what the other had bought.
A restart replays the bot's fills in the venue's time order, not run by run, so it starts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.adapters.audit import SqlAuditStore, upgrade
from bot.core.ports import RunInfo
from bot.domain import Fill, Liquidity, Order, OrderPurpose, OrderStatus, OrderType, Side, client_order_id_for
from tests.exchange.live import last_close, live_settings, start
from tests.fake_exchange.fixture import FakeExchange

T1 = datetime.now(UTC) - timedelta(hours=2)


def record(store: SqlAuditStore, run_id: int, side: Side, at: datetime, trade_id: str) -> None:
    intent = f"{int(trade_id):024x}"
    purpose = OrderPurpose.ENTRY if side is Side.BUY else OrderPurpose.EXIT
    cid = client_order_id_for(intent, purpose)
    order = Order(cid, intent, "BTC/USDT", side, OrderType.LIMIT, purpose, Decimal("0.01"), at,
                  price=Decimal(60000), status=OrderStatus.PENDING)  # fmt: skip
    store.save_new_order(run_id, order)
    fee, currency = (Decimal("0.00001"), "BTC") if side is Side.BUY else (Decimal("0.6"), "USDT")
    quantity = Decimal("0.01") if side is Side.BUY else Decimal("0.00999")
    price, taker = Decimal(60000), Liquidity.TAKER
    fill = Fill("binance", trade_id, cid, "BTC/USDT", side, price, quantity, fee, currency, taker, at,
                exchange_order_id=trade_id)  # fmt: skip
    store.record_fill(fill)


def test_a_restart_replays_fills_in_venue_time_order_across_runs(
    tmp_path: Path, db_url: str, fake_exchange: FakeExchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    upgrade(db_url)
    with SqlAuditStore(db_url, venue="binance") as store:
        info = RunInfo(T1, "live", "binance", "t", "h", {"bot": {"name": "onfake"}}, bot_name="onfake")
        first, second = store.start_run(info), store.start_run(info)
        record(store, second, Side.BUY, T1 + timedelta(minutes=1), "101")  # daemon B bought...
        record(store, first, Side.SELL, T1 + timedelta(minutes=2), "102")  # ...and daemon A sold it
        store.finish_run(first, T1 + timedelta(minutes=3), "stopped")
        store.finish_run(second, T1 + timedelta(minutes=3), "stopped")

    fake_exchange.engine.next_trade_id = 1000  # the venue's trade ids went on growing past those two
    app = start(live_settings(tmp_path, db_url, fake_exchange, monkeypatch))  # used to fail: sell before buy

    app.engine.tick(last_close())
    assert app.engine.status.open_positions == 1, "flat after the history, so it entered again"
