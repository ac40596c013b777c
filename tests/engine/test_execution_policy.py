"""Limit-first execution: entry repricing, chased exits, stop-limits, trailing stops and take-profits."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.execution import ExecutionPolicy, OrderExecutor
from bot.core.positions import PositionBook
from bot.domain import InsufficientFunds, OrderPurpose, OrderStatus, OrderType, Side
from tests.engine.test_execution import RULES, T0, entry, exit_intent
from tests.fakes import InMemoryAuditStore, ScriptedBroker

BTC = "BTC/USDT"
MIN = timedelta(minutes=1)
TIMEOUT = timedelta(minutes=15)


class World:
    def __init__(self, **policy: Any) -> None:
        self.store = InMemoryAuditStore()
        self.broker = ScriptedBroker()
        self.book = PositionBook()
        self.policy = ExecutionPolicy(entry_timeout=TIMEOUT, **policy)
        self.executor = OrderExecutor(
            broker=self.broker, store=self.store, book=self.book, rules=lambda s: RULES,
            policy=self.policy, run_id=1,
        )  # fmt: skip

    def order(self, cid: str) -> Any:
        return self.store.get_order(cid)

    def stored(self, purpose: OrderPurpose) -> list[Any]:
        return [o for o in self.store.orders(1) if o.purpose is purpose]

    def open_position(self, price: str = "100") -> None:
        self.executor.submit(entry(), T0)
        self.broker.fill("sbi1n0", Decimal(price), T0)
        self.executor.apply_update(self.broker.poll(T0), T0)

    def manage(self, minutes: float, price: str | None, **kwargs: Any) -> None:
        prices = {BTC: Decimal(price)} if price is not None else {}
        self.executor.manage(T0 + minutes * MIN, prices, **kwargs)

    def fill(self, cid: str, price: str, minutes: float) -> None:
        self.broker.fill(cid, Decimal(price), T0 + minutes * MIN)
        self.executor.apply_update(self.broker.poll(T0), T0 + minutes * MIN)


# --- entries: limit first, repriced, then cancelled or sent marketable -----------------------


def test_an_entry_rests_at_the_reference_price_lowered_by_the_offset_rounded_down() -> None:
    policy = ExecutionPolicy(entry_offset=Decimal("0.0015"))
    shaped = policy.shape(replace(entry(), limit_price=None), RULES)
    assert (shaped.order_type, shaped.limit_price) == (OrderType.LIMIT, Decimal("99.85"))


def test_an_unfilled_entry_is_repriced_at_the_last_price_as_the_next_attempt() -> None:
    w = World()
    w.executor.submit(entry(), T0)
    w.manage(14, "99")
    assert w.order("sbi1n0").status is OrderStatus.OPEN
    w.manage(15, "99")
    assert w.order("sbi1n0").status is OrderStatus.CANCELED
    repriced = w.order("sbi1n1")
    assert (repriced.price, repriced.quantity, repriced.status) == (
        Decimal(99),
        Decimal("0.5"),
        OrderStatus.OPEN,
    )
    assert repriced.intent_id == "i1"
    assert any(e.client_order_id == "sbi1n0" and e.detail == "repriced" for e in w.store.events)


def test_a_reprice_higher_lowers_the_quantity_so_the_risk_to_the_stop_never_grows() -> None:
    w = World()
    w.executor.submit(entry(), T0)  # 0.5 at 100, stop 95: 2.5 USDT to the stop
    w.manage(15, "101")
    repriced = w.order("sbi1n1")
    assert repriced.price == Decimal(101)
    assert repriced.quantity == Decimal("0.4166")  # 0.5 x 5 / 6, rounded down to the step
    assert repriced.quantity * (repriced.price - 95) <= Decimal("2.5")


def test_after_the_last_reprice_an_unfilled_entry_is_cancelled() -> None:
    w = World(max_reprices=2)
    w.executor.submit(entry(), T0)
    for minutes in (15, 30, 45):
        w.manage(minutes, "100")
    assert [o.status for o in w.stored(OrderPurpose.ENTRY)] == [OrderStatus.CANCELED] * 3
    assert w.broker.sent == ["sbi1n0", "sbi1n1", "sbi1n2"]


def test_on_unfilled_marketable_sends_one_limit_capped_at_max_slippage_then_gives_up() -> None:
    w = World(max_reprices=1, on_unfilled="marketable", max_slippage=Decimal("0.005"))
    w.executor.submit(entry(), T0)
    w.manage(15, "99")
    w.manage(30, "99.3")
    marketable = w.order("sbi1n2")
    assert marketable.order_type is OrderType.LIMIT
    assert marketable.price == Decimal("99.79")  # 99.3 x 1.005 = 99.7965, rounded down: never above the cap
    w.manage(45, "101")
    assert marketable.client_order_id in w.broker.sent
    assert w.order("sbi1n2").status is OrderStatus.CANCELED
    assert w.order("sbi1n3") is None


def test_a_reprice_the_venue_refuses_for_funds_stops_the_repricing() -> None:
    w = World()
    w.executor.submit(entry(), T0)
    w.broker.place_errors.append(InsufficientFunds("needs 50, free 10"))
    w.manage(15, "100")
    assert w.order("sbi1n1").status is OrderStatus.REJECTED
    w.manage(30, "100")
    w.manage(45, "100")
    assert w.broker.sent == ["sbi1n0"]
    assert [o.client_order_id for o in w.stored(OrderPurpose.ENTRY)] == ["sbi1n0", "sbi1n1"]


def test_an_entry_is_not_repriced_at_or_below_its_stop() -> None:
    w = World()
    w.executor.submit(entry(), T0)
    w.manage(15, "95")
    assert w.order("sbi1n0").status is OrderStatus.CANCELED
    assert w.order("sbi1n1") is None


def test_entries_are_cancelled_not_repriced_when_new_entries_are_not_allowed() -> None:
    w = World()
    w.executor.submit(entry(), T0)
    w.manage(15, "100", entries_allowed=False)
    assert w.order("sbi1n0").status is OrderStatus.CANCELED
    assert w.broker.sent == ["sbi1n0"]


def test_a_partly_filled_entry_reprices_only_what_is_left() -> None:
    w = World()
    w.executor.submit(entry(), T0)
    w.broker.orders["sbi1n0"] = replace(w.broker.orders["sbi1n0"], filled_quantity=Decimal("0.2"))
    w.manage(15, "100")
    assert w.order("sbi1n1").quantity == Decimal("0.3")


# --- exits: capped marketable limits, chased until filled ------------------------------------


def test_an_exit_is_shaped_as_a_sell_limit_capped_at_max_slippage_rounded_up() -> None:
    policy = ExecutionPolicy(max_slippage=Decimal("0.005"))
    shaped = policy.shape(replace(exit_intent(), reference_price=Decimal("100.003")), RULES)
    assert shaped.order_type is OrderType.LIMIT
    assert shaped.limit_price == Decimal("99.51")  # 99.502985 rounded up: never sell cheaper


def test_an_unfilled_exit_is_chased_at_each_new_last_price_until_it_fills() -> None:
    w = World()
    w.open_position()
    w.executor.submit(w.policy.shape(exit_intent(), RULES), T0 + MIN)
    assert w.order("sbx1x0").price == Decimal("99.5")
    w.manage(1, "97")  # same tick it was sent: not chased yet
    assert w.order("sbx1x0").status is OrderStatus.OPEN
    w.manage(2, "97")  # the market gapped below the cap
    assert w.order("sbx1x0").status is OrderStatus.CANCELED
    assert (w.order("sbx1x1").price, w.order("sbx1x1").quantity) == (Decimal("96.52"), Decimal("0.5"))
    w.manage(3, "95")
    assert w.order("sbx1x2").price == Decimal("94.53")
    w.fill("sbx1x2", "94.53", 3)
    assert w.book.position(BTC) is None
    w.manage(4, "90")
    assert w.order("sbx1x3") is None and w.stored(OrderPurpose.STOP)[-1].status is OrderStatus.CANCELED


def test_an_exit_resting_at_the_current_cap_is_left_alone() -> None:
    w = World()
    w.open_position()
    w.executor.submit(w.policy.shape(exit_intent(), RULES), T0 + MIN)
    w.manage(2, "100")
    assert w.order("sbx1x0").status is OrderStatus.OPEN and w.order("sbx1x1") is None


# --- stops: stop-limit, trailing, take-profit ------------------------------------------------


def test_a_stop_limit_rests_below_its_stop_by_the_configured_slippage() -> None:
    w = World(stop_order=OrderType.STOP_LIMIT, stop_limit_slippage=Decimal("0.005"))
    w.open_position()
    [stop] = w.stored(OrderPurpose.STOP)
    assert (stop.order_type, stop.stop_price, stop.price) == (
        OrderType.STOP_LIMIT,
        Decimal(95),
        Decimal("94.52"),
    )


def test_a_triggered_stop_limit_that_did_not_fill_is_chased_like_an_exit() -> None:
    w = World(stop_order=OrderType.STOP_LIMIT)
    w.open_position()
    w.manage(2, "94")  # below the stop, the stop-limit still open: it triggered and gapped past its limit
    assert w.order("sbi1s0").status is OrderStatus.CANCELED
    chase = w.order("sbi1x0")
    assert (chase.order_type, chase.price, chase.quantity) == (
        OrderType.LIMIT,
        Decimal("93.53"),
        Decimal("0.5"),
    )
    w.manage(3, "93")
    assert w.order("sbi1x1").price == Decimal("92.54")


def test_a_trailing_stop_tightens_with_the_price_and_never_loosens() -> None:
    w = World(trailing_stop=Decimal("0.05"))
    w.open_position()
    w.manage(1, "100")  # 95 is where it is: nothing to do
    assert w.broker.sent == ["sbi1n0", "sbi1s0"]
    w.manage(2, "110")
    assert w.order("sbi1s0").status is OrderStatus.CANCELED
    assert (w.order("sbi1s1").stop_price, w.order("sbi1s1").quantity) == (Decimal("104.5"), Decimal("0.5"))
    w.manage(3, "105")
    assert w.executor.working_stop(BTC).stop_price == Decimal("104.5")
    assert w.book.position(BTC).stop_price == Decimal("104.5")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.decimals("95.5", "200", places=2), min_size=1, max_size=25),
    st.decimals("0.005", "0.2", places=3),
)
def test_a_trailing_stop_only_rises_and_stays_below_the_last_price(
    path: list[Decimal], trail: Decimal
) -> None:
    w = World(trailing_stop=trail)
    w.open_position()
    stops = [Decimal(95)]
    for minute, price in enumerate(path, start=1):
        w.manage(minute, str(price))
        stop = w.executor.working_stop(BTC)
        assert stop is not None and stop.quantity == Decimal("0.5")
        if stop.stop_price != stops[-1]:
            assert stop.stop_price < price
        stops.append(stop.stop_price)
    assert stops == sorted(stops)


def test_a_take_profit_is_placed_at_r_multiples_paired_with_the_stop() -> None:
    w = World(take_profit_r=Decimal(2))
    w.open_position("100")
    stop, take_profit = w.executor.working_stop(BTC), w.executor.working_take_profit(BTC)
    assert take_profit.price == Decimal(110)  # 100 + 2 x (100 - 95)
    assert (take_profit.side, take_profit.order_type, take_profit.quantity) == (
        Side.SELL, OrderType.LIMIT, Decimal("0.5"),
    )  # fmt: skip
    assert take_profit.oco_with == stop.client_order_id == "sbi1s0"
    assert take_profit.client_order_id == "sbi1t0"


def test_a_trailed_stop_replaces_the_pair_keeping_the_take_profit_target() -> None:
    w = World(take_profit_r=Decimal(2), trailing_stop=Decimal("0.05"))
    w.open_position("100")
    w.manage(2, "106")
    assert [w.order(c).status for c in ("sbi1t0", "sbi1s0")] == [OrderStatus.CANCELED] * 2
    assert w.broker.sent[-2:] == ["sbi1s1", "sbi1t1"]
    assert w.order("sbi1s1").stop_price == Decimal("100.7")
    assert (w.order("sbi1t1").price, w.order("sbi1t1").oco_with) == (Decimal(110), "sbi1s1")


def test_an_exit_cancels_the_take_profit_and_the_stop_before_selling() -> None:
    w = World(take_profit_r=Decimal(2))
    w.open_position()
    w.executor.submit(w.policy.shape(exit_intent(), RULES), T0 + MIN)
    assert w.order("sbi1t0").status is OrderStatus.CANCELED
    assert w.order("sbi1s0").status is OrderStatus.CANCELED
    assert w.broker.sent[-1] == "sbx1x0"


@pytest.mark.parametrize(
    ("field", "value"),
    [("max_slippage", Decimal("0.2")), ("trailing_stop", Decimal(0)), ("max_reprices", -1),
     ("on_unfilled", "market"), ("take_profit_r", Decimal(0)), ("stop_order", OrderType.LIMIT)],
)  # fmt: skip
def test_a_bad_policy_value_names_the_field(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=f"ExecutionPolicy.{field}="):
        ExecutionPolicy(**{field: value})  # type: ignore[arg-type]
