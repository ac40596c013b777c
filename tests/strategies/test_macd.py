"""The MACD strategy: buy the MACD line's cross above its signal line, sell the cross back below."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
import talib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain import IntentKind, OrderType, Side
from strategies.base import ScansCandidates
from strategies.indicators import macd
from strategies.macd import Macd, MacdParams
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

SMALL = MacdParams(fast=2, slow=4, signal=2, stop="percent")  # a window of 6 x (4 + 2) = 36 closes
ABOVE_ZERO = MacdParams(fast=2, slow=4, signal=2, stop="percent", only_above_zero=True)
# MACD(2, 4, 2) line / signal: index 38 -0.267 / -0.245; 39 -0.091 / -0.143 (cross up below zero: ENTRY
# unless only above zero); 42 0.359 / 0.310; 43 0.222 / 0.252 (cross down: EXIT); 44 0.109 / 0.157;
# 45 0.164 / 0.161 (cross up above zero: ENTRY); 46 0.211 / 0.195; 47 0.058 / 0.103 (cross down: EXIT)
TREND = [10.0] * 36 + [9.5, 9.0, 8.8, 9.2, 9.8, 10.4, 10.8, 10.6, 10.5, 10.9, 11.2, 10.8, 10.0]


def test_a_cross_above_the_signal_line_buys_and_the_cross_back_below_sells() -> None:
    line, signal, _ = macd(TREND, 2, 4, 2)
    assert line[38] <= signal[38] and line[39] > signal[39] and line[39] < 0

    intents = replay(Macd("macd", "1h", SMALL), make_candles(TREND))

    assert [(i, intent.kind) for i, intent in intents] == [
        (39, IntentKind.ENTRY),
        (43, IntentKind.EXIT),
        (45, IntentKind.ENTRY),
        (47, IntentKind.EXIT),
    ]
    entry, exit_ = intents[0][1], intents[1][1]
    assert (entry.side, entry.order_type, entry.reason) == (Side.BUY, OrderType.LIMIT, "macd_cross_up")
    assert entry.reference_price == entry.limit_price == Decimal("9.2")
    assert entry.stop_price == Decimal("8.92")  # 9.2 x (1 - 3 %), rounded down to the tick
    assert entry.quantity is None  # the risk chain sizes it
    assert (exit_.side, exit_.order_type, exit_.reason) == (Side.SELL, OrderType.MARKET, "macd_cross_down")
    assert exit_.quantity == Decimal("0.5")


def test_only_above_zero_skips_a_cross_below_zero_and_buys_the_one_above() -> None:
    intents = replay(Macd("macd", "1h", ABOVE_ZERO), make_candles(TREND))
    assert [(i, intent.kind) for i, intent in intents] == [(45, IntentKind.ENTRY), (47, IntentKind.EXIT)]


def test_no_entry_while_holding() -> None:
    candles = make_candles(TREND[:40])  # ends on the cross up
    strategy = Macd("macd", "1h", SMALL)

    assert len(strategy.on_candles(view_of(candles))) == 1
    assert strategy.on_candles(view_of(candles, position_of())) == []


def test_no_exit_without_a_position() -> None:
    assert Macd("macd", "1h", SMALL).on_candles(view_of(make_candles(TREND[:44]))) == []


def test_fewer_candles_than_the_warmup_give_no_intents() -> None:
    strategy = Macd("macd", "1h", SMALL)
    candles = make_candles(TREND[:40])
    assert strategy.warmup == 36
    assert strategy.on_candles(view_of(candles[-35:])) == []
    assert len(strategy.on_candles(view_of(candles[-36:]))) == 1


def test_the_warmup_covers_the_settled_macd_and_the_atr() -> None:
    assert Macd("m", "5m", MacdParams(stop="percent")).warmup == 210  # 6 x (26 + 9)
    assert Macd("m", "5m", MacdParams(fast=2, slow=3, signal=2, atr_period=20)).warmup == 81


def test_an_atr_stop_is_close_minus_the_atr_multiple_rounded_down_to_the_tick() -> None:
    params = MacdParams(fast=2, slow=4, signal=2, stop="atr", atr_period=3, atr_multiple=2.0)
    candles = make_candles(TREND[:40], spread=0.07)

    [entry] = Macd("macd", "1h", params).on_candles(view_of(candles))

    recent = candles[-13:]  # 4 x atr_period + 1
    assert entry.stop_price == atr_stop(recent, 9.2, 3, 2.0) < entry.reference_price


def test_intents_do_not_look_ahead() -> None:
    for params in (SMALL, ABOVE_ZERO):
        assert_intents_do_not_look_ahead(lambda params=params: Macd("macd", "1h", params), TREND)


def test_intent_ids_are_deterministic_and_named_by_strategy_symbol_candle_and_kind() -> None:
    assert_intent_ids_are_deterministic(lambda: Macd("macd", "1h", SMALL), make_candles(TREND[:40]))


small_params = st.builds(
    lambda fast, longer_by, signal, above_zero, stop: MacdParams(
        fast=fast, slow=fast + longer_by, signal=signal, only_above_zero=above_zero, stop=stop, atr_period=5
    ),
    st.integers(2, 4),
    st.integers(1, 4),
    st.integers(2, 4),
    st.booleans(),
    st.sampled_from(["atr", "percent"]),
)


@settings(max_examples=40, deadline=None)
@given(closes_walk, small_params)
def test_only_the_last_warmup_candles_matter(closes: list[float], params: MacdParams) -> None:
    assert_only_the_last_warmup_candles_matter(Macd("macd", "1h", params), closes)


@settings(max_examples=40, deadline=None)
@given(closes_walk, small_params)
def test_entries_and_exits_alternate_and_entries_always_carry_a_stop_below_the_price(
    closes: list[float], params: MacdParams
) -> None:
    assert_entries_and_exits_alternate_with_stops_below(Macd("macd", "1h", params), closes)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_params, price_paths())
def test_every_candle_where_the_strategy_acts_is_a_candidate(params: MacdParams, closes: np.ndarray) -> None:
    assert_the_scan_keeps_every_acting_candle(Macd("macd", "1m", params), closes)


def test_the_scan_skips_most_candles_of_a_random_walk() -> None:
    closes = 100 * np.exp(np.cumsum(np.random.default_rng(7).normal(0, 0.002, 20_000)))
    strategy = Macd("macd", "1m", MacdParams(stop="percent"))
    assert isinstance(strategy, ScansCandidates)
    found = strategy.scan_candidates(columns(closes))
    for candidates in (found.flat, found.holding):
        assert 0 < candidates.size < 0.1 * closes.size, f"{candidates.size} candidates"
        assert candidates.min() >= strategy.warmup - 1 and np.all(np.diff(candidates) > 0)


def test_a_series_shorter_than_the_warmup_has_no_candidates() -> None:
    strategy = Macd("macd", "1m", MacdParams(fast=3, slow=8, signal=3))
    found = strategy.scan_candidates(columns(np.linspace(1, 2, strategy.warmup - 1)))
    assert found.flat.size == found.holding.size == 0


@pytest.mark.parametrize(("fast", "slow", "signal"), [(12, 26, 9), (5, 35, 5)])
def test_the_decision_window_gives_talibs_long_history_macd_within_a_millionth_of_the_price(
    shared_data: Path, fast: int, slow: int, signal: int
) -> None:
    # The strategy sees only its window (6 x (slow + signal) closes), TA-Lib the whole history (and its own
    # seeds): the slow EMA's seed keeps under 1e-4 of the weight; observed 1.5e-8 of the price apart for
    # 12/26/9 and 1.4e-7 for 5/35/5, where the line itself is about 1e-3 of the price.
    close = np.loadtxt(shared_data / "ETH_BTC-5m.csv", delimiter=",", skiprows=1)[:, 4]
    window = MacdParams(fast=fast, slow=slow, signal=signal).macd_window
    ends = range(window, close.size + 1, 7)
    ours = np.array(
        [[v[-1] for v in macd(close[end - window : end], fast, slow, signal)[:2]] for end in ends]
    )
    line, signal_line, _ = talib.MACD(close, fast, slow, signal)
    theirs = np.stack([line[window - 1 :: 7], signal_line[window - 1 :: 7]], axis=1)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6 * close.max())


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("fast", 1),
        ("fast", True),
        ("slow", 12),  # not above fast 12
        ("signal", 1),
        ("only_above_zero", "yes"),
        ("only_above_zero", 1),
        ("stop", "trailing"),
        ("stop_percent", 0.5),
        ("atr_period", 1),
        ("atr_multiple", 0.0),
    ],
)
def test_invalid_params_name_the_field_the_value_and_what_is_allowed(field: str, value: object) -> None:
    with pytest.raises(ValueError, match="allowed") as raised:
        MacdParams(**{field: value})  # type: ignore[arg-type]
    assert f"macd.{field}" in str(raised.value) and repr(value) in str(raised.value)


def test_params_forbid_unknown_keys_when_validated_by_pydantic() -> None:
    pydantic = pytest.importorskip("pydantic")
    adapter = pydantic.TypeAdapter(MacdParams)
    assert adapter.validate_python({"fast": 24, "slow": 52}) == MacdParams(fast=24, slow=52)
    with pytest.raises(pydantic.ValidationError, match="surprise"):
        adapter.validate_python({"surprise": 1})
    with pytest.raises(pydantic.ValidationError, match="slow"):
        adapter.validate_python({"fast": 26, "slow": 26})


def test_the_macd_kind_is_built_from_the_registry() -> None:
    strategy = build_strategy("macd", "trend", "5m", {"fast": 24, "slow": 52, "only_above_zero": True})
    assert isinstance(strategy, Macd)
    assert strategy.params == MacdParams(fast=24, slow=52, only_above_zero=True)
