"""Calling a ccxt client: translation, a shared rate-limit pause, clock resync, and retries for reads.

- Every call goes through :class:`ExchangeCaller`, which translates ccxt exceptions (``errors.py``).
- A rate-limit answer (429/418, -1003) pauses the whole client: :class:`Throttle` holds a "not before"
  time that every later call (reads and placements alike) waits for; ``Retry-After`` sets it, else a
  default penalty.
- A clock-skew answer (-1021) resyncs the client's time offset (``load_time_difference``).
- Reads are retried with tenacity on ``RetryLater`` only: exponential backoff with jitter, bounded
  attempts; the throttle makes each retry honour ``Retry-After``. Placements and cancels are never retried
  here: the order gateway resolves an unknown outcome by client order id.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import structlog
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential, wait_random

from bot.domain.errors import RetryLater
from bot.exchange.errors import CallKind, CcxtError, is_clock_skew, is_rate_limited, safe_detail, translate

log = structlog.get_logger(__name__)

T = TypeVar("T")


class Throttle:
    """A pause shared by every call on one client: after a rate-limit answer nobody calls until it ends."""

    def __init__(
        self,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._monotonic = monotonic
        self._sleep = sleep
        self._not_before = 0.0
        self._lock = threading.Lock()

    def pause_for(self, seconds: float) -> None:
        """No call starts within ``seconds`` from now (a longer pause already set is kept)."""
        with self._lock:
            self._not_before = max(self._not_before, self._monotonic() + max(0.0, seconds))

    def remaining(self) -> float:
        with self._lock:
            return max(0.0, self._not_before - self._monotonic())

    def wait(self) -> float:
        """Block until the pause is over; returns the seconds waited."""
        waited = 0.0
        while (left := self.remaining()) > 0:
            self._sleep(left)
            waited += left
        return waited


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Retries of reads: ``attempts`` in all, waits ``initial``·2ⁿ (capped at ``maximum``) plus jitter."""

    attempts: int = 4
    initial: float = 0.5
    maximum: float = 8.0
    jitter: float = 0.5
    rate_limit_pause: float = 5.0  # pause when a rate-limit answer carries no Retry-After


class ExchangeCaller:
    """Runs client calls with translation, the shared throttle, time resync and read retries."""

    def __init__(
        self,
        client: Any,
        *,
        throttle: Throttle | None = None,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.throttle = throttle or Throttle(sleep=sleep)
        self.policy = policy or RetryPolicy()
        self._sleep = sleep

    def read(self, operation: str, symbol: str | None, call: Callable[[], T]) -> T:
        """Run a read, retrying ``RetryLater`` with backoff; raises the last domain error when exhausted."""
        retrying = Retrying(
            retry=retry_if_exception_type(RetryLater),
            stop=stop_after_attempt(self.policy.attempts),
            wait=wait_exponential(multiplier=self.policy.initial, max=self.policy.maximum)
            + wait_random(0, self.policy.jitter),
            sleep=self._sleep,
            before_sleep=lambda state: log.info(
                "exchange_read_retry",
                operation=operation,
                symbol=symbol,
                attempt=state.attempt_number,
                error=str(state.outcome.exception()) if state.outcome else None,
            ),
            reraise=True,
        )
        result: T = retrying(self.once, operation, symbol, call, CallKind.READ)
        return result

    def write(self, operation: str, symbol: str | None, call: Callable[[], T], kind: CallKind) -> T:
        """Run a placement or a cancel exactly once."""
        return self.once(operation, symbol, call, kind)

    def once(self, operation: str, symbol: str | None, call: Callable[[], T], kind: CallKind) -> T:
        self.throttle.wait()
        try:
            return call()
        except CcxtError as exc:
            error = translate(exc, operation=operation, kind=kind, symbol=symbol, client=self.client)
            if is_rate_limited(exc):
                retry_after = getattr(error, "retry_after", None)
                pause = retry_after if retry_after is not None else self.policy.rate_limit_pause
                self.throttle.pause_for(pause)
                log.warning("exchange_rate_limited", operation=operation, symbol=symbol, pause_s=pause)
            elif is_clock_skew(exc):
                self.resync_time()
            raise error from None

    def resync_time(self) -> None:
        """Re-measure the offset between our clock and the venue's (after a -1021 answer)."""
        try:
            offset = self.client.load_time_difference()
        except CcxtError as exc:
            log.warning("exchange_time_resync_failed", error=safe_detail(exc, self.client))
            return
        log.info("exchange_time_resynced", offset_ms=offset)
