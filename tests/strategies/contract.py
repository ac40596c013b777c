"""The contract every built-in strategy keeps, checked the same way for each (property tests call these).

- Only the last ``warmup`` candles matter (a daemon started at any time decides like a backtest).
- Entries and exits alternate, and every entry has a stop below its price, both on the tick grid.
- A vectorised scan names every candle where ``on_candles`` acts (backtests tick only there).
"""

from __future__ import annotations

import numpy as np

from bot.domain import IntentKind
from strategies.base import Strategy
from tests.strategies.test_crossing_candidates import acting_indices, columns
from tests.strategies.test_ma_crossover import RULES, make_candles, position_of, replay, view_of


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
