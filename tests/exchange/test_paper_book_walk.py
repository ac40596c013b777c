"""Paper mode on a real exchange: PaperBroker on CcxtMarketData fills market orders against the fake
exchange's order book (through the real ccxt client), walking the levels for the size.

The fake's book around a price P (tests/fake_exchange/market_data.py): levels every ``gap`` =
P * 0.00005 (3.00 at 60 000), level ``i`` holding ``i`` × floor(10 000 / P) (0.16666 BTC at 60 000):
asks 60 003 × 0.16666, 60 006 × 0.33332, ...; bids 59 997 × 0.16666, 59 994 × 0.33332, ...
"""

from __future__ import annotations

import time
from datetime import datetime
from decimal import Decimal

import pytest

from bot.adapters.exchange import CcxtMarketData, ExchangeCaller, RetryPolicy, make_client
from bot.adapters.paper import PaperBroker
from bot.core.ports import BookDepth
from bot.domain import InvalidOrder, Liquidity, Order, OrderPurpose, OrderStatus, OrderType, Side
from bot.domain.clock import ms_to_datetime
from tests.fake_exchange.fixture import API_KEY, API_SECRET, FakeExchange

FIRST_ASK, SECOND_ASK = Decimal(60_003), Decimal(60_006)
FIRST_BID, SECOND_BID = Decimal(59_997), Decimal(59_994)
LEVEL_QTY = Decimal("0.16666")


class FixedClock:
    def __init__(self) -> None:
        self.at = ms_to_datetime(int(time.time() * 1000))

    def now(self) -> datetime:
        return self.at


def paper_on(fake: FakeExchange, slippage_bps: str = "0") -> tuple[PaperBroker, FixedClock]:
    broker, clock, _ = paper_and_market(fake, slippage_bps)
    return broker, clock


def paper_and_market(
    fake: FakeExchange, slippage_bps: str = "0"
) -> tuple[PaperBroker, FixedClock, CcxtMarketData]:
    fake.set_price("BTCUSDT", 60_000)
    client = make_client(
        "binance", api_key=API_KEY, secret=API_SECRET, urls_override=fake.url, timeout_ms=3000
    )
    caller = ExchangeCaller(client, policy=RetryPolicy(attempts=3, initial=0.05, maximum=0.2, jitter=0.01))
    clock = FixedClock()
    market = CcxtMarketData(client, ["BTC/USDT"], "1m", clock, caller=caller)
    broker = PaperBroker(
        market,
        clock,
        timeframe="1m",
        starting_balances={"USDT": Decimal(100_000), "BTC": Decimal(1)},
        slippage_bps=Decimal(slippage_bps),
        venue="binance-paper",
    )
    return broker, clock, market


def order(side: Side, quantity: str, clock: FixedClock, price: str | None = None, cid: str = "c1") -> Order:
    return Order(
        client_order_id=cid,
        intent_id=f"i-{cid}",
        symbol="BTC/USDT",
        side=side,
        order_type=OrderType.MARKET if price is None else OrderType.LIMIT,
        purpose=OrderPurpose.ENTRY if side is Side.BUY else OrderPurpose.EXIT,
        quantity=Decimal(quantity),
        created_at=clock.now(),
        price=Decimal(price) if price is not None else None,
    )


def test_the_ccxt_market_provides_the_book_levels_best_first(fake_exchange: FakeExchange) -> None:
    _, _, market = paper_and_market(fake_exchange)
    assert isinstance(market, BookDepth)
    bids, asks = market.order_book("BTC/USDT", 5)
    assert asks[:2] == [(FIRST_ASK, LEVEL_QTY), (SECOND_ASK, 2 * LEVEL_QTY)]
    assert bids[:2] == [(FIRST_BID, LEVEL_QTY), (SECOND_BID, 2 * LEVEL_QTY)]
    assert len(bids) == len(asks) == 5
    assert fake_exchange.log(path="/api/v3/depth")[-1]["params"]["limit"] == "5"


def test_a_market_buy_bigger_than_the_first_ask_pays_the_weighted_average_of_two_levels(
    fake_exchange: FakeExchange,
) -> None:
    broker, clock = paper_on(fake_exchange)
    broker.place_order(order(Side.BUY, "0.2", clock))
    (fill,) = broker.poll(clock.now()).fills
    average = (FIRST_ASK * LEVEL_QTY + SECOND_ASK * (Decimal("0.2") - LEVEL_QTY)) / Decimal("0.2")
    assert average == Decimal("60003.5001")
    assert fill.price == Decimal("60003.51")  # rounded up to the 0.01 tick: against the buyer
    assert (fill.quantity, fill.liquidity) == (Decimal("0.2"), Liquidity.TAKER)
    cost = fill.price * Decimal("0.2")
    assert broker.balances()["USDT"].free == Decimal(100_000) - cost - cost * Decimal("0.001")
    assert broker.balances()["BTC"].free == Decimal("1.2")


def test_a_buy_within_the_first_ask_pays_it_and_slippage_comes_on_top(fake_exchange: FakeExchange) -> None:
    broker, clock = paper_on(fake_exchange, slippage_bps="10")
    broker.place_order(order(Side.BUY, "0.1", clock))
    (fill,) = broker.poll(clock.now()).fills
    assert fill.price == Decimal("60063.01")  # 60 003 × 1.001 = 60 063.003, rounded up


def test_a_market_sell_walks_the_bids(fake_exchange: FakeExchange) -> None:
    broker, clock = paper_on(fake_exchange)
    broker.place_order(order(Side.SELL, "0.3", clock))
    (fill,) = broker.poll(clock.now()).fills
    average = (FIRST_BID * LEVEL_QTY + SECOND_BID * (Decimal("0.3") - LEVEL_QTY)) / Decimal("0.3")
    assert fill.price == Decimal("59995.66")  # 59 995.6666, rounded down: against the seller
    assert fill.price < average < FIRST_BID
    assert broker.balances()["BTC"].free == Decimal("0.7")


def test_a_market_order_larger_than_five_levels_is_rejected_and_moves_nothing(
    fake_exchange: FakeExchange,
) -> None:
    broker, clock = paper_on(fake_exchange)
    five_levels = LEVEL_QTY * (1 + 2 + 3 + 4 + 5)  # 2.4999 BTC
    with pytest.raises(InvalidOrder, match="not enough liquidity within 5 levels"):
        broker.place_order(order(Side.BUY, str(five_levels + Decimal("0.001")), clock))
    assert broker.poll(clock.now()).fills == ()
    assert broker.balances()["USDT"].free == Decimal(100_000)


def test_a_marketable_limit_fills_only_at_levels_within_its_limit(fake_exchange: FakeExchange) -> None:
    broker, clock = paper_on(fake_exchange)
    broker.place_order(order(Side.BUY, "0.1", clock, price="60004"))
    (fill,) = broker.poll(clock.now()).fills
    assert fill.price == FIRST_ASK

    resting = broker.place_order(order(Side.BUY, "0.2", clock, price="60004", cid="c2"))
    assert resting.status is OrderStatus.OPEN
    assert broker.poll(clock.now()).fills == ()  # the first ask alone cannot fill it: it rests whole
    assert [o.client_order_id for o in broker.open_orders()] == ["c2"]


def test_a_limit_below_the_best_ask_rests_even_above_the_mid(fake_exchange: FakeExchange) -> None:
    broker, clock = paper_on(fake_exchange)
    broker.place_order(order(Side.BUY, "0.1", clock, price="60001"))
    assert broker.poll(clock.now()).fills == ()
    assert len(broker.open_orders()) == 1
