"""The MA crossover strategy: one entry at a bullish cross, one exit at the bearish one, nothing else."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import Candle, IntentKind, MarketRules, OrderIntent, OrderType, Position, Side, make_intent_id
from strategies.base import Strategy, StrategyView
from strategies.ma_crossover import MaCrossover, MaCrossoverParams

HOUR_MS = 3_600_000
T0 = 1_704_067_200_000  # 2024-01-01T00:00:00Z
NOW = datetime(2024, 1, 2, tzinfo=UTC)
RULES = MarketRules(
    symbol="BTC/USDT",
    base="BTC",
    quote="USDT",
    tick_size=Decimal("0.01"),
    step_size=Decimal("0.00001"),
    min_notional=Decimal("5"),
    maker_fee=Decimal("0.001"),
    taker_fee=Decimal("0.001"),
)
SMALL_SMA = MaCrossoverParams(fast=2, slow=4, ma="sma", stop="percent", stop_percent=0.03)

# fast = SMA(2), slow = SMA(4). Index 6: fast 9.5 < slow 9.75 (a bearish cross, but nothing is held);
# index 10: both 7.5; index 11: fast 9.0 > slow 8.0 -> ENTRY at close 10;
# index 15: both 12.5; index 16: fast 11.0 < slow 12.0 -> EXIT.
CROSSING = [10, 10, 10, 10, 10, 10, 9, 8, 7, 7, 8, 10, 12, 13, 13, 12, 10, 8, 7]


def make_candles(closes: Sequence[float], spread: float = 0.5) -> list[Candle]:
    return [
        Candle("BTC/USDT", "1h", T0 + i * HOUR_MS, c, c + spread, max(c - spread, c / 2), c, 1.0)
        for i, c in enumerate(closes)
    ]


def view_of(candles: Sequence[Candle], position: Position | None = None) -> StrategyView:
    return StrategyView("BTC/USDT", "1h", candles, position, RULES, NOW)


def position_of(quantity: str = "0.5") -> Position:
    return Position("BTC/USDT", Decimal(quantity), Decimal("10"), NOW, stop_price=Decimal("9"))


def replay(strategy: Strategy, candles: Sequence[Candle]) -> list[tuple[int, OrderIntent]]:
    """Feed every prefix, holding a position between an entry and an exit, as the engine would."""
    position: Position | None = None
    out: list[tuple[int, OrderIntent]] = []
    for end in range(1, len(candles) + 1):
        for intent in strategy.on_candles(view_of(candles[:end], position)):
            out.append((end - 1, intent))
            position = position_of() if intent.kind is IntentKind.ENTRY else None
    return out


def test_a_bullish_cross_gives_exactly_one_entry_and_the_bearish_cross_one_exit() -> None:
    intents = replay(MaCrossover("mac", "1h", SMALL_SMA), make_candles(CROSSING))

    assert [(i, intent.kind) for i, intent in intents] == [(11, IntentKind.ENTRY), (16, IntentKind.EXIT)]
    entry, exit_ = intents[0][1], intents[1][1]
    assert (entry.side, entry.order_type, entry.reason) == (Side.BUY, OrderType.LIMIT, "ma_cross_up")
    assert entry.reference_price == entry.limit_price == Decimal("10")
    assert entry.stop_price == Decimal("9.7")  # 10 x (1 - 3 %)
    assert entry.quantity is None  # the risk chain sizes it
    assert entry.created_at == NOW
    assert (exit_.side, exit_.order_type, exit_.reason) == (Side.SELL, OrderType.MARKET, "ma_cross_down")
    assert exit_.quantity == Decimal("0.5")


def test_no_entry_when_already_in_a_position() -> None:
    candles = make_candles(CROSSING[:12])  # ends on the bullish cross
    strategy = MaCrossover("mac", "1h", SMALL_SMA)

    assert len(strategy.on_candles(view_of(candles))) == 1
    assert strategy.on_candles(view_of(candles, position_of())) == []


def test_no_exit_without_a_position() -> None:
    candles = make_candles(CROSSING[:17])  # ends on the bearish cross
    assert MaCrossover("mac", "1h", SMALL_SMA).on_candles(view_of(candles)) == []


def test_fewer_candles_than_the_warmup_give_no_intents() -> None:
    strategy = MaCrossover("mac", "1h", SMALL_SMA)
    candles = make_candles(CROSSING[:12])
    assert strategy.warmup == 5
    assert strategy.on_candles(view_of(candles[-4:])) == []
    assert len(strategy.on_candles(view_of(candles[-5:]))) == 1


def test_the_warmup_covers_the_slow_ma_and_the_atr() -> None:
    assert MaCrossover("m", "1h", MaCrossoverParams(ma="sma", stop="percent")).warmup == 31
    assert MaCrossover("m", "1h", MaCrossoverParams(ma="sma", stop="atr", atr_period=14)).warmup == 57
    assert MaCrossover("m", "1h", MaCrossoverParams(ma="ema", slow=30)).warmup == 120


def test_an_atr_stop_is_close_minus_the_atr_multiple_rounded_down_to_the_tick() -> None:
    from tests.strategies.contract import atr_stop  # it builds on this module

    params = MaCrossoverParams(fast=2, slow=4, ma="sma", stop="atr", atr_period=3, atr_multiple=2.0)
    strategy = MaCrossover("mac", "1h", params)
    candles = make_candles([10.0] * 14 + [9.0, 8.0, 7.0, 7.0, 8.0, 10.0], spread=0.37)

    [entry] = strategy.on_candles(view_of(candles))

    recent = candles[-params.atr_window :]
    assert entry.stop_price == atr_stop(recent, 10.0, 3, 2.0)
    assert entry.stop_price is not None and entry.stop_price < entry.reference_price


def test_no_entry_when_the_stop_would_be_at_or_below_zero() -> None:
    params = MaCrossoverParams(fast=2, slow=4, ma="sma", stop="atr", atr_period=3, atr_multiple=5.0)
    candles = make_candles([10.0] * 14 + [9.0, 8.0, 7.0, 7.0, 8.0, 10.0], spread=3.0)  # ATR ~ 5
    assert MaCrossover("mac", "1h", params).on_candles(view_of(candles)) == []


def test_intents_do_not_look_ahead() -> None:
    from tests.strategies.contract import assert_intents_do_not_look_ahead  # it builds on this module

    assert_intents_do_not_look_ahead(lambda: MaCrossover("mac", "1h", SMALL_SMA), CROSSING)


def test_intent_ids_are_deterministic_across_instances_and_reruns() -> None:
    candles = make_candles(CROSSING[:12])
    first = MaCrossover("mac", "1h", SMALL_SMA).on_candles(view_of(candles))
    rerun = MaCrossover("mac", "1h", SMALL_SMA).on_candles(view_of(candles))

    assert first == rerun
    assert first[0].intent_id == make_intent_id("mac", "BTC/USDT", candles[-1].open_time, IntentKind.ENTRY)
    other_name = MaCrossover("other", "1h", SMALL_SMA).on_candles(view_of(candles))
    assert other_name[0].intent_id != first[0].intent_id


closes_walk = st.lists(st.floats(-0.05, 0.05), min_size=40, max_size=160).map(
    lambda steps: [float(c) for c in 100.0 * np.exp(np.cumsum(steps))]
)


@settings(max_examples=60, deadline=None)
@given(closes_walk, st.sampled_from(["ema", "sma"]), st.sampled_from(["atr", "percent"]))
def test_only_the_last_warmup_candles_matter(closes: list[float], ma: str, stop: str) -> None:
    params = MaCrossoverParams(fast=3, slow=8, ma=ma, stop=stop, atr_period=5)  # type: ignore[arg-type]
    strategy = MaCrossover("mac", "1h", params)
    candles = make_candles(closes)
    for end in range(strategy.warmup, len(candles) + 1):
        prefix = candles[:end]
        assert strategy.on_candles(view_of(prefix)) == strategy.on_candles(
            view_of(prefix[-strategy.warmup :])
        )


@settings(max_examples=60, deadline=None)
@given(closes_walk, st.sampled_from(["ema", "sma"]))
def test_entries_and_exits_alternate_and_entries_always_carry_a_stop_below_the_price(
    closes: list[float], ma: str
) -> None:
    params = MaCrossoverParams(fast=3, slow=8, ma=ma, atr_period=5)  # type: ignore[arg-type]
    intents = [intent for _, intent in replay(MaCrossover("mac", "1h", params), make_candles(closes))]

    kinds = [intent.kind for intent in intents]
    assert kinds == [IntentKind.ENTRY, IntentKind.EXIT] * (len(kinds) // 2) + [IntentKind.ENTRY] * (
        len(kinds) % 2
    )
    assert len({intent.intent_id for intent in intents}) == len(intents)
    for intent in intents:
        if intent.kind is IntentKind.ENTRY:
            assert intent.stop_price is not None and 0 < intent.stop_price < intent.reference_price
            assert RULES.is_tick_valid(intent.stop_price) and RULES.is_tick_valid(intent.reference_price)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("fast", 0),
        ("slow", 10),
        ("ma", "wma"),
        ("stop", "trailing"),
        ("stop_percent", 0.0),
        ("stop_percent", 1.5),
        ("atr_period", 0),
        ("atr_multiple", -1.0),
        ("fast", True),
    ],
)
def test_invalid_params_name_the_field_the_value_and_what_is_allowed(field: str, value: object) -> None:
    with pytest.raises(ValueError, match="allowed") as raised:
        MaCrossoverParams(**{field: value})  # type: ignore[arg-type]
    assert field in str(raised.value) and repr(value) in str(raised.value)


def test_params_forbid_unknown_keys_when_validated_by_pydantic() -> None:
    pydantic = pytest.importorskip("pydantic")
    adapter = pydantic.TypeAdapter(MaCrossoverParams)
    assert adapter.validate_python({"fast": 5, "slow": 20}) == MaCrossoverParams(fast=5, slow=20)
    with pytest.raises(pydantic.ValidationError, match="surprise"):
        adapter.validate_python({"fast": 5, "slow": 20, "surprise": 1})
    with pytest.raises(pydantic.ValidationError, match="slow"):
        adapter.validate_python({"fast": 5, "slow": 5})


def test_numpy_float_candles_are_priced_like_python_floats() -> None:
    # repr(np.float64(10.0)) is "np.float64(10.0)", which Decimal cannot parse
    candles = [
        replace(
            c,
            open=np.float64(c.open),
            high=np.float64(c.high),
            low=np.float64(c.low),
            close=np.float64(c.close),
        )
        for c in make_candles(CROSSING[:12])
    ]
    [entry] = MaCrossover("mac", "1h", SMALL_SMA).on_candles(view_of(candles))
    assert entry.reference_price == Decimal("10")


def test_an_unknown_timeframe_is_rejected() -> None:
    with pytest.raises(ValueError, match="timeframe"):
        MaCrossover("mac", "7m", SMALL_SMA)
