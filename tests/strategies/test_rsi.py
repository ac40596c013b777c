"""The RSI strategy: dip buying out of oversold, or momentum through a level; one entry, one exit, a stop."""

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
from strategies.indicators import rsi
from strategies.registry import build_strategy
from strategies.rsi import Rsi, RsiParams
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

DIP = RsiParams(period=2, mode="dip", stop="percent")  # oversold 30, overbought 70
MOMENTUM = RsiParams(period=2, mode="momentum", stop="percent")  # entry_level 55, exit_level 45
BASE = [10.0, 10.5] * 10  # RSI(2) swings between 33 and 67: no level is crossed in the warmup
# RSI(2) from index 20: 33.3 11.1 4.8 3.0 | 43.9 (out of oversold: ENTRY) 69.5 | 84.1 (overbought: EXIT) 94.5
A_DIP = [*BASE, 10.0, 9.0, 8.0, 7.5, 8.0, 8.5, 9.0, 10.0, 9.5]
# RSI(2) from index 20: 33.3 16.7 8.3 | 69.4 (up through 55: ENTRY) 86.9 93.9 96.0 56.6 | 21.4 (down
# through 45: EXIT) 9.6
A_RALLY = [*BASE, 10.0, 9.5, 9.0, 10.0, 11.0, 12.0, 12.5, 12.0, 11.0, 10.0]


def test_dip_mode_buys_as_the_rsi_leaves_oversold_and_sells_when_it_reaches_overbought() -> None:
    assert np.round(rsi(A_DIP, 2)[[23, 24, 25, 26]], 1).tolist() == [3.0, 43.9, 69.5, 84.1]

    intents = replay(Rsi("rsi", "1h", DIP), make_candles(A_DIP))

    assert [(i, intent.kind) for i, intent in intents] == [(24, IntentKind.ENTRY), (26, IntentKind.EXIT)]
    entry, exit_ = intents[0][1], intents[1][1]
    assert (entry.side, entry.order_type, entry.reason) == (Side.BUY, OrderType.LIMIT, "rsi_dip_entry")
    assert entry.reference_price == entry.limit_price == Decimal("8")
    assert entry.stop_price == Decimal("7.76")  # 8 x (1 - 3 %)
    assert entry.quantity is None  # the risk chain sizes it
    assert (exit_.side, exit_.order_type, exit_.reason) == (Side.SELL, OrderType.MARKET, "rsi_dip_exit")
    assert exit_.quantity == Decimal("0.5")


def test_momentum_mode_buys_the_cross_up_through_entry_level_and_sells_the_cross_down_through_exit() -> None:
    intents = replay(Rsi("rsi", "1h", MOMENTUM), make_candles(A_RALLY))

    assert [(i, intent.kind) for i, intent in intents] == [(23, IntentKind.ENTRY), (28, IntentKind.EXIT)]
    assert [intent.reason for _, intent in intents] == ["rsi_momentum_entry", "rsi_momentum_exit"]
    assert intents[0][1].stop_price == Decimal("9.7")


def test_dip_mode_does_nothing_until_the_rsi_has_been_oversold() -> None:
    assert replay(Rsi("rsi", "1h", DIP), make_candles(BASE)) == []  # RSI(2) 33 to 67: never oversold
    intents = replay(Rsi("rsi", "1h", DIP), make_candles(A_RALLY[:24]))  # RSI 8.3 then 69.4: out of it
    assert [(i, intent.kind) for i, intent in intents] == [(23, IntentKind.ENTRY)]


def test_no_entry_while_holding() -> None:
    candles = make_candles(A_DIP[:25])  # ends on the entry
    strategy = Rsi("rsi", "1h", DIP)

    assert len(strategy.on_candles(view_of(candles))) == 1
    assert strategy.on_candles(view_of(candles, position_of())) == []


def test_no_exit_without_a_position() -> None:
    assert Rsi("rsi", "1h", DIP).on_candles(view_of(make_candles(A_DIP[:27]))) == []
    assert Rsi("rsi", "1h", MOMENTUM).on_candles(view_of(make_candles(A_RALLY[:29]))) == []


def test_fewer_candles_than_the_warmup_give_no_intents() -> None:
    strategy = Rsi("rsi", "1h", DIP)
    candles = make_candles(A_DIP[:25])
    assert strategy.warmup == 21  # 10 x period + 1
    assert strategy.on_candles(view_of(candles[-20:])) == []
    assert len(strategy.on_candles(view_of(candles[-21:]))) == 1


def test_the_warmup_covers_the_settled_rsi_and_the_atr() -> None:
    assert Rsi("r", "5m", RsiParams(period=14, stop="percent")).warmup == 141
    assert Rsi("r", "5m", RsiParams(period=14, stop="atr", atr_period=14)).warmup == 141
    assert Rsi("r", "5m", RsiParams(period=5, stop="atr", atr_period=20)).warmup == 81


def test_an_atr_stop_is_close_minus_the_atr_multiple_rounded_down_to_the_tick() -> None:
    params = RsiParams(period=2, mode="dip", stop="atr", atr_period=3, atr_multiple=2.0)
    candles = make_candles(A_DIP[:25], spread=0.37)

    [entry] = Rsi("rsi", "1h", params).on_candles(view_of(candles))

    recent = candles[-13:]  # 4 x atr_period + 1
    assert entry.stop_price == atr_stop(recent, 8.0, 3, 2.0) < entry.reference_price


def test_intents_do_not_look_ahead() -> None:
    for params in (DIP, MOMENTUM):
        assert_intents_do_not_look_ahead(lambda params=params: Rsi("rsi", "1h", params), A_DIP)


def test_intent_ids_are_deterministic_and_named_by_strategy_symbol_candle_and_kind() -> None:
    assert_intent_ids_are_deterministic(lambda: Rsi("rsi", "1h", DIP), make_candles(A_DIP[:25]))


params_of_both_modes = st.builds(
    lambda mode, stop, period: RsiParams(period=period, mode=mode, stop=stop, atr_period=5),
    st.sampled_from(["dip", "momentum"]),
    st.sampled_from(["atr", "percent"]),
    st.integers(2, 6),
)


@settings(max_examples=60, deadline=None)
@given(closes_walk, params_of_both_modes)
def test_only_the_last_warmup_candles_matter(closes: list[float], params: RsiParams) -> None:
    assert_only_the_last_warmup_candles_matter(Rsi("rsi", "1h", params), closes)


@settings(max_examples=60, deadline=None)
@given(closes_walk, params_of_both_modes)
def test_entries_and_exits_alternate_and_entries_always_carry_a_stop_below_the_price(
    closes: list[float], params: RsiParams
) -> None:
    assert_entries_and_exits_alternate_with_stops_below(Rsi("rsi", "1h", params), closes)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.builds(
        lambda mode, period, low, gap: RsiParams(
            period=period,
            mode=mode,
            oversold=low,
            overbought=low + gap,
            exit_level=low,
            entry_level=low + gap,
            stop="percent",
        ),
        st.sampled_from(["dip", "momentum"]),
        st.integers(2, 8),
        st.sampled_from([20.0, 30.0, 45.0, 50.0]),
        st.sampled_from([0.5, 10.0, 25.0]),
    ),
    price_paths(),
)
def test_every_candle_where_the_strategy_acts_is_a_candidate(params: RsiParams, closes: np.ndarray) -> None:
    assert_the_scan_keeps_every_acting_candle(Rsi("rsi", "1m", params), closes)


def test_the_scan_skips_most_flat_candles_of_a_random_walk() -> None:
    closes = 100 * np.exp(np.cumsum(np.random.default_rng(7).normal(0, 0.002, 20_000)))
    for mode in ("dip", "momentum"):
        strategy = Rsi("rsi", "1m", RsiParams(mode=mode, stop="percent"))  # type: ignore[arg-type]
        assert isinstance(strategy, ScansCandidates)
        found = strategy.scan_candidates(columns(closes))
        assert 0 < found.flat.size < 0.1 * closes.size, f"{mode}: {found.flat.size} entry candidates"
        assert 0 < found.holding.size < 0.25 * closes.size, f"{mode}: {found.holding.size} exit candidates"
        assert found.flat.min() >= strategy.warmup - 1 and np.all(np.diff(found.flat) > 0)


def test_a_series_shorter_than_the_warmup_has_no_candidates() -> None:
    strategy = Rsi("rsi", "1m", RsiParams(period=3))
    found = strategy.scan_candidates(columns(np.linspace(1, 2, strategy.warmup - 1)))
    assert found.flat.size == found.holding.size == 0


def test_the_decision_window_gives_talibs_long_history_rsi_within_a_hundredth_of_a_point(
    shared_data: Path,
) -> None:
    # The strategy sees only its window (10 x period + 1 closes), TA-Lib the whole history: the
    # window's seed keeps (1 - 1/14) ** 126 ~ 1e-4 of the weight, observed 0.005 RSI points apart.
    close = np.loadtxt(shared_data / "ETH_BTC-5m.csv", delimiter=",", skiprows=1)[:, 4]
    window = RsiParams(period=14).rsi_window
    ours = [rsi(close[end - window : end], 14)[-1] for end in range(window, close.size + 1, 7)]
    theirs = talib.RSI(close, 14)[window - 1 :: 7]
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=0.01)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("period", 1),
        ("period", True),
        ("mode", "contrarian"),
        ("entry_level", 100.0),
        ("exit_level", 60.0),  # above entry_level 55
        ("oversold", 0.0),
        ("overbought", 25.0),  # not above oversold 30
        ("stop", "trailing"),
        ("stop_percent", 0.0),
        ("atr_period", 1),
        ("atr_multiple", -1.0),
    ],
)
def test_invalid_params_name_the_field_the_value_and_what_is_allowed(field: str, value: object) -> None:
    with pytest.raises(ValueError, match="allowed") as raised:
        RsiParams(**{field: value})  # type: ignore[arg-type]
    assert f"rsi.{field}" in str(raised.value) and repr(value) in str(raised.value)


def test_params_forbid_unknown_keys_when_validated_by_pydantic() -> None:
    pydantic = pytest.importorskip("pydantic")
    adapter = pydantic.TypeAdapter(RsiParams)
    assert adapter.validate_python({"mode": "momentum"}) == RsiParams(mode="momentum")
    with pytest.raises(pydantic.ValidationError, match="surprise"):
        adapter.validate_python({"surprise": 1})


def test_the_rsi_kind_is_built_from_the_registry() -> None:
    strategy = build_strategy("rsi", "dips", "5m", {"mode": "dip", "oversold": 25.0})
    assert isinstance(strategy, Rsi) and strategy.params == RsiParams(mode="dip", oversold=25.0)
