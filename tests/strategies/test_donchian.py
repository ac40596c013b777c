"""The Donchian breakout: an entry when the close breaks the channel on high volume, an exit below the
exit channel, nothing else."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import Candle, IntentKind, MarketRules, OrderIntent, OrderType, Position, Side, make_intent_id
from strategies.base import StrategyView
from strategies.donchian import Donchian, DonchianParams
from tests.strategies.contract import atr_stop

HOUR_MS = 3_600_000
T0 = 1_704_067_200_000  # 2024-01-01T00:00:00Z
NOW = datetime(2024, 1, 2, tzinfo=UTC)
RULES = MarketRules(
    "BTC/USDT", "BTC", "USDT", Decimal("0.01"), Decimal("0.00001"), Decimal(5), Decimal("0.001"),
    Decimal("0.001"),
)  # fmt: skip
SMALL = DonchianParams(entry_period=3, exit_period=2, volume_period=3, volume_multiple=2.0)
Bar = tuple[float, float, float, float]  # close, high, low, volume
QUIET: list[Bar] = [(10.0, 10.5, 9.5, 1.0)] * 4


def make_candles(bars: Sequence[Bar]) -> list[Candle]:
    return [
        Candle("BTC/USDT", "1h", T0 + i * HOUR_MS, close, high, low, close, volume)
        for i, (close, high, low, volume) in enumerate(bars)
    ]


def view_of(candles: Sequence[Candle], position: Position | None = None) -> StrategyView:
    return StrategyView("BTC/USDT", "1h", candles, position, RULES, NOW)


def holding(quantity: str = "0.5") -> Position:
    return Position("BTC/USDT", Decimal(quantity), Decimal("11"), NOW, stop_price=Decimal("9.5"))


def decide(
    bars: Sequence[Bar], position: Position | None = None, params: DonchianParams = SMALL
) -> list[OrderIntent]:
    return Donchian("don", "1h", params).on_candles(view_of(make_candles(bars), position))


def test_a_close_above_the_channel_on_double_volume_buys_at_the_close_with_the_exit_low_as_stop() -> None:
    candles = make_candles([*QUIET[:3], (10.2, 10.4, 9.8, 1.0), (11.0, 11.1, 10.6, 2.0)])
    [entry] = Donchian("don", "1h", SMALL).on_candles(view_of(candles))

    assert (entry.kind, entry.side, entry.order_type) == (IntentKind.ENTRY, Side.BUY, OrderType.LIMIT)
    assert entry.reference_price == entry.limit_price == Decimal("11")
    assert entry.stop_price == Decimal("9.5")  # the lowest low of the previous 2 candles
    assert entry.quantity is None  # the risk chain sizes it
    assert entry.reason == "donchian_breakout"
    assert entry.intent_id == make_intent_id("don", "BTC/USDT", candles[-1].open_time, IntentKind.ENTRY)


def test_a_breakout_without_volume_confirmation_is_not_bought() -> None:
    assert decide([*QUIET, (11.0, 11.1, 10.6, 1.99)]) == []
    assert len(decide([*QUIET, (11.0, 11.1, 10.6, 2.0)])) == 1


def test_volume_multiple_zero_turns_the_confirmation_off() -> None:
    params = DonchianParams(entry_period=3, exit_period=2, volume_period=3, volume_multiple=0)
    assert len(decide([*QUIET, (11.0, 11.1, 10.6, 0.0)], params=params)) == 1


def test_a_close_at_the_channel_high_is_not_a_breakout() -> None:
    assert decide([*QUIET, (10.5, 10.9, 10.1, 5.0)]) == []
    assert len(decide([*QUIET, (10.51, 10.9, 10.1, 5.0)])) == 1


def test_the_channel_is_of_the_previous_candles_only() -> None:
    # The breakout candle's own high is far above its close: the channel it breaks is the earlier candles'.
    assert len(decide([*QUIET, (11.0, 20.0, 10.6, 5.0)])) == 1


def test_an_atr_stop_is_the_atr_multiple_below_the_close_rounded_down() -> None:
    params = DonchianParams(entry_period=3, exit_period=2, volume_period=3, stop="atr", atr_period=3,
                            atr_multiple=1.5)  # fmt: skip
    bars = [*([(10.0, 10.5, 9.5, 1.0)] * 12), (11.0, 11.1, 10.6, 3.0)]
    [entry] = decide(bars, params=params)

    recent = make_candles(bars)[-params.atr_window :]
    assert entry.stop_price == atr_stop(recent, 11.0, 3, 1.5)


def test_a_close_below_the_exit_channel_sells_the_whole_position() -> None:
    [exit_] = decide([*QUIET, (9.4, 9.9, 9.3, 1.0)], holding("0.7"))

    assert (exit_.kind, exit_.side, exit_.order_type) == (IntentKind.EXIT, Side.SELL, OrderType.MARKET)
    assert exit_.quantity == Decimal("0.7")
    assert exit_.reason == "donchian_channel_exit"


def test_a_close_at_the_exit_channel_low_holds() -> None:
    assert decide([*QUIET, (9.5, 9.9, 9.4, 1.0)], holding()) == []


def test_no_entry_while_holding_and_no_exit_while_flat() -> None:
    assert decide([*QUIET, (11.0, 11.1, 10.6, 2.0)], holding()) == []
    assert decide([*QUIET, (9.4, 9.9, 9.3, 1.0)]) == []


def test_the_warmup_covers_every_channel_and_the_atr() -> None:
    assert Donchian("d", "1h", SMALL).warmup == 4
    assert Donchian("d", "1h", DonchianParams(entry_period=20, exit_period=10, volume_period=30)).warmup == 31
    assert Donchian("d", "1h", DonchianParams(entry_period=20, stop="atr", atr_period=14)).warmup == 57
    bars = [*QUIET, (11.0, 11.1, 10.6, 2.0)]
    assert decide(bars[-3:]) == []  # fewer candles than the warmup
    assert len(decide(bars[-4:])) == 1


def test_intents_do_not_look_ahead() -> None:
    bars = [*QUIET, (11.0, 11.1, 10.6, 2.0), (10.0, 10.2, 9.0, 1.0), (8.0, 8.5, 7.5, 1.0)]
    series = make_candles(bars)
    spiked = make_candles([*bars, (50.0, 50.0, 1.0, 100.0)])
    strategy = Donchian("don", "1h", SMALL)
    for end in range(1, len(series) + 1):
        for position in (None, holding()):
            expected = strategy.on_candles(view_of(series[:end], position))
            assert strategy.on_candles(view_of(spiked[:end], position)) == expected


walks = st.lists(st.tuples(st.floats(-0.03, 0.03), st.floats(0.0, 5.0)), min_size=30, max_size=120)


@settings(max_examples=60, deadline=None)
@given(walks, st.sampled_from(["channel", "atr"]))
def test_only_the_last_warmup_candles_and_the_position_matter(
    steps: list[tuple[float, float]], stop: str
) -> None:
    closes = 100.0 * np.exp(np.cumsum([s for s, _ in steps]))
    bars = [(float(c), float(c) * 1.01, float(c) * 0.99, v) for c, (_, v) in zip(closes, steps, strict=True)]
    params = DonchianParams(entry_period=5, exit_period=3, volume_period=4, volume_multiple=1.2,
                            stop=stop, atr_period=3)  # type: ignore[arg-type]  # fmt: skip
    strategy = Donchian("don", "1h", params)
    candles = make_candles(bars)
    for end in range(strategy.warmup, len(candles) + 1):
        for position in (None, holding()):
            prefix = candles[:end]
            intents = strategy.on_candles(view_of(prefix, position))
            assert intents == strategy.on_candles(view_of(prefix[-strategy.warmup :], position))
            for intent in intents:
                if intent.kind is IntentKind.ENTRY:
                    assert intent.stop_price is not None and 0 < intent.stop_price < intent.reference_price


@pytest.mark.parametrize(
    ("field", "value"),
    [("entry_period", 1), ("exit_period", 0), ("volume_period", 0), ("volume_multiple", -1.0),
     ("stop", "percent"), ("atr_period", 1), ("atr_multiple", 0.0), ("entry_period", True)],
)  # fmt: skip
def test_invalid_params_name_the_field_the_value_and_what_is_allowed(field: str, value: object) -> None:
    with pytest.raises(ValueError, match="allowed") as raised:
        DonchianParams(**{field: value})  # type: ignore[arg-type]
    assert f"donchian.{field}" in str(raised.value) and repr(value) in str(raised.value)


def test_params_forbid_unknown_keys_when_validated_by_pydantic() -> None:
    pydantic = pytest.importorskip("pydantic")
    adapter = pydantic.TypeAdapter(DonchianParams)
    assert adapter.validate_python({"entry_period": 30}) == DonchianParams(entry_period=30)
    with pytest.raises(pydantic.ValidationError, match="surprise"):
        adapter.validate_python({"surprise": 1})
