"""Ports: what the engine needs from the outside world, as Protocols.

Adapters implement them: the offline sim market and a ccxt market for :class:`MarketData`; the paper
broker and a ccxt broker for :class:`Broker`; the SQLAlchemy store for :class:`AuditStore`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from bot.domain import (
    Balance,
    Candle,
    EquitySnapshot,
    Fill,
    MarketRules,
    Order,
    OrderEvent,
    OrderIntent,
    RiskDecision,
    TradingStatus,
)

if TYPE_CHECKING:
    from bot.domain.journal import PriceExcursion
    from bot.domain.records import RunRecord, TradingStateEvent
    from bot.domain.series import CandleSeries


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, tz-aware UTC."""
        ...


class MarketData(Protocol):
    """Closed candles and market rules for a set of symbols on one venue."""

    venue: str

    def symbols(self) -> Sequence[str]: ...

    def rules(self, symbol: str) -> MarketRules: ...

    def closed_candles(self, symbol: str, timeframe: str, *, until_ms: int, limit: int) -> Sequence[Candle]:
        """Up to ``limit`` most recent candles whose close time is <= ``until_ms``, oldest first.

        Never returns a candle that is still forming at ``until_ms``.
        """
        ...

    def current_price(self, symbol: str, at_ms: int) -> float | None:
        """The price a market order sent at ``at_ms`` would trade around (sim: the open of the candle
        starting at ``at_ms``; live: the order book). ``None`` if there is no price (e.g. replay ended).
        """
        ...


BookLevels = list[tuple[Decimal, Decimal]]  # (price, amount), best first


@runtime_checkable
class BookDepth(Protocol):
    """Optional capability of a :class:`MarketData` on a live venue: the order book's levels.

    The paper broker walks them to fill market and marketable orders when its market provides this;
    offline markets don't (they fill at the next candle's open).
    """

    def order_book(self, symbol: str, depth: int) -> tuple[BookLevels, BookLevels]:
        """Up to ``depth`` levels per side now: ``(bids, asks)``, each best first (bids high to low,
        asks low to high). An empty list for an empty side."""
        ...


@runtime_checkable
class SeriesSource(Protocol):
    """Optional capability of an offline :class:`MarketData`: each symbol's whole history as numpy columns.

    With it the paper broker matches resting orders only against candles that can fill them, and a
    backtest jumps from one candle that matters to the next (``bot.app.backtest.events``).
    """

    def series(self, symbol: str) -> CandleSeries: ...


@dataclass(frozen=True, slots=True)
class BrokerUpdate:
    """What happened at the venue since the last poll: order state changes and new fills.

    ``missing``: client order ids the broker follows as working that the venue answered it does not have.
    """

    orders: Sequence[Order] = field(default_factory=tuple)
    fills: Sequence[Fill] = field(default_factory=tuple)
    missing: Sequence[str] = field(default_factory=tuple)


class Broker(Protocol):
    """A venue that takes orders: the paper broker or a real exchange through ccxt.

    Raises only :mod:`bot.domain.errors` exceptions.
    """

    venue: str

    def place_order(self, order: Order) -> Order:
        """Send ``order`` (status PENDING, client order id set). Returns it as acknowledged.

        Fills, even immediate ones, are reported by :meth:`poll`.
        """
        ...

    def cancel_order(self, symbol: str, client_order_id: str) -> Order: ...

    def fetch_order(self, symbol: str, client_order_id: str) -> Order:
        """Look an order up by our client order id; raises ``OrderNotFound`` only on a definite answer."""
        ...

    def open_orders(self, symbol: str | None = None) -> Sequence[Order]: ...

    def balances(self) -> dict[str, Balance]: ...

    def outcome_deadline(self) -> datetime:
        """The moment after which a request sent before now can no longer take effect at the venue.

        Before it, "no such order" may only mean "not arrived yet" (a request can execute after the
        client gave up on it); after it, the answer is final.
        """
        ...

    def poll(self, now: datetime) -> BrokerUpdate:
        """Advance to ``now`` (paper: match resting orders against candles closed by then) and report
        order changes and fills since the last poll, and fills reported before but not acknowledged."""
        ...

    def acknowledge(self, fills: Sequence[Fill]) -> None:
        """These fills are in the audit DB: a poll need not report them again (until then it does, so a
        fill the DB could not take is not lost from a running bot)."""
        ...


@dataclass(frozen=True, slots=True)
class RunInfo:
    started_at: datetime
    mode: str
    venue: str
    version: str
    config_hash: str
    config: dict[str, Any]  # effective settings with secrets removed
    bot_name: str | None = None
    kind: str = "daemon"  # "daemon" (spotbot run) or "backtest" (backtest, optimize)


class AuditStore(Protocol):
    """Append-mostly audit trail. Every method is one transaction: it commits or rolls back."""

    def start_run(self, run: RunInfo) -> int: ...

    def finish_run(self, run_id: int, stopped_at: datetime, status: str) -> None: ...

    def record_intent(self, run_id: int, intent: OrderIntent, decisions: Sequence[RiskDecision]) -> bool:
        """Store an intent with its risk decisions. False (and nothing written) if the intent id exists."""
        ...

    def save_new_order(self, run_id: int, order: Order) -> bool:
        """Insert an order before it is sent. False if the client order id already exists."""
        ...

    def record_order_update(self, order: Order, event: OrderEvent) -> None:
        """Update the order's current state and append the event."""
        ...

    def record_fills(self, fills: Sequence[Fill]) -> list[Fill]:
        """Store fills once each, in one transaction; returns the new ones (not those stored before)."""
        ...

    def record_equity(self, run_id: int, snapshot: EquitySnapshot) -> None: ...

    def record_excursion(self, run_id: int, excursion: PriceExcursion) -> bool:
        """Store a closed round trip's price range once; False if it is stored already."""
        ...

    def get_order(self, client_order_id: str) -> Order | None: ...

    def orders(self, run_id: int | None = None, *, only_open: bool = False) -> list[Order]: ...

    def fills(self, run_id: int | None = None) -> list[Fill]: ...

    def record_trading_state(
        self, bot_name: str, run_id: int | None, status: TradingStatus, actor: str, flatten: bool = False
    ) -> int:
        """Append a trading state change (kill switch, resume, breaker); returns the event id."""
        ...

    def trading_state_events(self, bot_name: str, after_id: int = 0) -> list[TradingStateEvent]:
        """``bot_name``'s state changes with id > ``after_id``, oldest first (what a daemon polls)."""
        ...

    def latest_trading_state(self, bot_name: str) -> TradingStateEvent | None: ...


class AuditQueries(Protocol):
    """Read side of the audit trail, for reports and restarts. Lists come oldest first; ``None`` filters
    mean "all runs". Kept apart from :class:`AuditStore` so a writer fake need not implement reports."""

    def get_order(self, client_order_id: str) -> Order | None: ...

    def orders(self, run_id: int | None = None, *, only_open: bool = False) -> list[Order]: ...

    def fills(self, run_id: int | None = None) -> list[Fill]: ...

    def runs(self) -> list[RunRecord]: ...

    def latest_run_id(self) -> int | None: ...

    def intents(self, run_id: int | None = None) -> list[OrderIntent]: ...

    def decisions(self, run_id: int | None = None) -> list[RiskDecision]:
        """Ordered by intent time, then by position in the risk chain."""
        ...

    def order_events(
        self, client_order_id: str | None = None, run_id: int | None = None
    ) -> list[OrderEvent]: ...

    def equity_snapshots(self, run_id: int | None = None) -> list[EquitySnapshot]: ...

    def trading_state_events(self, bot_name: str, after_id: int = 0) -> list[TradingStateEvent]: ...

    def latest_trading_state(self, bot_name: str) -> TradingStateEvent | None:
        """The newest state change of ``bot_name`` (the one in force), or None."""
        ...


@dataclass(frozen=True, slots=True)
class Ports:
    """The outside world a run works through, handed as one value to each part of the engine."""

    market: MarketData
    broker: Broker
    store: AuditStore
    clock: Clock


@dataclass(frozen=True, slots=True)
class RunScope:
    """Which run this is: its id in the audit DB, the prefix of its intent ids (a bot's name on a venue,
    so a restart re-derives the same ids; the run itself offline) and the currency it counts in."""

    run_id: int
    id_scope: str
    quote_currency: str
