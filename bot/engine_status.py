"""What the engine shows while it runs, and how it rides out an exchange outage."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import structlog

from bot.domain import RetryLater

log = structlog.get_logger(__name__)
ZERO = Decimal(0)


@dataclass(slots=True)
class EngineStatus:
    """Counters for the live status display and the end-of-run summary (read from another thread)."""

    ticks: int = 0
    now: datetime | None = None
    equity: Decimal = ZERO
    peak_equity: Decimal = ZERO
    deepest_drawdown: float = 0.0  # the deepest fall from peak_equity among the equity recorded
    fills: int = 0
    trades: int = 0
    open_positions: int = 0
    verdicts: Counter[str] = field(default_factory=Counter)
    last_event: str = ""
    trading_state: str = "active"
    exchange_ok: bool = True


@contextmanager
def degrading_gracefully(status: EngineStatus) -> Iterator[None]:
    """An exchange that is down or slow skips the rest of this tick (nothing is decided on data that
    could not be read), logged once when it goes and once when it comes back, not on every tick."""
    try:
        yield
    except RetryLater as exc:
        if status.exchange_ok:
            log.warning("exchange_unavailable", error=str(exc), retry_after=exc.retry_after)
        status.exchange_ok = False
        return
    if not status.exchange_ok:
        log.warning("exchange_available_again")
    status.exchange_ok = True
