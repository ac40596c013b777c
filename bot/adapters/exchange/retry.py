"""Calling a ccxt client: translation, a shared rate-limit pause, clock resync, and retries for reads.

- Every call goes through :class:`ExchangeCaller`, which translates ccxt exceptions (``errors.py``).
- A rate-limit answer (429/418, -1003) pauses the whole client: :class:`Throttle` holds a "not before"
  time that every later call (reads and placements alike) waits for; ``Retry-After`` sets it, else a
  default penalty.
- A clock-skew answer (-1021) resyncs the client's time offset (``load_time_difference``).
- A refused key (-2015, :class:`AccessRefused`) pauses the client too, longer each time it repeats
  (30 s, 60 s... 5 min), so a banned or revoked key is not hammered; the first call that succeeds ends it.
- A pause longer than ``max_wait`` is not slept through inside a job: the call fails at once with
  ``RetryLater`` (the tick is skipped; a later one tries again), so a stop request is never held up.
- Answers are checked (:mod:`bot.adapters.exchange.answers`) before they are used: one that cannot be read is
a
  ``RetryLater`` for a read and an ``OutcomeUnknown`` for a placement or a cancel.
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

from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential, wait_random

from bot.adapters.exchange.answers import PARSE_ERRORS, Check, MalformedAnswer
from bot.adapters.exchange.errors import (
    CallKind,
    CcxtError,
    is_clock_skew,
    is_rate_limited,
    safe_detail,
    translate,
)
from bot.adapters.exchange.request_stats import RequestStats
from bot.domain.errors import AccessRefused, OutcomeUnknown, RetryLater
from bot.logs import get_logger

log = get_logger(__name__)
UNREADABLE: tuple[type[BaseException], ...] = (MalformedAnswer, *PARSE_ERRORS)

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

    def wait(self, max_wait: float = float("inf")) -> float:
        """Block until the pause is over; returns the seconds waited. A pause with more than ``max_wait``
        seconds left is not waited for: ``RetryLater`` at once."""
        waited = 0.0
        while (left := self.remaining()) > 0:
            if left > max_wait:
                raise RetryLater(f"exchange client paused for {left:.0f} s more", retry_after=left)
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
    max_wait: float = 10.0  # a longer pause fails the call at once instead of blocking the job
    key_refused_pause: float = 30.0  # after -2015; doubled at each repeat
    key_refused_max_pause: float = 300.0


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
        self._refusals = 0  # -2015 answers in a row
        self.stats = RequestStats()

    def read(
        self, operation: str, symbol: str | None, call: Callable[[], T], check: Check | None = None
    ) -> T:
        """Run a read, retrying ``RetryLater`` with backoff; raises the last domain error when exhausted.
        ``check`` raises :class:`MalformedAnswer` for an answer that cannot be used (retried too)."""
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
        result: T = retrying(self.once, operation, symbol, call, CallKind.READ, check)
        return result

    def write(
        self,
        operation: str,
        symbol: str | None,
        call: Callable[[], T],
        kind: CallKind,
        check: Check | None = None,
    ) -> T:
        """Run a placement or a cancel exactly once."""
        return self.once(operation, symbol, call, kind, check)

    def once(
        self,
        operation: str,
        symbol: str | None,
        call: Callable[[], T],
        kind: CallKind,
        check: Check | None = None,
    ) -> T:
        """One request (after the throttle), counted in :attr:`stats` by how it ended."""
        self.throttle.wait(self.policy.max_wait)
        began = time.perf_counter()
        try:
            result = self._request(operation, symbol, call, kind, check)
        except Exception as error:
            self.stats.record(operation, type(error).__name__, time.perf_counter() - began)
            raise
        self.stats.record(operation, "ok", time.perf_counter() - began)
        return result

    def _request(
        self,
        operation: str,
        symbol: str | None,
        call: Callable[[], T],
        kind: CallKind,
        check: Check | None,
    ) -> T:
        client = self.client
        json_kept = getattr(client, "enableLastJsonResponse", False) is True
        client.last_http_status = client.last_json_response = None  # set again by this call's answer
        try:
            result = call()
            if json_kept and client.last_http_status is not None and client.last_json_response is None:
                raise MalformedAnswer("malformed answer: the body is not JSON")  # ccxt returns [] or {} then
            if check is not None:
                check(result)
        except UNREADABLE as exc:
            raise self._unreadable(operation, symbol, kind, exc) from None
        except CcxtError as exc:
            error = translate(exc, operation=operation, kind=kind, symbol=symbol, client=self.client)
            if isinstance(error, AccessRefused):
                self._refusals += 1
                pause = min(
                    self.policy.key_refused_pause * 2 ** (self._refusals - 1),
                    self.policy.key_refused_max_pause,
                )
                self.throttle.pause_for(pause)
                log.warning(
                    "exchange_key_refused", operation=operation, refusals=self._refusals, pause_s=pause
                )
            elif is_rate_limited(exc):
                retry_after = getattr(error, "retry_after", None)
                pause = retry_after if retry_after is not None else self.policy.rate_limit_pause
                self.throttle.pause_for(pause)
                log.warning("exchange_rate_limited", operation=operation, symbol=symbol, pause_s=pause)
            elif is_clock_skew(exc):
                self.resync_time()
            raise error from None
        self._refusals = 0
        return result

    def _unreadable(
        self, operation: str, symbol: str | None, kind: CallKind, exc: BaseException
    ) -> Exception:
        what = f"{operation}({symbol})" if symbol else operation
        detail = str(exc) if isinstance(exc, MalformedAnswer) else f"malformed answer ({type(exc).__name__})"
        if kind.is_write:
            return OutcomeUnknown(f"{what}: {detail} (the request may have taken effect)")
        return RetryLater(f"{what}: {detail}")

    def resync_time(self) -> None:
        """Re-measure the offset between our clock and the venue's (after a -1021 answer)."""
        try:
            offset = self.client.load_time_difference()
        except CcxtError as exc:
            log.warning("exchange_time_resync_failed", error=safe_detail(exc, self.client))
            return
        log.info("exchange_time_resynced", offset_ms=offset)
