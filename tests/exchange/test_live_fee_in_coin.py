"""Defect 1: a buy whose fee is taken in the coin. The venue holds less than was bought; the stop, the
exit, the books and the report must use what it really holds (DESIGN invariants 3 and 11)."""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal
from pathlib import Path

import pytest

from bot.app.bootstrap import finish_app
from bot.domain import OrderPurpose, OrderStatus
from tests.exchange.live import last_close, live_settings, start
from tests.fake_exchange.fixture import FakeExchange

STEP = Decimal("0.00001")  # BTCUSDT's lot step at the fake, as at Binance


def floor_to_step(quantity: Decimal) -> Decimal:
    return (quantity / STEP).to_integral_value(ROUND_FLOOR) * STEP


def held_btc(fake: FakeExchange) -> Decimal:
    balance = fake.state()["balances"]["BTC"]
    return Decimal(balance["free"]) + Decimal(balance["locked"])


def test_the_stop_after_a_buy_whose_fee_was_taken_in_the_coin_covers_what_the_account_holds(
    tmp_path: Path, db_url: str, fake_exchange: FakeExchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = start(live_settings(tmp_path, db_url, fake_exchange, monkeypatch))
    app.engine.tick(last_close())
    report = finish_app(app, "stopped")

    [entry] = [o for o in app.store.orders() if o.purpose is OrderPurpose.ENTRY]
    [trade] = [t for t in fake_exchange.state()["trades"] if t["isBuyer"]]
    assert trade["commissionAsset"] == "BTC"
    held = held_btc(fake_exchange)
    assert held == entry.quantity - Decimal(trade["commission"]) < entry.quantity

    stops = [o for o in fake_exchange.state()["orders"] if o["type"] == "STOP_LOSS_LIMIT"]
    assert [(o["status"], Decimal(o["origQty"])) for o in stops] == [("NEW", floor_to_step(held))]
    assert not [o for o in app.store.orders() if o.status is OrderStatus.REJECTED], "nothing was refused"
    assert report.open_positions["BTC/USDT"].quantity == held, "the books hold what the account holds"
    assert report.fees == Decimal(trade["commission"]) * Decimal(trade["price"]), "the BTC fee, in USDT"


def test_a_stop_out_sells_what_the_lot_step_allows_and_reports_the_rest_as_dust(
    tmp_path: Path, db_url: str, fake_exchange: FakeExchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = start(live_settings(tmp_path, db_url, fake_exchange, monkeypatch))
    app.engine.tick(last_close())
    held = held_btc(fake_exchange)
    fake_exchange.set_price("BTCUSDT", "58700")  # below the 2 % stop: the STOP_LOSS_LIMIT triggers and fills
    app.engine.monitor()
    report = finish_app(app, "stopped")

    assert held_btc(fake_exchange) == held - floor_to_step(held) > 0, "only the dust is left at the venue"
    [closed] = report.trades
    assert closed.quantity == held
    assert report.open_positions == {}, "dust is not a position"
    assert report.dust == {"BTC/USDT": held - floor_to_step(held)}
    sells = [o for o in app.store.orders() if o.side.value == "sell"]
    assert [o.status for o in sells] == [OrderStatus.FILLED], "one stop, filled; no exit chasing the dust"
    change = report.final_equity - report.starting_equity
    assert change == report.realized_pnl + report.unrealized_pnl - report.fees
