"""Reconciling fills (adopted once, across restarts) and balances against the positions fills give."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from bot.adapters.audit import SqlAuditStore
from bot.core.reconcile import MismatchKind, compare_holdings, stored_trade_cursors
from bot.domain import Balance, Fill, Liquidity, OrderStatus, Side, TradingState
from tests.fake_exchange.fixture import FakeExchange
from tests.reconcile.helpers import NOW, SYMBOL, VENUE, Bot, buy


def test_a_fill_the_db_missed_is_adopted_once_however_often_reconcile_runs(
    fake_exchange: FakeExchange, store: SqlAuditStore, restart: Callable[[], Bot]
) -> None:
    order = buy("missed-fill", price="60100.00")
    restart().gateway.send(order)  # acknowledged, filled at once; the bot died before polling
    assert store.fills() == []

    bot = restart()
    first = bot.reconciler.reconcile()
    second = bot.reconciler.reconcile()
    after_restart = restart().reconciler.reconcile()

    assert first.adopted_fill_count == 1 and first.adopted_fills[0].client_order_id == order.client_order_id
    assert (second.adopted_fill_count, after_restart.adopted_fill_count) == (0, 0)
    [fill] = store.fills()
    assert fill.quantity == order.quantity and fill.venue == VENUE
    assert {str(t["id"]) for t in fake_exchange.state()["trades"]} == {fill.trade_id}
    assert store.get_order(order.client_order_id).status is OrderStatus.FILLED  # type: ignore[union-attr]
    assert after_restart.recommended_state is TradingState.ACTIVE


def test_a_restarted_broker_reads_trades_after_the_last_stored_one(
    fake_exchange: FakeExchange, store: SqlAuditStore, restart: Callable[[], Bot]
) -> None:
    restart().gateway.send(buy("first", price="60100.00"))
    restart().reconciler.reconcile()
    [stored] = store.fills()
    assert stored_trade_cursors(store.fills(), VENUE) == {SYMBOL: int(stored.trade_id)}
    fake_exchange.clear_log()

    restart().reconciler.reconcile()

    reads = [r["params"] for r in fake_exchange.log(path="/api/v3/myTrades")]
    assert reads and all(r.get("fromId") == str(int(stored.trade_id) + 1) for r in reads)


def test_a_balance_below_the_bot_position_recommends_halted(
    fake_exchange: FakeExchange, store: SqlAuditStore, restart: Callable[[], Bot]
) -> None:
    restart().gateway.send(buy("held", quantity="0.002", price="60100.00"))
    assert restart().reconciler.reconcile().recommended_state is TradingState.ACTIVE
    fake_exchange.set_balance("BTC", "0.001")  # half of it went elsewhere (a manual sale, a withdrawal)

    report = restart().reconciler.reconcile()

    assert report.complete
    [mismatch] = report.mismatches
    assert (mismatch.asset, mismatch.kind) == ("BTC", MismatchKind.VENUE_SHORT)
    held = Decimal("0.002") - Decimal("0.000002")  # the buy's fee came out of the coin bought
    assert (mismatch.bot_quantity, mismatch.venue_quantity) == (held, Decimal("0.001"))
    assert mismatch.tolerance == Decimal("0.00001")  # one lot step of BTC/USDT
    assert report.recommended_state is TradingState.HALTED
    assert report.trading_status().reason == "reconcile_venue_short"
    assert [f.quantity for f in store.fills()] == [Decimal("0.002")]  # nothing "fixed"


def test_foreign_funds_at_the_venue_recommend_reducing(
    fake_exchange: FakeExchange, restart: Callable[[], Bot]
) -> None:
    fake_exchange.set_balance("BTC", "0.5")

    report = restart().reconciler.reconcile()

    [mismatch] = report.mismatches
    assert (mismatch.kind, mismatch.bot_quantity, mismatch.venue_quantity) == (
        MismatchKind.VENUE_EXCESS,
        Decimal(0),
        Decimal("0.5"),
    )
    assert report.recommended_state is TradingState.REDUCING


def test_a_resting_sell_still_counts_as_held(fake_exchange: FakeExchange, restart: Callable[[], Bot]) -> None:
    bot = restart()
    bot.gateway.send(buy("to-sell", quantity="0.002", price="60100.00"))
    bot.reconciler.reconcile()
    sell = replace(buy("sell-later", quantity="0.002", price="61000.00"), side=Side.SELL)
    bot.gateway.send(sell)  # locks the BTC: free 0, locked 0.002

    report = restart().reconciler.reconcile()

    assert report.mismatches == () and report.recommended_state is TradingState.ACTIVE


def fill(trade_id: str, side: Side, quantity: str, fee: str, fee_currency: str) -> Fill:
    return Fill(
        venue=VENUE,
        trade_id=trade_id,
        client_order_id="sbx",
        symbol=SYMBOL,
        side=side,
        price=Decimal(60000),
        quantity=Decimal(quantity),
        fee=Decimal(fee),
        fee_currency=fee_currency,
        liquidity=Liquidity.TAKER,
        occurred_at=NOW + timedelta(seconds=int(trade_id)),
    )


def compare(fills: list[Fill], btc: str) -> list[MismatchKind]:
    balances = {"BTC": Balance("BTC", Decimal(btc))}
    found = compare_holdings(
        fills, balances, venue=VENUE, symbols=[SYMBOL], step_for=lambda _: Decimal("0.00001")
    )
    return [m.kind for m in found]


def test_fees_taken_in_the_base_asset_are_not_a_mismatch() -> None:
    bought = [fill("1", Side.BUY, "0.002", "0.000002", "BTC")]
    assert compare(bought, "0.001998") == []
    assert compare(bought, "0.00197") == [MismatchKind.VENUE_SHORT]
    assert compare(bought, "0.00201") == [MismatchKind.VENUE_EXCESS]


def test_fills_that_sell_more_than_they_bought_recommend_halted() -> None:
    fills = [fill("1", Side.BUY, "0.001", "0", "USDT"), fill("2", Side.SELL, "0.002", "0", "USDT")]
    assert compare(fills, "0") == [MismatchKind.FILLS_INCONSISTENT]


def test_trade_cursors_come_from_the_highest_numeric_trade_id_per_symbol_of_the_venue() -> None:
    fills = [
        fill("7", Side.BUY, "1", "0", "USDT"),
        fill("12", Side.SELL, "1", "0", "USDT"),
        replace(fill("99", Side.BUY, "1", "0", "USDT"), venue="other"),
        replace(fill("3", Side.BUY, "1", "0", "USDT"), symbol="ETH/USDT"),
        replace(fill("5", Side.BUY, "1", "0", "USDT"), trade_id="paper-r1-5"),
    ]
    assert stored_trade_cursors(fills, VENUE) == {SYMBOL: 12, "ETH/USDT": 3}
