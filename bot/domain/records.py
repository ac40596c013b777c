"""Read-side records the domain has no type for. Standard library and the domain only, for fakes too."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.domain.risk import TradingState, TradingStatus


@dataclass(frozen=True, slots=True)
class RunRecord:
    """A stored run: what :class:`bot.core.ports.RunInfo` described, plus its id and how it ended.

    ``status`` is ``"running"`` until :meth:`finish_run`; a run still ``"running"`` with no
    ``stopped_at`` after the daemon is gone ended in a crash.
    """

    id: int
    started_at: datetime
    stopped_at: datetime | None
    status: str
    mode: str
    venue: str
    version: str
    config_hash: str
    config: dict[str, Any]
    bot_name: str | None = None
    kind: str | None = None  # "daemon" or "backtest"; None for runs recorded before it was kept
    start_balances: dict[str, Any] | None = None  # live: the venue's balances at the start (strings)
    markets: dict[str, Any] | None = None  # symbol -> {"tick_size", "step_size", "min_notional"} (strings)


RUN_STATUS_RUNNING = "running"
RUN_STATUS_CRASHED = (
    "crashed"  # left running by a daemon that died (kill -9, power loss); closed at the next start
)


@dataclass(frozen=True, slots=True)
class TradingStateEvent:
    """One stored change of a bot's trading state (append-only; the latest one per bot is in force).

    ``actor`` says who changed it: ``"cli:<user>@<host>"`` for ``spotbot halt`` / ``resume``, or e.g.
    ``"engine"`` for a circuit breaker. ``flatten`` asks a HALTED bot to also close its positions.
    """

    id: int
    bot_name: str
    run_id: int | None
    state: TradingState
    reason: str
    actor: str
    flatten: bool
    occurred_at: datetime

    @property
    def status(self) -> TradingStatus:
        return TradingStatus(state=self.state, reason=self.reason, since=self.occurred_at)
