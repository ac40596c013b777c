"""What the engine does when the venue fails it: one place, around every tick, monitor run and check.

- ``RetryLater`` (the venue is down, slow, rate limiting, or answers what cannot be read): the rest of
  the tick is skipped (nothing is decided on data that could not be read), logged once when it starts
  and once when it ends.
- ``AccessRefused`` (Binance -2015: a revoked key, a changed IP whitelist, a missing permission, or a
  temporary ban): no new entries at once (REDUCING, reason ``exchange_key_refused``), one critical log
  line; the client backs off by itself. If the venue still refuses the key ``key_refused_halt_after``
  later (default 5 min), HALTED with reason ``fatal_exchange_error``: a human looks. If it accepts the
  key again before that, the REDUCING it imposed is lifted.
- ``FatalBrokerError`` (a bad signature, a malformed key, a suspended account): HALTED at once, said
  once, loudly. Only a human resumes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from bot.core.engine_status import EngineStatus
from bot.core.ports import Clock
from bot.core.trading_control import TradingControl
from bot.domain import AccessRefused, FatalBrokerError, RetryLater, TradingState, TradingStatus
from bot.logs import get_logger

log = get_logger(__name__)

KEY_REFUSED = "exchange_key_refused"
FATAL = "fatal_exchange_error"


class VenueHealth:
    def __init__(
        self,
        *,
        status: EngineStatus,
        control: TradingControl,
        clock: Clock,
        key_refused_halt_after: timedelta = timedelta(minutes=5),
    ) -> None:
        self._status = status
        self._control = control
        self._clock = clock
        self._halt_after = key_refused_halt_after
        self._refused_since: datetime | None = None

    @contextmanager
    def guard(self) -> Iterator[None]:
        """Run a tick, a monitor run or a check; what the venue's failures mean is decided here."""
        try:
            yield
        except RetryLater as exc:
            self._outage(exc)
            self._still_refused()
        except AccessRefused as exc:
            self._key_refused(exc)
        except FatalBrokerError as exc:
            self._halt(str(exc))
        else:
            self._healthy()

    def _outage(self, exc: RetryLater) -> None:
        if self._status.exchange_ok:
            log.warning("exchange_unavailable", error=str(exc), retry_after=exc.retry_after)
        self._status.exchange_ok = False

    def _key_refused(self, exc: AccessRefused) -> None:
        self._status.exchange_ok = False
        if self._refused_since is None:
            self._refused_since = self._clock.now()
            log.critical("exchange_key_refused", error=str(exc), action="no new entries",
                         halting_after_s=self._halt_after.total_seconds())  # fmt: skip
            self._control.impose(TradingStatus(TradingState.REDUCING, KEY_REFUSED, self._refused_since))
            self._status.trading_state = self._control.state.value
        self._still_refused()

    def _still_refused(self) -> None:
        """Halt once the key has been refused for longer than allowed (whatever failed since)."""
        since = self._refused_since
        if since is not None and self._clock.now() - since >= self._halt_after:
            self._halt(f"the venue has refused the API key since {since.isoformat()}")

    def _halt(self, why: str) -> None:
        if self._control.state is not TradingState.HALTED:
            log.critical("exchange_fatal_error_halting", error=why)
            self._control.impose(TradingStatus(TradingState.HALTED, FATAL, self._clock.now()))
        self._status.trading_state = self._control.state.value

    def _healthy(self) -> None:
        if self._refused_since is not None:
            log.warning("exchange_key_accepted_again", refused_since=self._refused_since.isoformat())
            self._refused_since = None
            self._control.lift(KEY_REFUSED, self._clock.now())
            self._status.trading_state = self._control.state.value
        if not self._status.exchange_ok:
            log.warning("exchange_available_again")
        self._status.exchange_ok = True
