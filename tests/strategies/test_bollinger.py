"""The Bollinger strategy: buy back above the lower band, sell at the middle (or the upper) band."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain import IntentKind, OrderType, Side
from strategies.base import ScansCandidates
from strategies.bollinger import Bollinger, BollingerParams
from strategies.indicators import bollinger
from strategies.registry import build_strategy
from tests.strategies.contract import (
    assert_entries_and_exits_alternate_with_stops_below,
    assert_intent_ids_are_deterministic,
    assert_intents_do_not_look_ahead,
    assert_only_the_last_warmup_candles_matter,
    assert_the_scan_keeps_every_acting_candle,
    atr_stop,
)
from tests.strategies.test_crossing_candidates import columns, price_paths
from tests.strategies.test_ma_crossover import closes_walk, make_candles, position_of, replay, view_of

MIDDLE = BollingerParams(period=4, std_devs=1.0, stop="percent")
UPPER = BollingerParams(period=4, std_devs=1.0, stop="percent", exit_band="upper")
# Bands of 4 closes, 1 std dev. Index 8: close 9.2 under the lower band 9.364; index 9: 9.4 back above
# 9.254 and under the middle 9.55 -> ENTRY; index 10: 9.6 over the middle 9.45 -> EXIT (middle); index 11:
# 9.7 over the upper band 9.667 (index 10: 9.6 still under 9.616) -> EXIT (upper).
REVERSION = [10.0, 10.1, 9.9, 10.0, 10.1, 9.9, 10.0, 9.6, 9.2, 9.4, 9.6, 9.7, 9.9, 10.4, 10.6]


def test_a_close_back_above_the_lower_band_buys_and_the_middle_band_sells() -> None:
    lower, middle, _ = bollinger(REVERSION, 4, 1.0)
    assert REVERSION[8] <= lower[8] and lower[9] < REVERSION[9] < middle[9] and REVERSION[10] >= middle[10]

    intents = replay(Bollinger("bb", "1h", MIDDLE), make_candles(REVERSION))

    assert [(i, intent.kind) for i, intent in intents] == [(9, IntentKind.ENTRY), (10, IntentKind.EXIT)]
    entry, exit_ = intents[0][1], intents[1][1]
    assert (entry.side, entry.order_type, entry.reason) == (
        Side.BUY,
        OrderType.LIMIT,
        "bollinger_back_above_lower",
    )
    assert entry.reference_price == entry.limit_price == Decimal("9.4")
    assert entry.stop_price == Decimal("9.11")  # 9.4 x (1 - 3 %), rounded down to the tick
    assert entry.quantity is None  # the risk chain sizes it
    assert (exit_.side, exit_.order_type, exit_.reason) == (
        Side.SELL,
        OrderType.MARKET,
        "bollinger_reached_middle",
    )
    assert exit_.quantity == Decimal("0.5")


def test_with_exit_band_upper_the_position_is_held_until_the_upper_band() -> None:
    intents = replay(Bollinger("bb", "1h", UPPER), make_candles(REVERSION))
    assert [(i, intent.kind) for i, intent in intents] == [(9, IntentKind.ENTRY), (11, IntentKind.EXIT)]
    assert intents[1][1].reason == "bollinger_reached_upper"


def test_no_entry_when_the_close_is_already_at_the_exit_band() -> None:
    # index 7: 9.6 under the lower band; index 8: 10.2, over the middle (9.925) and the upper (10.142)
    jump = make_candles([10.0, 10.1, 9.9, 10.0, 10.1, 9.9, 10.0, 9.6, 10.2])
    assert replay(Bollinger("bb", "1h", MIDDLE), jump) == []
    assert replay(Bollinger("bb", "1h", UPPER), jump) == []


def test_no_entry_while_holding() -> None:
    candles = make_candles(REVERSION[:10])  # ends on the entry
    strategy = Bollinger("bb", "1h", MIDDLE)

    assert len(strategy.on_candles(view_of(candles))) == 1
    assert strategy.on_candles(view_of(candles, position_of())) == []


def test_no_exit_without_a_position() -> None:
    assert Bollinger("bb", "1h", MIDDLE).on_candles(view_of(make_candles(REVERSION[:11]))) == []


def test_fewer_candles_than_the_warmup_give_no_intents() -> None:
    strategy = Bollinger("bb", "1h", MIDDLE)
    candles = make_candles(REVERSION[:10])
    assert strategy.warmup == 5  # two consecutive bands of 4 closes
    assert strategy.on_candles(view_of(candles[-4:])) == []
    assert len(strategy.on_candles(view_of(candles[-5:]))) == 1


def test_the_warmup_covers_the_bands_and_the_atr() -> None:
    assert Bollinger("b", "5m", BollingerParams(period=20, stop="percent")).warmup == 21
    assert Bollinger("b", "5m", BollingerParams(period=20, stop="atr", atr_period=14)).warmup == 57
    assert Bollinger("b", "5m", BollingerParams(period=80, stop="atr", atr_period=14)).warmup == 81


def test_an_atr_stop_is_close_minus_the_atr_multiple_rounded_down_to_the_tick() -> None:
    params = BollingerParams(period=4, std_devs=1.0, stop="atr", atr_period=2, atr_multiple=2.0)
    candles = make_candles(REVERSION[:10], spread=0.07)

    [entry] = Bollinger("bb", "1h", params).on_candles(view_of(candles))

    recent = candles[-9:]  # 4 x atr_period + 1
    assert entry.stop_price == atr_stop(recent, 9.4, 2, 2.0) < entry.reference_price


def test_intents_do_not_look_ahead() -> None:
    for params in (MIDDLE, UPPER):
        assert_intents_do_not_look_ahead(lambda params=params: Bollinger("bb", "1h", params), REVERSION)


def test_intent_ids_are_deterministic_and_named_by_strategy_symbol_candle_and_kind() -> None:
    assert_intent_ids_are_deterministic(lambda: Bollinger("bb", "1h", MIDDLE), make_candles(REVERSION[:10]))


any_params = st.builds(
    lambda period, std_devs, exit_band, stop: BollingerParams(
        period=period, std_devs=std_devs, exit_band=exit_band, stop=stop, atr_period=5
    ),
    st.integers(2, 12),
    st.sampled_from([0.5, 1.0, 2.0]),
    st.sampled_from(["middle", "upper"]),
    st.sampled_from(["atr", "percent"]),
)


@settings(max_examples=60, deadline=None)
@given(closes_walk, any_params)
def test_only_the_last_warmup_candles_matter(closes: list[float], params: BollingerParams) -> None:
    assert_only_the_last_warmup_candles_matter(Bollinger("bb", "1h", params), closes)


@settings(max_examples=60, deadline=None)
@given(closes_walk, any_params)
def test_entries_and_exits_alternate_and_entries_always_carry_a_stop_below_the_price(
    closes: list[float], params: BollingerParams
) -> None:
    assert_entries_and_exits_alternate_with_stops_below(Bollinger("bb", "1h", params), closes)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_params, price_paths())
def test_every_candle_where_the_strategy_acts_is_a_candidate(
    params: BollingerParams, closes: np.ndarray
) -> None:
    assert_the_scan_keeps_every_acting_candle(Bollinger("bb", "1m", params), closes)


def test_the_scan_skips_most_flat_candles_of_a_random_walk() -> None:
    closes = 100 * np.exp(np.cumsum(np.random.default_rng(7).normal(0, 0.002, 20_000)))
    strategy = Bollinger("bb", "1m", BollingerParams(stop="percent"))
    assert isinstance(strategy, ScansCandidates)
    found = strategy.scan_candidates(columns(closes))
    assert 0 < found.flat.size < 0.05 * closes.size, f"{found.flat.size} entry candidates"
    assert 0 < found.holding.size < 0.6 * closes.size, f"{found.holding.size} exit candidates"
    assert found.flat.min() >= strategy.warmup - 1 and np.all(np.diff(found.flat) > 0)


def test_a_series_shorter_than_the_warmup_has_no_candidates() -> None:
    strategy = Bollinger("bb", "1m", BollingerParams(period=5))
    found = strategy.scan_candidates(columns(np.linspace(1, 2, strategy.warmup - 1)))
    assert found.flat.size == found.holding.size == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("period", 1),
        ("period", True),
        ("std_devs", 0.0),
        ("std_devs", 11.0),
        ("exit_band", "lower"),
        ("stop", "trailing"),
        ("stop_percent", 0.5),
        ("atr_period", 1),
        ("atr_multiple", 0.0),
    ],
)
def test_invalid_params_name_the_field_the_value_and_what_is_allowed(field: str, value: object) -> None:
    with pytest.raises(ValueError, match="allowed") as raised:
        BollingerParams(**{field: value})  # type: ignore[arg-type]
    assert f"bollinger.{field}" in str(raised.value) and repr(value) in str(raised.value)


def test_params_forbid_unknown_keys_when_validated_by_pydantic() -> None:
    pydantic = pytest.importorskip("pydantic")
    adapter = pydantic.TypeAdapter(BollingerParams)
    assert adapter.validate_python({"period": 30}) == BollingerParams(period=30)
    with pytest.raises(pydantic.ValidationError, match="surprise"):
        adapter.validate_python({"surprise": 1})


def test_the_bollinger_kind_is_built_from_the_registry() -> None:
    strategy = build_strategy("bollinger", "range", "5m", {"period": 30, "exit_band": "upper"})
    assert isinstance(strategy, Bollinger)
    assert strategy.params == BollingerParams(period=30, exit_band="upper")
