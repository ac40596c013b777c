"""A strategy's failure is the strategy's, never the daemon's.

Strategies include user code (``kind = "my_file.py:MyStrategy"``). :class:`StrategyGuard` runs each
``on_candles``: an exception, or an answer that is not a list of intents, disables that strategy for the
rest of the run — no new intents from it; its positions keep their stops and are still managed by the
executor — and is logged at ERROR (which alerts) with the file and line it came from. Every other
strategy goes on. An entry without a stop is reported with the strategy's file and line; the risk chain
then denies it (``mandatory_stop``), stored like every decision.

A backtest runs the same guard, so a strategy that raises is disabled at the same candle there as in the
daemon (parity).
"""

from __future__ import annotations

import inspect
import traceback
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from bot.domain import IntentKind, OrderIntent
from bot.logs import get_logger
from strategies.base import Strategy, StrategyView

log = get_logger(__name__)


class StrategyGuard:
    """Runs strategies' ``on_candles``; remembers which failed (see the module docstring)."""

    def __init__(self, disabled: dict[str, str] | None = None) -> None:
        # strategy name -> why (with file and line); the engine passes its status's, which the API shows
        self.disabled: dict[str, str] = disabled if disabled is not None else {}

    def intents(self, strategy: Strategy, view: StrategyView) -> Sequence[OrderIntent]:
        """The strategy's intents for ``view``; none if it is disabled or fails now."""
        if strategy.name in self.disabled:
            return ()
        try:
            intents = strategy.on_candles(view)
        except Exception as exc:
            where = where_raised(exc.__traceback__, _file_of(strategy))
            self._disable(strategy, f"{where}: {type(exc).__name__}: {exc}", view)
            return ()
        if not isinstance(intents, list | tuple) or not all(isinstance(i, OrderIntent) for i in intents):
            answer = type(intents).__name__
            if isinstance(intents, list | tuple):
                answer = "a list holding " + ", ".join(sorted({type(i).__name__ for i in intents}))
            why = f"{source_of(strategy)}: on_candles returned {answer}; allowed: a list of OrderIntent"
            self._disable(strategy, why, view)
            return ()
        for intent in intents:
            if intent.kind is IntentKind.ENTRY and intent.stop_price is None:
                log.error(
                    "strategy_entry_without_stop",
                    strategy=strategy.name,
                    where=source_of(strategy),
                    intent_id=intent.intent_id,
                    detail="every entry needs a stop_price below its price; the risk chain denies it",
                )
        return intents

    def _disable(self, strategy: Strategy, why: str, view: StrategyView) -> None:
        self.disabled[strategy.name] = why
        log.error(
            "strategy_disabled",
            strategy=strategy.name,
            symbol=view.symbol,
            candle_close=view.now.isoformat(),
            error=why,
            detail="no new intents from it for the rest of the run; its positions keep their stops",
        )


def _file_of(strategy: Strategy) -> str | None:
    try:
        return inspect.getsourcefile(type(strategy))
    except TypeError:
        return None


def where_raised(tb: TracebackType | None, path: Path | str | None = None) -> str:
    """``file, line N`` of the innermost frame in ``path`` (the user's file), else of the innermost frame."""
    frames = traceback.extract_tb(tb)
    if not frames:
        return str(path) if path is not None else "(unknown place)"
    chosen = frames[-1]
    if path is not None:
        own = [frame for frame in frames if Path(frame.filename) == Path(path)]
        chosen = own[-1] if own else chosen
    return f"{chosen.filename}, line {chosen.lineno}"


def source_of(obj: object) -> str:
    """``file, line N`` where a strategy's class is defined (its ``on_candles`` if it has one)."""
    cls = obj if inspect.isclass(obj) else type(obj)
    target = getattr(cls, "on_candles", cls)
    try:
        file = inspect.getsourcefile(target) or "(unknown file)"
        line = inspect.getsourcelines(target)[1]
    except (OSError, TypeError):
        return str(getattr(cls, "__module__", "(unknown module)"))
    return f"{file}, line {line}"
