"""The trade journal's own records: the price range a round trip was open through, and the notes a
human writes about a trade. Standard library only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class ExitReason(StrEnum):
    """Why a round trip was closed, read from the order that sold its last units.

    There is no ``breaker``: circuit breakers stop new entries (REDUCING / HALTED) and never sell a
    position; only a human's ``halt --flatten`` closes positions for the bot (``flatten``).
    """

    STOP = "stop"  # its protective stop (an order at the venue, or a stop the bot watched itself)
    TRAILING_STOP = "trailing_stop"  # the stop, after it was trailed above every entry's own stop
    TAKE_PROFIT = "take_profit"  # the take-profit limit paired with the stop (execution.take_profit_r)
    SIGNAL = "signal"  # an exit its strategy asked for
    FLATTEN = "flatten"  # the kill switch: spotbot halt --flatten, or the API's halt with flatten
    UNKNOWN = "unknown"  # an order the journal does not hold (a trade made outside the bot)


@dataclass(frozen=True, slots=True)
class PriceExcursion:
    """The lowest low and highest high of the candles a round trip was open through.

    Counted: the candles of ``timeframe`` that opened at or after ``opened_at`` and closed at or before
    ``closed_at`` (``candles`` of them; none for a trip shorter than a candle: ``lowest`` and ``highest``
    are then None). Recorded by the engine when the round trip closes (:mod:`bot.core.excursions`).
    """

    symbol: str
    opened_at: datetime
    closed_at: datetime
    timeframe: str
    candles: int
    lowest: Decimal | None
    highest: Decimal | None


@dataclass(frozen=True, slots=True)
class TradeNote:
    """A human's note on one trade (``spotbot journal note``). Append-only: never changed or removed."""

    trade_id: str  # "<run>-<n>": the n-th round trip closed in that run
    run_id: int
    bot_name: str
    text: str
    actor: str  # "cli:<user>@<host>"
    created_at: datetime
    id: int | None = None  # set once stored
