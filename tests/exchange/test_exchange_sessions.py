"""Paper and live sessions on the fake Binance through the real ccxt client: the whole engine, restarts."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import ccxt
import pytest

from bot.app.bootstrap import build_app, finish_app
from bot.app.daemon import WallClockDaemon
from bot.app.settings import load_settings
from bot.domain import OrderPurpose, OrderStatus
from tests.exchange.live import EnterWhenFlat, config, last_close, live_settings, prepare, start
from tests.fake_exchange.fixture import API_KEY, API_SECRET, FakeExchange


def test_paper_on_exchange_data_trades_and_resumes_after_a_restart_with_the_same_balances(
    tmp_path: Path, db_url: str, fake_exchange: FakeExchange
) -> None:
    prepare(fake_exchange)
    fake_exchange.set_price("BTCUSDT", "59990")  # best ask 59 993: the entry's 60 000 limit is marketable
    path = config(tmp_path, db_url, fake_exchange.url)
    first = start(path)
    first.engine.tick(last_close())
    balances_before = {c: b.total for c, b in first.broker.balances().items() if b.total}
    report = finish_app(first, "stopped")
    assert report.open_positions, "the entry filled against the exchange's prices"
    assert balances_before["BTC"] > 0 and balances_before["USDT"] < Decimal(10000)
    assert fake_exchange.state()["orders"] == [], "paper mode never sends an order to the exchange"

    second = start(path)  # a restart: balances and the position come back from the audit DB
    assert {c: b.total for c, b in second.broker.balances().items() if b.total} == balances_before
    second.engine.tick(last_close())  # same candle: the same decision is recognised, not repeated
    orders = second.store.orders()
    assert sum(1 for o in orders if o.purpose is OrderPurpose.ENTRY) == 1
    stops = [o for o in orders if o.purpose is OrderPurpose.STOP]
    assert [o.status for o in stops if o.status is OrderStatus.EXPIRED], "the simulated stop died with run 1"
    assert any(not o.status.is_terminal for o in stops), "the position got its stop back at once"
    finish_app(second, "stopped")


def test_live_on_the_fake_exchange_sends_the_entry_and_a_native_stop(
    tmp_path: Path, db_url: str, fake_exchange: FakeExchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPOTBOT_EXCHANGE__API_KEY", API_KEY)
    monkeypatch.setenv("SPOTBOT_EXCHANGE__API_SECRET", API_SECRET)
    monkeypatch.setenv("SPOTBOT_EXECUTION__STOP_ORDER", "stop_limit")  # Binance spot: STOP_LOSS_LIMIT
    prepare(fake_exchange)
    fake_exchange.set_balance("USDT", "10000")
    app = build_app(
        load_settings(config(tmp_path, db_url, fake_exchange.url, mode="live")), strategies=[EnterWhenFlat()]
    )
    app.engine.tick(last_close())
    finish_app(app, "stopped")
    venue_orders = {o["clientOrderId"]: o for o in fake_exchange.state()["orders"]}
    stored = {o.client_order_id: o for o in app.store.orders()}
    entry = next(o for o in stored.values() if o.purpose is OrderPurpose.ENTRY)
    stop = next(o for o in stored.values() if o.purpose is OrderPurpose.STOP)
    assert entry.client_order_id in venue_orders and stop.client_order_id in venue_orders
    assert venue_orders[stop.client_order_id]["type"] == "STOP_LOSS_LIMIT"
    assert set(venue_orders) <= set(stored), "every order at the exchange was stored first"


def test_a_live_restart_reconciles_and_neither_resends_nor_doubles_the_stop(
    tmp_path: Path, db_url: str, fake_exchange: FakeExchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = live_settings(tmp_path, db_url, fake_exchange, monkeypatch)
    first = start(path)
    first.engine.tick(last_close())  # entry fills, its stop goes to the exchange; then the process "dies"
    second = start(path)
    second.engine.tick(last_close())  # the same candle again after the restart
    second.engine.monitor()
    venue = fake_exchange.state()["orders"]
    assert [o["side"] for o in venue if o["type"] == "LIMIT"] == ["BUY"], "the entry was not sent twice"
    working_stops = [o for o in venue if o["type"] == "STOP_LOSS_LIMIT" and o["status"] == "NEW"]
    assert len(working_stops) == 1, "the stop from before the restart is tracked, not doubled"
    assert second.engine.status.trading_state == "active"


def test_a_live_start_whose_reconciliation_fails_opens_no_new_position(
    tmp_path: Path, db_url: str, fake_exchange: FakeExchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = live_settings(tmp_path, db_url, fake_exchange, monkeypatch)
    fake_exchange.fail("GET", "/api/v3/account", "status", times=4, status=503)  # the start-up reads
    app = start(path)
    app.engine.tick(last_close())
    assert app.engine.status.trading_state == "reducing"
    assert fake_exchange.state()["orders"] == [], "no entry while the account could not be reconciled"
    denied = [d for d in app.store.decisions(app.run_id) if d.reason == "trading_reducing"]
    assert denied, "the entry was decided and denied with its reason"


def test_an_exchange_outage_skips_ticks_quietly_and_trading_resumes_after_it(
    tmp_path: Path, db_url: str, fake_exchange: FakeExchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = start(live_settings(tmp_path, db_url, fake_exchange, monkeypatch))
    fake_exchange.fail("GET", "/api/v3/account", "status", times=4, status=503)  # retried, then given up
    app.engine.tick(last_close())  # no exception: the daemon keeps running
    assert app.engine.status.exchange_ok is False
    assert fake_exchange.state()["orders"] == []
    app.engine.tick(last_close())  # the exchange is back
    assert app.engine.status.exchange_ok is True
    assert [o["side"] for o in fake_exchange.state()["orders"] if o["type"] == "LIMIT"] == ["BUY"]


def test_periodic_reconciliation_lifts_the_reducing_it_imposed_once_the_check_completes(
    tmp_path: Path, db_url: str, fake_exchange: FakeExchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = live_settings(tmp_path, db_url, fake_exchange, monkeypatch)
    fake_exchange.fail("GET", "/api/v3/account", "status", times=4, status=503)
    app = start(path)
    app.engine.tick(last_close())
    assert app.engine.status.trading_state == "reducing"  # start-up reconciliation was incomplete
    assert isinstance(app.daemon, WallClockDaemon)
    app.daemon.reconcile_now()  # the exchange answers again: the check is complete
    app.engine.monitor()
    assert app.engine.status.trading_state == "active"
    assert app.engine.status.reconciliations == {"clean": 1}  # what /metrics counts


def test_periodic_reconciliation_halts_when_the_exchange_holds_less_than_the_bot_thinks(
    tmp_path: Path, db_url: str, fake_exchange: FakeExchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = start(live_settings(tmp_path, db_url, fake_exchange, monkeypatch))
    app.engine.tick(last_close())
    assert app.engine.status.open_positions == 1
    # Someone cancels the stop by hand and the coins leave the account, not through the bot.
    manual = ccxt.binance(fake_exchange.ccxt_config())
    manual.load_markets()
    for order in fake_exchange.state()["orders"]:
        if order["type"] == "STOP_LOSS_LIMIT":
            manual.cancel_order(str(order["orderId"]), "BTC/USDT")
    fake_exchange.set_balance("BTC", "0")
    assert isinstance(app.daemon, WallClockDaemon)
    app.daemon.reconcile_now()
    app.engine.monitor()
    assert app.engine.status.trading_state == "halted"
    assert app.engine.status.reconciliations == {"mismatch": 1}


def test_an_authentication_failure_halts_trading_once_and_says_so(
    tmp_path: Path, db_url: str, fake_exchange: FakeExchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = start(live_settings(tmp_path, db_url, fake_exchange, monkeypatch))
    fake_exchange.fail("GET", "/api/v3/account", "code", times=100, code=-1022, status=400)  # bad signature
    app.engine.tick(last_close())
    app.engine.monitor()
    assert app.engine.status.trading_state == "halted"
    assert fake_exchange.state()["orders"] == [], "nothing is sent once the exchange refuses our keys"
    events = [e for e in app.store.trading_state_events("onfake") if e.reason == "fatal_exchange_error"]
    assert len(events) == 1, "halted once, recorded once"
