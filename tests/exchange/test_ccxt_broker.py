"""CcxtBroker against the fake Binance server, through the real ccxt client."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from bot.adapters.exchange import CcxtBroker, ExchangeCaller, RetryPolicy, make_client
from bot.core.ports import BrokerUpdate
from bot.domain import (
    AccessRefused,
    FatalBrokerError,
    InsufficientFunds,
    InvalidOrder,
    Liquidity,
    Order,
    OrderNotFound,
    OrderPurpose,
    OrderStatus,
    OrderType,
    OutcomeUnknown,
    RetryLater,
    Side,
    client_order_id_for,
    make_intent_id,
)
from tests.fake_exchange.fixture import API_KEY, API_SECRET, FakeExchange

SYMBOL = "BTC/USDT"
NOW = datetime(2024, 1, 1, tzinfo=UTC)
SECRET = API_SECRET


class FixedClock:
    def now(self) -> datetime:
        return NOW


def make_broker(
    fake: FakeExchange, *, api_key: str | None = API_KEY, symbols: tuple[str, ...] = ()
) -> CcxtBroker:
    client = make_client("binance", api_key=api_key, secret=SECRET, urls_override=fake.url, timeout_ms=3000)
    caller = ExchangeCaller(client, policy=RetryPolicy(attempts=3, initial=0.05, maximum=0.2, jitter=0.01))
    return CcxtBroker(client, "binance", FixedClock(), "USDT", caller=caller, symbols=symbols)


def order(
    name: str,
    side: Side,
    quantity: str,
    price: str | None = None,
    order_type: OrderType = OrderType.LIMIT,
    purpose: OrderPurpose = OrderPurpose.ENTRY,
    stop: str | None = None,
) -> Order:
    intent = make_intent_id("test", name)
    return Order(
        client_order_id=client_order_id_for(intent, purpose),
        intent_id=intent,
        symbol=SYMBOL,
        side=side,
        order_type=order_type,
        purpose=purpose,
        quantity=Decimal(quantity),
        created_at=NOW,
        price=Decimal(price) if price is not None else None,
        stop_price=Decimal(stop) if stop is not None else None,
    )


def poll_until(broker: CcxtBroker, done: object, deadline_s: float = 5.0) -> BrokerUpdate:
    """Poll (collecting everything) until ``done(collected)`` or the deadline."""
    orders: list[Order] = []
    fills = []
    end = time.monotonic() + deadline_s
    while True:
        update = broker.poll(NOW)
        orders.extend(update.orders)
        fills.extend(update.fills)
        collected = BrokerUpdate(tuple(orders), tuple(fills))
        if done(collected) or time.monotonic() > end:  # type: ignore[operator]
            return collected
        time.sleep(0.05)


def sent(fake: FakeExchange, method: str = "POST") -> list[dict[str, str]]:
    return [r["params"] for r in fake.log(path="/api/v3/order", method=method)]


def test_a_limit_order_round_trips_by_client_order_id(fake_exchange: FakeExchange) -> None:
    broker = make_broker(fake_exchange)
    resting = order("rest", Side.BUY, "0.001", "59000.00")
    acked = broker.place_order(resting)
    assert acked.status is OrderStatus.OPEN and acked.exchange_order_id is not None
    assert acked.intent_id == resting.intent_id and acked.purpose is OrderPurpose.ENTRY
    assert sent(fake_exchange)[0]["newClientOrderId"] == resting.client_order_id
    assert sent(fake_exchange)[0]["type"] == "LIMIT"

    found = broker.fetch_order(SYMBOL, resting.client_order_id)
    assert (found.status, found.exchange_order_id) == (OrderStatus.OPEN, acked.exchange_order_id)
    assert [o.client_order_id for o in broker.open_orders(SYMBOL)] == [resting.client_order_id]
    assert broker.balances()["USDT"].locked >= Decimal("59")  # the price times quantity (plus the fee)


def test_an_order_is_cancelled_by_client_order_id(fake_exchange: FakeExchange) -> None:
    broker = make_broker(fake_exchange)
    resting = order("cancel", Side.BUY, "0.001", "59000.00")
    broker.place_order(resting)
    cancelled = broker.cancel_order(SYMBOL, resting.client_order_id)
    assert cancelled.status is OrderStatus.CANCELED
    assert cancelled.client_order_id == resting.client_order_id  # not the cancel request's id
    assert sent(fake_exchange, "DELETE")[0]["origClientOrderId"] == resting.client_order_id
    assert broker.fetch_order(SYMBOL, resting.client_order_id).status is OrderStatus.CANCELED
    assert broker.open_orders(SYMBOL) == []
    assert broker.poll(NOW).orders == ()  # the cancel was already reported by cancel_order


def test_cancelling_an_unknown_order_is_order_not_found(fake_exchange: FakeExchange) -> None:
    with pytest.raises(OrderNotFound):
        make_broker(fake_exchange).cancel_order(SYMBOL, "sbnope")


def test_a_marketable_limit_fills_as_taker_and_poll_reports_it_until_stored(
    fake_exchange: FakeExchange,
) -> None:
    broker = make_broker(fake_exchange)
    buy = order("take", Side.BUY, "0.002", "60100.00")
    assert broker.place_order(buy).status is OrderStatus.OPEN  # fills are reported by poll
    update = poll_until(broker, lambda u: u.fills)
    assert [o.status for o in update.orders] == [OrderStatus.FILLED]
    assert update.orders[0].filled_quantity == Decimal("0.002")
    assert update.orders[0].average_fill_price is not None
    [fill] = update.fills
    assert fill.client_order_id == buy.client_order_id
    assert (fill.venue, fill.symbol, fill.side, fill.quantity) == (
        "binance",
        SYMBOL,
        Side.BUY,
        Decimal("0.002"),
    )
    assert fill.liquidity is Liquidity.TAKER
    assert fill.fee > 0 and fill.fee_currency
    trade_ids = {t["id"] for t in fake_exchange.state()["trades"]}
    assert fill.trade_id in {str(t) for t in trade_ids}
    broker.acknowledge(update.fills)
    assert broker.poll(NOW) == BrokerUpdate()


def test_a_resting_limit_fills_as_maker_when_the_price_trades_through(fake_exchange: FakeExchange) -> None:
    broker = make_broker(fake_exchange)
    buy = order("make", Side.BUY, "0.001", "59500.00")
    broker.place_order(buy)
    assert broker.poll(NOW).fills == ()
    fake_exchange.set_price("BTCUSDT", 59_400)
    update = poll_until(broker, lambda u: u.fills)
    [fill] = update.fills
    assert fill.liquidity is Liquidity.MAKER and fill.price == Decimal("59500.00")
    assert update.orders[-1].status is OrderStatus.FILLED


def test_a_market_order_sends_the_quantity_not_quote_order_qty(fake_exchange: FakeExchange) -> None:
    broker = make_broker(fake_exchange)
    broker.place_order(order("mkt", Side.BUY, "0.001", order_type=OrderType.MARKET))
    params = sent(fake_exchange)[0]
    assert params["type"] == "MARKET" and params["quantity"] == "0.001" and "quoteOrderQty" not in params
    assert poll_until(broker, lambda u: u.fills).fills[0].quantity == Decimal("0.001")


def test_a_stop_limit_becomes_a_stop_loss_limit(fake_exchange: FakeExchange) -> None:
    fake_exchange.set_balance("BTC", "0.01")
    broker = make_broker(fake_exchange)
    stop = order(
        "stop", Side.SELL, "0.001", "58000.00", OrderType.STOP_LIMIT, OrderPurpose.STOP, stop="58500.00"
    )
    assert broker.place_order(stop).status is OrderStatus.OPEN
    params = sent(fake_exchange)[0]
    assert (params["type"], params["stopPrice"], params["price"]) == ("STOP_LOSS_LIMIT", "58500", "58000")
    found = broker.fetch_order(SYMBOL, stop.client_order_id)
    assert found.order_type is OrderType.STOP_LIMIT and found.purpose is OrderPurpose.STOP


def test_an_unlisted_stop_market_is_refused_before_sending(
    fake_exchange: FakeExchange,
) -> None:
    broker = make_broker(fake_exchange)
    stop = order("stopm", Side.SELL, "0.001", None, OrderType.STOP_MARKET, OrderPurpose.STOP, stop="58500.00")
    with pytest.raises(InvalidOrder, match="does not support stop_market"):
        broker.place_order(stop)
    assert sent(fake_exchange) == []


def test_an_inexact_quantity_is_refused_never_rounded(fake_exchange: FakeExchange) -> None:
    broker = make_broker(fake_exchange)
    with pytest.raises(InvalidOrder, match=r"quantity 0\.0012345"):
        broker.place_order(order("odd", Side.BUY, "0.0012345", "59000.00"))
    with pytest.raises(InvalidOrder, match=r"price 59000\.005"):
        broker.place_order(order("odd2", Side.BUY, "0.001", "59000.005"))
    assert sent(fake_exchange) == []


def test_insufficient_balance_is_insufficient_funds(fake_exchange: FakeExchange) -> None:
    fake_exchange.set_balance("USDT", "10")
    with pytest.raises(InsufficientFunds, match=r"create_order\(BTC/USDT\)"):
        make_broker(fake_exchange).place_order(order("poor", Side.BUY, "0.001", "59000.00"))


def test_a_filter_failure_is_an_invalid_order(fake_exchange: FakeExchange) -> None:
    with pytest.raises(InvalidOrder):
        make_broker(fake_exchange).place_order(order("tiny", Side.BUY, "0.00001", "59000.00"))  # 0.59 < 5


def test_a_503_on_placement_is_outcome_unknown_then_definitely_absent(
    fake_exchange: FakeExchange,
) -> None:
    broker = make_broker(fake_exchange)
    lost = order("503", Side.BUY, "0.001", "59000.00")
    fake_exchange.fail("POST", "/api/v3/order", "status", status=503)
    with pytest.raises(OutcomeUnknown, match="execution status unknown"):
        broker.place_order(lost)
    with pytest.raises(OrderNotFound):  # the 503 came before processing: -2013
        broker.fetch_order(SYMBOL, lost.client_order_id)
    assert len(sent(fake_exchange)) == 1  # never re-sent by the adapter


def test_an_order_accepted_before_a_dropped_connection_is_found_by_client_id(
    fake_exchange: FakeExchange,
) -> None:
    broker = make_broker(fake_exchange)
    accepted = order("drop", Side.BUY, "0.001", "59000.00")
    fake_exchange.fail("POST", "/api/v3/order", "drop_after_accept")
    with pytest.raises(OutcomeUnknown):
        broker.place_order(accepted)
    found = broker.fetch_order(SYMBOL, accepted.client_order_id)
    assert found.status is OrderStatus.OPEN and found.exchange_order_id is not None
    assert len(fake_exchange.orders_by_client_id(accepted.client_order_id)) == 1


def test_clock_skew_is_retry_later_and_resyncs_time(fake_exchange: FakeExchange) -> None:
    broker = make_broker(fake_exchange)
    broker.balances()
    fake_exchange.set_clock_offset(-5_000)  # the server is 5 s behind: our timestamps are "ahead"
    with pytest.raises(RetryLater, match="clock skew"):
        broker.place_order(order("skew", Side.BUY, "0.001", "59000.00"))
    assert fake_exchange.log(path="/api/v3/time")
    placed = broker.place_order(order("skew", Side.BUY, "0.001", "59000.00"))
    assert placed.status is OrderStatus.OPEN


def test_a_read_with_injected_1021_is_retried_after_a_resync(fake_exchange: FakeExchange) -> None:
    broker = make_broker(fake_exchange)
    fake_exchange.fail("GET", "/api/v3/account", "code", code=-1021)
    assert "USDT" in broker.balances()
    assert len(fake_exchange.log(path="/api/v3/time")) == 1


def test_a_refused_api_key_is_access_refused_not_retried_and_never_shown(fake_exchange: FakeExchange) -> None:
    fake_exchange.fail("GET", "/api/v3/account", "code", code=-2015)
    with pytest.raises(AccessRefused, match="API key") as caught:
        make_broker(fake_exchange).balances()
    assert API_KEY not in str(caught.value) and SECRET not in str(caught.value)
    assert "signature" not in str(caught.value)
    assert len(fake_exchange.log(path="/api/v3/account")) == 1  # not retried


def test_no_api_key_is_fatal_without_a_request(fake_exchange: FakeExchange) -> None:
    with pytest.raises(FatalBrokerError):
        make_broker(fake_exchange, api_key=None).balances()


def test_balances_are_exact_with_free_and_locked(fake_exchange: FakeExchange) -> None:
    fake_exchange.set_balance("USDT", "1234.5")
    balances = make_broker(fake_exchange).balances()
    assert balances["USDT"].free == Decimal("1234.5") and balances["USDT"].locked == 0


def test_after_a_restart_fills_of_our_earlier_orders_are_adopted(fake_exchange: FakeExchange) -> None:
    first = make_broker(fake_exchange)
    buy = order("restart", Side.BUY, "0.001", "60100.00")
    first.place_order(buy)
    fresh = make_broker(fake_exchange, symbols=(SYMBOL,))  # knows nothing of ``buy``
    update = poll_until(fresh, lambda u: u.fills)
    assert [f.client_order_id for f in update.fills] == [buy.client_order_id]
    fresh.acknowledge(update.fills)
    assert fresh.poll(NOW).fills == ()
    assert fresh.trade_cursors[SYMBOL] >= 1


def test_a_partial_fill_is_reported_as_partially_filled(fake_exchange: FakeExchange) -> None:
    fake_exchange.set_partial_fills("0.5")
    broker = make_broker(fake_exchange)
    buy = order("partial", Side.BUY, "0.002", "59500.00")
    broker.place_order(buy)
    fake_exchange.set_price("BTCUSDT", 59_400)
    update = poll_until(broker, lambda u: u.fills)
    assert update.orders[-1].status is OrderStatus.PARTIALLY_FILLED
    assert update.orders[-1].filled_quantity == sum(f.quantity for f in update.fills)
    assert update.orders[-1].filled_quantity < Decimal("0.002")
