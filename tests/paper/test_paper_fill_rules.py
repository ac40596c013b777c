"""Each fill rule of the paper broker, on hand-made candles (see bot/adapters/paper/fill_rules.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bot.domain import Liquidity, OrderStatus, OrderType, Side

BUY, SELL = Side.BUY, Side.SELL
LIMIT, MARKET = OrderType.LIMIT, OrderType.MARKET
STOP_MARKET, STOP_LIMIT = OrderType.STOP_MARKET, OrderType.STOP_LIMIT
QUIET = (100.0, 100.5, 99.5, 100.0)
ONE_BTC = {"USDT": "10000", "BTC": "1"}
World = Any


# --- market orders ---------------------------------------------------------------------------


def test_market_buy_fills_at_the_next_open_plus_slippage_rounded_up_as_taker(make_world: World) -> None:
    world = make_world([QUIET, (100.005, 101, 99, 100)], slippage_bps="10")
    acknowledged = world.place(BUY, MARKET, "1")
    assert acknowledged.status is OrderStatus.OPEN
    assert acknowledged.exchange_order_id == "paper-o-1"

    update = world.poll(1)
    (fill,) = update.fills
    assert fill.price == Decimal("100.11")  # 100.005 * 1.001 = 100.105005, rounded up to the tick
    assert fill.liquidity is Liquidity.TAKER
    assert fill.fee == Decimal("100.11") * Decimal("0.002")
    assert fill.fee_currency == "USDT"
    assert fill.occurred_at == world.time(1)
    assert (fill.venue, fill.trade_id) == ("paper", "paper-1")
    assert world.balance("USDT").free == Decimal(10000) - Decimal("100.11") * Decimal("1.002")
    assert world.balance("BTC").free == Decimal(1)
    (order,) = update.orders
    assert (order.status, order.filled_quantity, order.average_fill_price) == (
        OrderStatus.FILLED,
        Decimal(1),
        Decimal("100.11"),
    )


def test_market_sell_gets_less_rounded_down(make_world: World) -> None:
    world = make_world([QUIET, (100.005, 101, 99, 100)], balances=ONE_BTC, slippage_bps="10")
    world.place(SELL, MARKET, "1")
    (fill,) = world.poll(1).fills
    assert fill.price == Decimal("99.90")  # 100.005 * 0.999 = 99.904995, rounded down
    assert world.balance("USDT").free == Decimal(10000) + Decimal("99.90") * Decimal("0.998")
    assert world.balance("BTC").total == 0


def test_without_slippage_the_open_is_still_rounded_against_us(make_world: World) -> None:
    world = make_world([QUIET, (100.005, 101, 99, 100)], balances=ONE_BTC)
    world.place(BUY, MARKET, "0.5")
    world.place(SELL, MARKET, "0.5")
    buy, sell = world.poll(1).fills
    assert (buy.price, sell.price) == (Decimal("100.01"), Decimal("100"))


def test_market_fill_is_visible_at_once_but_reported_by_the_next_poll_only_once(make_world: World) -> None:
    world = make_world([QUIET, QUIET])
    world.place(BUY, MARKET, "1", client_order_id="m1")
    assert world.broker.fetch_order("BTC/USDT", "m1").status is OrderStatus.FILLED
    assert world.broker.open_orders() == []
    assert len(world.poll(1).fills) == 1
    assert world.poll(2).fills == ()


# --- limit orders ----------------------------------------------------------------------------


def test_a_touch_does_not_fill_a_resting_buy_limit_but_a_trade_through_does(make_world: World) -> None:
    touch = (100.0, 100.5, 99.0, 100.0)
    through = (100.0, 100.5, 98.99, 99.5)
    world = make_world([QUIET, touch, through])
    world.place(BUY, LIMIT, "1", "99", client_order_id="b1")

    assert world.poll(2).fills == ()
    assert world.broker.fetch_order("BTC/USDT", "b1").status is OrderStatus.OPEN

    (fill,) = world.poll(3).fills
    assert (fill.price, fill.liquidity) == (Decimal(99), Liquidity.MAKER)
    assert fill.fee == Decimal("0.099")
    assert fill.occurred_at == world.time(3)  # reported at the close of the candle that traded through


def test_a_sell_limit_fills_only_when_the_high_trades_through(make_world: World) -> None:
    world = make_world([QUIET, (100, 101.0, 99.5, 100), (100, 101.01, 99.5, 101)], balances=ONE_BTC)
    world.place(SELL, LIMIT, "1", "101")
    assert world.poll(2).fills == ()
    (fill,) = world.poll(3).fills
    assert (fill.price, fill.liquidity, fill.fee) == (Decimal(101), Liquidity.MAKER, Decimal("0.101"))


def test_a_resting_limit_gapped_through_fills_at_its_limit_not_the_better_open(make_world: World) -> None:
    world = make_world([QUIET, QUIET, (97.0, 97.5, 96.0, 97.0)])
    world.place(BUY, LIMIT, "1", "99")
    (fill,) = world.poll(3).fills
    assert (fill.price, fill.liquidity) == (Decimal(99), Liquidity.MAKER)


def test_a_limit_marketable_on_arrival_fills_at_the_current_price_as_taker(make_world: World) -> None:
    world = make_world([QUIET, (100.0, 100.5, 99.5, 100.0)], balances=ONE_BTC, slippage_bps="50")
    world.place(BUY, LIMIT, "0.2", "101")  # 100 * 1.005 = 100.5, under the limit
    world.place(BUY, LIMIT, "0.2", "100.2")  # 100.5 would break the limit: capped at it
    world.place(SELL, LIMIT, "0.2", "99")  # 100 * 0.995 = 99.5, above the limit
    fills = world.poll(1).fills
    assert [f.price for f in fills] == [Decimal("100.5"), Decimal("100.2"), Decimal("99.5")]
    assert all(f.liquidity is Liquidity.TAKER for f in fills)
    assert fills[0].fee == Decimal("100.5") * Decimal("0.2") * Decimal("0.002")


def test_no_fill_on_the_candle_the_strategy_just_saw(make_world: World) -> None:
    dip = (100.0, 100.0, 90.0, 100.0)
    world = make_world([dip, QUIET, QUIET])
    world.place(BUY, LIMIT, "1", "95")  # at minute 1, after candle 0 (which dipped to 90) closed
    assert world.poll(3).fills == ()


def test_an_order_placed_mid_candle_waits_for_the_next_candle(make_world: World) -> None:
    through = (100.0, 100.5, 98.0, 99.0)
    world = make_world([QUIET, QUIET, through, through])
    world.at(1.5)
    world.place(BUY, LIMIT, "1", "99")  # current price is candle 2's open (100): rests
    update = world.poll(3)
    (fill,) = update.fills
    assert fill.occurred_at == world.time(3)


def test_a_poll_only_matches_candles_closed_by_then(make_world: World) -> None:
    world = make_world([QUIET, QUIET, (100.0, 100.5, 98.0, 99.0)])
    world.place(BUY, LIMIT, "1", "99")
    assert world.poll(2.99).fills == ()
    assert len(world.poll(3).fills) == 1


# --- stops -----------------------------------------------------------------------------------


def test_a_stop_market_fills_at_its_stop_when_the_low_reaches_it(make_world: World) -> None:
    world = make_world([QUIET, (100, 100, 96, 97), (99, 99, 94, 95)], balances=ONE_BTC, slippage_bps="10")
    world.place(SELL, STOP_MARKET, "1", stop="95")
    assert world.poll(2).fills == ()
    (fill,) = world.poll(3).fills
    assert fill.price == Decimal("94.90")  # 95 * 0.999 = 94.905, rounded down
    assert fill.liquidity is Liquidity.TAKER


def test_a_stop_is_triggered_by_a_touch(make_world: World) -> None:
    world = make_world([QUIET, (100, 100, 95.0, 97)], balances=ONE_BTC)
    world.place(SELL, STOP_MARKET, "1", stop="95")
    (fill,) = world.poll(2).fills
    assert fill.price == Decimal(95)


def test_a_stop_gapped_through_fills_at_the_open(make_world: World) -> None:
    world = make_world([QUIET, QUIET, (93.0, 94.0, 92.0, 93.5)], balances=ONE_BTC)
    world.place(SELL, STOP_MARKET, "1", stop="95")
    (fill,) = world.poll(3).fills
    assert fill.price == Decimal(93)


def test_a_stop_limit_fills_at_the_stop_when_its_limit_allows(make_world: World) -> None:
    world = make_world([QUIET, (99, 99, 94, 95)], balances=ONE_BTC)
    world.place(SELL, STOP_LIMIT, "1", "94.5", stop="95")
    (fill,) = world.poll(2).fills
    assert (fill.price, fill.liquidity) == (Decimal(95), Liquidity.TAKER)


def test_a_stop_limit_gapped_between_stop_and_limit_fills_at_the_open(make_world: World) -> None:
    world = make_world([QUIET, QUIET, (94.8, 95, 93, 94)], balances=ONE_BTC)
    world.place(SELL, STOP_LIMIT, "1", "94.5", stop="95")
    (fill,) = world.poll(3).fills
    assert fill.price == Decimal("94.8")


def test_a_stop_limit_gapped_below_its_limit_rests_until_traded_through(make_world: World) -> None:
    gap_down = (94.0, 94.4, 93.0, 94.0)
    touch = (94.0, 94.5, 93.5, 94.2)
    through = (94.0, 94.6, 93.5, 94.5)
    world = make_world([QUIET, QUIET, gap_down, touch, through], balances=ONE_BTC)
    world.place(SELL, STOP_LIMIT, "1", "94.5", stop="95", client_order_id="sl")
    assert world.poll(4).fills == ()
    assert world.broker.fetch_order("BTC/USDT", "sl").status is OrderStatus.OPEN
    (fill,) = world.poll(5).fills
    assert (fill.price, fill.liquidity) == (Decimal("94.5"), Liquidity.MAKER)


def test_a_stop_limit_gapped_below_its_limit_fills_in_the_same_candle_if_it_recovers(
    make_world: World,
) -> None:
    gap_down_then_rally = (94.0, 96.0, 93.0, 95.5)
    world = make_world([QUIET, QUIET, gap_down_then_rally], balances=ONE_BTC)
    world.place(SELL, STOP_LIMIT, "1", "94.5", stop="95")
    (fill,) = world.poll(3).fills
    assert (fill.price, fill.liquidity) == (Decimal("94.5"), Liquidity.MAKER)


def test_a_stop_limit_hit_mid_candle_does_not_fill_on_a_high_that_may_have_come_first(
    make_world: World,
) -> None:
    # stop 95 with its limit above it: the high of 97 may have printed before the drop to 95
    world = make_world([QUIET, QUIET, (96.0, 97.0, 94.0, 95.0), (95.0, 96.5, 94.5, 96.0)], balances=ONE_BTC)
    world.place(SELL, STOP_LIMIT, "1", "96", stop="95")
    assert world.poll(3).fills == ()
    (fill,) = world.poll(4).fills
    assert (fill.price, fill.liquidity) == (Decimal(96), Liquidity.MAKER)


def test_when_stop_and_take_profit_both_fill_in_one_candle_the_stop_comes_first(make_world: World) -> None:
    world = make_world([QUIET, (100, 106, 94, 100)], balances={"USDT": "0", "BTC": "2"})
    world.place(SELL, LIMIT, "1", "105", client_order_id="tp")
    world.place(SELL, STOP_MARKET, "1", stop="95", client_order_id="stop")
    fills = world.poll(2).fills
    assert [f.client_order_id for f in fills] == ["stop", "tp"]


def test_a_stop_placed_after_the_entry_fill_ignores_the_entry_candle(make_world: World) -> None:
    crash = (100.0, 100.0, 94.0, 96.0)  # fills the entry at 99, and goes below the stop
    world = make_world([QUIET, crash, (96.0, 97.0, 95.5, 96.5)])
    world.place(BUY, LIMIT, "1", "99")
    assert len(world.poll(2).fills) == 1
    world.place(SELL, STOP_MARKET, "1", stop="95")  # placed at the entry candle's close
    assert world.poll(3).fills == ()


def test_a_stop_resting_before_the_entry_candle_can_trigger_in_it(make_world: World) -> None:
    crash = (100.0, 100.0, 94.0, 96.0)
    world = make_world([QUIET, crash], balances=ONE_BTC)
    world.place(BUY, LIMIT, "1", "99", client_order_id="entry")
    world.place(SELL, STOP_MARKET, "1", stop="95", client_order_id="old-stop")
    fills = world.poll(2).fills
    assert [f.client_order_id for f in fills] == ["old-stop", "entry"]
