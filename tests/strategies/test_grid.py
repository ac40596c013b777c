"""The grid: a slice bought at each line the close falls through inside the range, sold one line up."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import Candle, IntentKind, MarketRules, OrderIntent, OrderType, Position, Side, make_intent_id
from strategies.base import StrategyView
from strategies.grid import Grid, GridParams

HOUR_MS = 3_600_000
T0 = 1_704_067_200_000
NOW = datetime(2024, 1, 2, tzinfo=UTC)
RULES = MarketRules(
    "BTC/USDT", "BTC", "USDT", Decimal("0.01"), Decimal("0.00001"), Decimal(5), Decimal("0.001"),
    Decimal("0.001"),
)  # fmt: skip
# Lines 10, 11, 12, 13, 14; a slice is at most 120 USDT (10 units at line 12); the stop 2 % under 10.
PARAMS = GridParams(low=Decimal(10), high=Decimal(14), levels=5, slice_quote=Decimal(120), stop_below=0.02,
                    memory=8)  # fmt: skip
ABOVE = [14.5] * 8  # a quiet start above the range: nothing bought
INSIDE = [12.5] * 8  # a quiet start between the lines 12 and 13: nothing bought


def make_candles(closes: Sequence[float]) -> list[Candle]:
    return [
        Candle("BTC/USDT", "1h", T0 + i * HOUR_MS, c, c + 0.05, c - 0.05, c, 1.0)
        for i, c in enumerate(closes)
    ]


def view_of(candles: Sequence[Candle], position: Position | None = None) -> StrategyView:
    return StrategyView("BTC/USDT", "1h", candles, position, RULES, NOW)


def holding(quantity: str) -> Position:
    return Position("BTC/USDT", Decimal(quantity), Decimal(12), NOW, stop_price=Decimal("9.8"))


def decide(
    closes: Sequence[float], position: Position | None = None, params: GridParams = PARAMS
) -> list[OrderIntent]:
    return Grid("grid", "1h", params).on_candles(view_of(make_candles(closes), position))


def test_a_close_falling_through_a_line_buys_a_slice_limited_at_the_line_with_a_stop_under_the_range() -> (
    None
):
    candles = make_candles([*ABOVE, 13.5, 12.5, 11.6])
    [buy] = Grid("grid", "1h", PARAMS).on_candles(view_of(candles))

    assert (buy.kind, buy.side, buy.order_type, buy.reason) == (
        IntentKind.ENTRY, Side.BUY, OrderType.LIMIT, "grid_buy_line_2"
    )  # fmt: skip
    assert buy.limit_price == buy.reference_price == Decimal(12)  # the line, not the close
    assert buy.quantity == Decimal(10)  # 120 USDT at 12: a cap, the risk chain may size it lower
    assert buy.stop_price == Decimal("9.8")
    assert buy.intent_id == make_intent_id("grid", "BTC/USDT", candles[-1].open_time, IntentKind.ENTRY, 2)


def test_a_close_falling_through_two_lines_buys_two_slices_with_their_own_ids() -> None:
    buys = decide([*ABOVE, 13.5, 12.5, 10.5])

    assert [(b.limit_price, b.quantity) for b in buys] == [
        (Decimal(12), Decimal(10)),
        (Decimal(11), Decimal("10.90909")),
    ]
    assert len({b.intent_id for b in buys}) == 2
    assert {b.stop_price for b in buys} == {Decimal("9.8")}


def test_a_close_exactly_at_a_line_has_not_crossed_it() -> None:
    assert decide([*ABOVE, 12.5, 12.0]) == []
    assert len(decide([*ABOVE, 12.5, 12.0, 11.99])) == 1


def test_no_entry_outside_the_range() -> None:
    assert decide([*ABOVE, 10.5, 9.9]) == []  # through the floor: the close is below the range
    assert decide([*ABOVE, 14.5, 13.9]) == []  # through the top line: nothing above it to sell at
    assert decide([16.0] * 8 + [15.0]) == []
    assert decide([*ABOVE, 10.5, 9.0, 8.0, 9.5]) == []


def test_the_slice_is_sold_when_the_close_crosses_up_through_the_line_above() -> None:
    # Bought at 12 (falling to 11.6) and at 11 (falling to 10.6); rising through 12 sells the slice of 11.
    closes = [*INSIDE[:5], 11.6, 10.6, 11.5, 12.2]
    [sell] = decide(closes, holding("20"))

    assert (sell.kind, sell.side, sell.order_type, sell.reason) == (
        IntentKind.EXIT, Side.SELL, OrderType.MARKET, "grid_sell_slice"
    )  # fmt: skip
    # The slices are 120/12 = 10 and 120/11 = 10.909 units: the one of 11 is 10.909 / 20.909 of 20 held.
    assert sell.quantity == RULES.round_quantity(
        Decimal(20) * (Decimal(120) / 11) / (Decimal(120) / 12 + Decimal(120) / 11)
    )
    assert sell.intent_id == make_intent_id(
        "grid", "BTC/USDT", make_candles(closes)[-1].open_time, IntentKind.EXIT
    )


def test_selling_the_last_held_slice_sells_the_whole_position() -> None:
    [sell] = decide([*INSIDE[:6], 11.6, 12.4, 13.1], holding("10.3"))
    assert (sell.quantity, sell.reason) == (Decimal("10.3"), "grid_sell_last_slice")


def test_a_rise_through_a_line_whose_slice_below_was_never_bought_sells_nothing() -> None:
    # Bought at 12 only; rising back through 12 is the sell line of 11, which is not held.
    assert decide([*INSIDE[:6], 11.6, 12.3], holding("10")) == []


def test_a_line_still_held_is_not_bought_again() -> None:
    assert decide([*INSIDE[:6], 11.6, 12.4, 11.7], holding("10")) == []
    assert len(decide([*INSIDE[:6], 11.6, 12.4, 11.7])) == 1  # flat (stopped out): it buys again


def test_a_slice_sold_at_the_line_above_can_be_bought_again() -> None:
    # Bought at 12 and 11; the rise to 12.1 sold the slice of 11 (the one of 12 waits for 13).
    [buy] = decide([*INSIDE[:5], 11.6, 10.6, 12.1, 10.9], holding("10.9"))
    assert buy.limit_price == Decimal(11)


def test_above_the_range_the_whole_position_is_sold() -> None:
    [sell] = decide([*ABOVE[:7], 14.2, 14.3], holding("7"))
    assert (sell.quantity, sell.reason) == (Decimal(7), "grid_above_range")


def test_a_rest_that_could_not_be_sold_is_sold_with_the_slice() -> None:
    # Two slices held, but the risk chain sized them far below slice_quote: selling one slice's share of
    # 0.6 would leave 0.287 units (3.50 USDT at 12.2), under the minimum notional of 5: nobody could sell it.
    closes = [*INSIDE[:5], 11.6, 10.6, 11.5, 12.2]
    [sell] = decide(closes, holding("0.6"))
    assert sell.quantity == Decimal("0.6")
    [sell] = decide(closes, holding("1"))
    assert sell.quantity == Decimal("0.52173")  # 1 x 10.909 / 20.909, rounded down: 5.83 USDT are left


def test_no_sell_without_a_position() -> None:
    assert decide([*INSIDE[:5], 11.6, 10.6, 11.5, 12.2]) == []
    assert decide([*ABOVE[:7], 14.2, 14.3]) == []


def test_the_warmup_is_the_memory_and_a_slice_bought_before_it_is_forgotten() -> None:
    grid = Grid("grid", "1h", PARAMS)
    assert grid.warmup == 9
    # Bought at 12 nine candles ago: out of memory, so rising through 13 sells nothing; eight ago, it sells.
    assert decide([12.5, 11.6, *([12.4] * 7), 13.1], holding("10")) == []
    assert len(decide([12.5, 11.6, *([12.4] * 6), 13.1], holding("10"))) == 1


def test_intents_do_not_look_ahead() -> None:
    closes = [*ABOVE, 13.5, 12.5, 11.6, 10.6, 11.5, 12.2, 13.4, 14.6]
    series, spiked = make_candles(closes), make_candles([*closes, 1.0])
    for end in range(1, len(series) + 1):
        for position in (None, holding("10"), holding("25")):
            view, later = view_of(series[:end], position), view_of(spiked[:end], position)
            assert Grid("grid", "1h", PARAMS).on_candles(later) == Grid("grid", "1h", PARAMS).on_candles(view)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.floats(-0.06, 0.06), min_size=10, max_size=60), st.sampled_from([None, "5", "20", "40"]))
def test_only_the_last_warmup_candles_and_the_position_matter(steps: list[float], held: str | None) -> None:
    closes = [float(c) for c in 12.0 * np.exp(np.cumsum(steps))]
    grid = Grid("grid", "1h", PARAMS)
    candles = make_candles(closes)
    position = holding(held) if held is not None else None
    for end in range(grid.warmup, len(candles) + 1):
        prefix = candles[:end]
        intents = grid.on_candles(view_of(prefix, position))
        assert intents == grid.on_candles(view_of(prefix[-grid.warmup :], position))
        assert len({intent.intent_id for intent in intents}) == len(intents)
        assert len({intent.kind for intent in intents}) <= 1  # a candle buys or sells, never both
        for intent in intents:
            if intent.kind is IntentKind.ENTRY:
                assert intent.limit_price is not None and 10 < intent.limit_price < 14
                assert intent.stop_price == Decimal("9.8")
            else:
                assert position is not None and intent.quantity is not None
                assert 0 < intent.quantity <= position.quantity


def test_low_and_high_are_required_and_high_above_low() -> None:
    with pytest.raises(ValueError, match=r"grid\.low=None is invalid: allowed a price > 0 \(required\)"):
        GridParams(high=Decimal(2))
    with pytest.raises(
        ValueError, match=r"grid\.high=Decimal\('1'\) is invalid: allowed greater than low \(2\)"
    ):
        GridParams(low=Decimal(2), high=Decimal(1))


@pytest.mark.parametrize(
    ("field", "value"),
    [("low", Decimal(0)), ("levels", 2), ("slice_quote", Decimal(0)), ("stop_below", 0.0),
     ("stop_below", 0.5), ("memory", 1), ("low", 10.0)],
)  # fmt: skip
def test_invalid_params_name_the_field_the_value_and_what_is_allowed(field: str, value: object) -> None:
    values = {"low": Decimal(10), "high": Decimal(14), field: value}
    with pytest.raises(ValueError, match="allowed") as raised:
        GridParams(**values)  # type: ignore[arg-type]
    assert f"grid.{field}" in str(raised.value) and repr(value) in str(raised.value)


def test_params_forbid_unknown_keys_when_validated_by_pydantic() -> None:
    pydantic = pytest.importorskip("pydantic")
    adapter = pydantic.TypeAdapter(GridParams)
    valid = adapter.validate_python({"low": "0.086", "high": "0.1"})
    assert (valid.low, valid.high) == (Decimal("0.086"), Decimal("0.1"))
    with pytest.raises(pydantic.ValidationError, match="surprise"):
        adapter.validate_python({"low": "1", "high": "2", "surprise": 1})


def test_a_grid_config_without_its_range_names_the_missing_keys_where_they_belong(tmp_path: Path) -> None:
    from bot.app.settings import ConfigError, load_settings

    config = tmp_path / "grid.toml"
    config.write_text('[market]\nsymbols = ["BTC/USDT"]\n[[strategies]]\nname = "g"\nkind = "grid"\n')
    with pytest.raises(ConfigError) as raised:
        load_settings(config, env={})
    keys = {problem.key for problem in raised.value.problems}
    assert {"strategies[0].params.low", "strategies[0].params.high"} <= keys
