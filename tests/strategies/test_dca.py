"""DCA accumulation: a capped buy at each scheduled candle, none past the allocation cap, everything sold
on a drawdown below the average price."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import Candle, IntentKind, MarketRules, OrderIntent, OrderType, Position, Side, make_intent_id
from strategies.base import StrategyView
from strategies.dca import Dca, DcaParams

HOUR_MS = 3_600_000
T0 = 1_704_067_200_000  # 2024-01-01T00:00:00Z: a whole number of days since the epoch
NOW = datetime(2024, 1, 2, tzinfo=UTC)
RULES = MarketRules(
    "BTC/USDT", "BTC", "USDT", Decimal("0.01"), Decimal("0.00001"), Decimal(5), Decimal("0.001"),
    Decimal("0.001"),
)  # fmt: skip
EVERY_3H = DcaParams(interval=3, buy_quote=Decimal(100), max_position_quote=Decimal(1000), stop_percent=0.05,
                     exit_drawdown=0.1)  # fmt: skip


def make_candles(closes: Sequence[float], first: int = 0) -> list[Candle]:
    return [
        Candle("BTC/USDT", "1h", T0 + (first + i) * HOUR_MS, c, c * 1.01, c * 0.99, c, 1.0)
        for i, c in enumerate(closes)
    ]


def view_of(candles: Sequence[Candle], position: Position | None = None) -> StrategyView:
    return StrategyView("BTC/USDT", "1h", candles, position, RULES, NOW)


def holding(quantity: str, average: str = "100") -> Position:
    return Position("BTC/USDT", Decimal(quantity), Decimal(average), NOW, stop_price=Decimal("95"))


def decide(
    candles: Sequence[Candle], position: Position | None = None, params: DcaParams = EVERY_3H
) -> list[OrderIntent]:
    return Dca("dca", "1h", params).on_candles(view_of(candles, position))


def buys_at(first: int, count: int, params: DcaParams = EVERY_3H) -> list[int]:
    """The candle indices (hours since T0) at which a flat DCA shown candles ``first .. first+count`` buys."""
    candles = make_candles([100.0] * count, first)
    return [first + i for i in range(count) if decide(candles[: i + 1], params=params)]


def test_a_scheduled_candle_buys_at_most_buy_quote_at_the_close_with_a_stop_below() -> None:
    candles = make_candles([100.0, 100.0, 100.0, 80.0])  # candle 3 opens at 03:00: on the 3-hour schedule
    [buy] = decide(candles)

    assert (buy.kind, buy.side, buy.order_type, buy.reason) == (
        IntentKind.ENTRY, Side.BUY, OrderType.LIMIT, "dca_scheduled_buy"
    )  # fmt: skip
    assert buy.reference_price == buy.limit_price == Decimal(80)
    assert buy.quantity == Decimal("1.25")  # 100 USDT / 80: a cap, the risk chain may size it lower
    assert buy.stop_price == Decimal(76)  # 5 % below
    assert buy.intent_id == make_intent_id("dca", "BTC/USDT", candles[-1].open_time, IntentKind.ENTRY)


def test_candles_off_the_schedule_buy_nothing() -> None:
    assert buys_at(0, 10) == [0, 3, 6, 9]


def test_the_schedule_is_the_same_whatever_the_first_candle() -> None:
    assert buys_at(1, 11) == [3, 6, 9]
    assert buys_at(2, 10) == [3, 6, 9]
    assert buys_at(4, 8) == [6, 9]


def test_the_schedule_is_aligned_to_the_epoch_not_to_the_day() -> None:
    every_5h = DcaParams(interval=5, buy_quote=Decimal(100), max_position_quote=Decimal(1000))
    hours_since_epoch = T0 // HOUR_MS  # 473352: 2 hours past a multiple of 5
    assert buys_at(0, 10, every_5h) == [i for i in range(10) if (hours_since_epoch + i) % 5 == 0] == [3, 8]


def test_a_buy_adds_to_the_position_below_the_allocation_cap() -> None:
    [buy] = decide(make_candles([100.0] * 4), holding("5"))  # worth 500 of 1000
    assert buy.quantity == Decimal(1)


def test_no_buy_once_the_position_is_worth_max_position_quote_at_the_close() -> None:
    assert decide(make_candles([100.0] * 4), holding("10")) == []
    assert decide(make_candles([100.0] * 3 + [101.0]), holding("9.95")) == []  # 1004.95 at this close


def test_the_buy_that_reaches_the_cap_is_cut_to_the_room_left() -> None:
    [buy] = decide(make_candles([100.0] * 4), holding("9.5"))  # 950 held: 50 left
    assert buy.quantity == Decimal("0.5")


def test_no_buy_when_the_room_left_is_below_the_minimum_notional() -> None:
    assert decide(make_candles([100.0] * 4), holding("9.97")) == []  # 3 USDT left, minimum 5


def test_a_close_exit_drawdown_below_the_average_price_sells_everything_and_buys_nothing() -> None:
    candles = make_candles([100.0] * 3 + [90.0])  # a scheduled candle, 10 % below the average of 100
    [exit_] = decide(candles, holding("3"))

    assert (exit_.kind, exit_.side, exit_.order_type, exit_.reason) == (
        IntentKind.EXIT, Side.SELL, OrderType.MARKET, "dca_drawdown_exit"
    )  # fmt: skip
    assert exit_.quantity == Decimal(3)
    assert decide(make_candles([100.0] * 3 + [90.01]), holding("3"))[0].kind is IntentKind.ENTRY


def test_the_drawdown_exit_needs_a_position() -> None:
    assert decide(make_candles([100.0, 100.0, 90.0])) == []  # off the schedule, flat


def test_intents_do_not_look_ahead() -> None:
    closes = [100.0, 98.0, 97.0, 95.0, 89.0, 101.0, 100.0]
    series, spiked = make_candles(closes), make_candles([*closes, 1.0])
    for end in range(1, len(series) + 1):
        for position in (None, holding("2"), holding("10")):
            assert decide(spiked[:end], position) == decide(series[:end], position)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.floats(1.0, 1000.0), min_size=1, max_size=30),
    st.integers(0, 500),
    st.sampled_from([None, "0.5", "3", "20"]),
    st.integers(1, 7),
)
def test_only_the_last_candle_and_the_position_matter(
    closes: list[float], first: int, held: str | None, interval: int
) -> None:
    params = DcaParams(interval=interval, buy_quote=Decimal(100), max_position_quote=Decimal(1000))
    candles = make_candles(closes, first)
    position = holding(held) if held is not None else None
    intents = decide(candles, position, params)
    assert intents == decide(candles[-1:], position, params)
    for intent in intents:
        if intent.kind is IntentKind.ENTRY:
            assert intent.quantity is not None and intent.quantity * intent.reference_price <= Decimal(100)
            assert intent.stop_price is not None and 0 < intent.stop_price < intent.reference_price
            assert RULES.is_tick_valid(intent.stop_price) and RULES.is_step_valid(intent.quantity)


@pytest.mark.parametrize(
    ("field", "value"),
    [("interval", 0), ("buy_quote", Decimal(0)), ("buy_quote", 10.0), ("max_position_quote", Decimal(-1)),
     ("stop_percent", 0.0), ("stop_percent", 0.2), ("exit_drawdown", 1.0), ("interval", True)],
)  # fmt: skip
def test_invalid_params_name_the_field_the_value_and_what_is_allowed(field: str, value: object) -> None:
    with pytest.raises(ValueError, match="allowed") as raised:
        DcaParams(**{field: value})  # type: ignore[arg-type]
    assert f"dca.{field}" in str(raised.value) and repr(value) in str(raised.value)


def test_params_forbid_unknown_keys_when_validated_by_pydantic() -> None:
    pydantic = pytest.importorskip("pydantic")
    adapter = pydantic.TypeAdapter(DcaParams)
    assert adapter.validate_python({"buy_quote": "0.02"}) == DcaParams(buy_quote=Decimal("0.02"))
    with pytest.raises(pydantic.ValidationError, match="surprise"):
        adapter.validate_python({"surprise": 1})
