"""The contract every built-in strategy keeps, checked the same way for each (property tests call these).

- Only the last ``warmup`` candles matter (a daemon started at any time decides like a backtest).
- Entries and exits alternate, and every entry has a stop below its price, both on the tick grid.
- A vectorised scan names every candle where ``on_candles`` acts (backtests tick only there).
- No intent depends on a later candle, and intent ids name the strategy, symbol, candle and kind.
- An ATR stop is the close minus the multiple of Wilder's ATR, rounded down to the tick.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import ROUND_FLOOR, Decimal

import numpy as np

from bot.domain import Candle, IntentKind, make_intent_id
from strategies.base import Strategy
from strategies.indicators import wilder_atr
from tests.strategies.test_crossing_candidates import acting_indices, columns
from tests.strategies.test_ma_crossover import RULES, make_candles, position_of, replay, view_of

TICK = Decimal("0.01")  # RULES' tick size


def assert_only_the_last_warmup_candles_matter(strategy: Strategy, closes: list[float]) -> None:
    candles = make_candles(closes)
    for end in range(strategy.warmup, len(candles) + 1):
        prefix = candles[:end]
        for position in (None, position_of()):
            assert strategy.on_candles(view_of(prefix, position)) == strategy.on_candles(
                view_of(prefix[-strategy.warmup :], position)
            )


def assert_entries_and_exits_alternate_with_stops_below(strategy: Strategy, closes: list[float]) -> None:
    intents = [intent for _, intent in replay(strategy, make_candles(closes))]
    kinds = [intent.kind for intent in intents]
    assert kinds == [IntentKind.ENTRY, IntentKind.EXIT] * (len(kinds) // 2) + [IntentKind.ENTRY] * (
        len(kinds) % 2
    )
    for intent in intents:
        if intent.kind is IntentKind.ENTRY:
            assert intent.stop_price is not None and 0 < intent.stop_price < intent.reference_price
            assert RULES.is_tick_valid(intent.stop_price) and RULES.is_tick_valid(intent.reference_price)


def assert_the_scan_keeps_every_acting_candle(strategy: Strategy, closes: np.ndarray) -> None:
    found = strategy.scan_candidates(columns(closes))  # type: ignore[attr-defined]
    acting_flat, acting_holding = acting_indices(strategy, closes)  # type: ignore[arg-type]
    assert not acting_flat - set(found.flat.tolist()), "the scan left out an entry"
    assert not acting_holding - set(found.holding.tolist()), "the scan left out an exit"


def assert_intents_do_not_look_ahead(build: Callable[[], Strategy], closes: Sequence[float]) -> None:
    """A strategy that saw a later spike decides every prefix as one that never saw it."""
    series = make_candles(closes)
    spiked = [*series, *make_candles([*closes, 1_000.0])[len(closes) :]]
    seen_the_future = build()
    seen_the_future.on_candles(view_of(spiked))
    fresh = build()
    for end in range(1, len(series) + 1):
        for position in (None, position_of()):
            expected = fresh.on_candles(view_of(series[:end], position))
            assert seen_the_future.on_candles(view_of(spiked[:end], position)) == expected


def assert_intent_ids_are_deterministic(build: Callable[[], Strategy], candles: Sequence[Candle]) -> None:
    """Two instances give the same intents, the first an entry named by strategy, symbol and candle."""
    first = build().on_candles(view_of(candles))
    assert first == build().on_candles(view_of(candles))
    expected = make_intent_id(build().name, "BTC/USDT", candles[-1].open_time, IntentKind.ENTRY)
    assert first[0].intent_id == expected


def atr_stop(candles: Sequence[Candle], close: float, atr_period: int, multiple: float) -> Decimal:
    """``close`` minus ``multiple`` x Wilder's ATR of ``candles`` (the stop's window), rounded down to
    the tick."""
    atr = wilder_atr(
        [c.high for c in candles], [c.low for c in candles], [c.close for c in candles], atr_period
    )
    below = Decimal(repr(close - multiple * float(atr[-1])))
    return (below / TICK).to_integral_value(ROUND_FLOOR) * TICK
