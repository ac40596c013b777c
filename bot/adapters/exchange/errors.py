"""Translating ccxt exceptions into the project's errors, by what the caller must do.

Binance's own code and the HTTP status come first, because ccxt's class hides them:

- -2015 "Invalid API-key, IP, or permissions for action" (a revoked key, a changed IP whitelist, a
  temporary ban) is :class:`AccessRefused`, whatever ccxt calls it (``AuthenticationError`` before a first
  success, ``DDoSProtection``, a rate-limit class, after one);
- -1022 (bad signature: the wrong secret) and -2014 (a malformed key) are fatal at once;
- any HTTP 5XX after a placement or a cancel is an unknown outcome: Binance documents every 5XX as
  "execution status UNKNOWN and could have been a success", even one whose JSON code ccxt maps to a
  plain ``ExchangeError``.

Then the ccxt class tree (``notes/ccxt-binance.md`` §3) is read most-specific first:

============================================  ==========================  ==========================
ccxt exception                                read (fetch_*)              write (create/cancel order)
============================================  ==========================  ==========================
OrderNotFound                                 OrderNotFound               OrderNotFound
InsufficientFunds                             InsufficientFunds           InsufficientFunds
AuthenticationError, PermissionDenied,        FatalBrokerError            FatalBrokerError
AccountSuspended
InvalidOrder, BadRequest, BadSymbol,          InvalidOrder                InvalidOrder
OrderImmediatelyFillable
DDoSProtection, RateLimitExceeded (429/418)   RetryLater(retry_after)     RetryLater(retry_after)
InvalidNonce (-1021; the adapter resyncs)     RetryLater                  RetryLater
RequestTimeout, other NetworkError,           RetryLater                  OutcomeUnknown
ExchangeNotAvailable, OperationFailed
other ExchangeError                           RetryLater                  InvalidOrder (cancel: RetryLater)
============================================  ==========================  ==========================

A rate-limit or clock-skew answer means the venue refused to process the request, so even a placement
may be sent again (under the same client order id). A timeout or a 5xx after a placement was sent may
hide an accepted order: the caller must look it up by client order id (``OutcomeUnknown``).

Messages name the operation and the symbol and keep the venue's code and text; query strings (which
carry signatures) and the client's credentials are removed.
"""

from __future__ import annotations

import re
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any

import ccxt

from bot.domain.errors import (
    AccessRefused,
    BrokerError,
    FatalBrokerError,
    InsufficientFunds,
    InvalidOrder,
    OrderNotFound,
    OutcomeUnknown,
    RetryLater,
)

# The root of every ccxt exception; the rest of the adapter catches this name rather than importing ccxt.
CcxtError = ccxt.BaseError

_QUERY_STRING = re.compile(r"\?\S*")
_VENUE_CODE = re.compile(r'"code"\s*:\s*(-?\d+)')
KEY_REFUSED = -2015  # Binance: Invalid API-key, IP, or permissions for action
_BAD_CREDENTIALS = {
    -1022: "the signature is not valid: check the API secret",
    -2014: "the API key is malformed",
}
_MAX_DETAIL = 300


class CallKind(StrEnum):
    READ = "read"  # safe to repeat: fetches
    PLACE = "place"  # create_order: a repeat could double an order
    CANCEL = "cancel"  # cancel_order: a repeat is harmless but the outcome may be unknown

    @property
    def is_write(self) -> bool:
        return self is not CallKind.READ


_FATAL = (ccxt.AuthenticationError, ccxt.AccountSuspended)  # PermissionDenied is an AuthenticationError
_REJECTED = (ccxt.InvalidOrder, ccxt.BadRequest)  # BadSymbol, OrderImmediatelyFillable are subclasses
_RATE_LIMITED = (ccxt.DDoSProtection, ccxt.RateLimitExceeded)


def is_rate_limited(exc: BaseException) -> bool:
    return isinstance(exc, _RATE_LIMITED)


def is_clock_skew(exc: BaseException) -> bool:
    return isinstance(exc, ccxt.InvalidNonce)


def translate(
    exc: ccxt.BaseError,
    *,
    operation: str,
    kind: CallKind,
    symbol: str | None = None,
    client: Any = None,
) -> BrokerError:
    """The domain error for ``exc`` raised by ``operation`` (``"create_order"``) on ``symbol``.

    ``client`` (optional) supplies the ``Retry-After`` header of the last response and the credentials to
    scrub from the message.
    """
    what = f"{operation}({symbol})" if symbol else operation
    message = f"{what}: {type(exc).__name__}: {safe_detail(exc, client)}"
    code = venue_code(exc)
    if code == KEY_REFUSED:
        return AccessRefused(f"{message} (the venue refuses the API key: revoked, IP whitelist, or a ban)")
    if code in _BAD_CREDENTIALS:
        return FatalBrokerError(f"{message} ({_BAD_CREDENTIALS[code]})")
    status = getattr(client, "last_http_status", None)
    if kind.is_write and isinstance(status, int) and status >= 500:
        return OutcomeUnknown(f"{message} (HTTP {status}: execution status unknown)")
    if isinstance(exc, ccxt.OrderNotFound):
        return OrderNotFound(message)
    if isinstance(exc, ccxt.InsufficientFunds):
        return InsufficientFunds(message)
    if isinstance(exc, _FATAL):
        return FatalBrokerError(f"{message} (check the API key, its permissions and the account)")
    if isinstance(exc, _REJECTED):
        return InvalidOrder(message)
    if isinstance(exc, _RATE_LIMITED):
        return RetryLater(message, retry_after=retry_after_seconds(client))
    if isinstance(exc, ccxt.InvalidNonce):
        return RetryLater(f"{message} (clock skew: time resynced)")
    if isinstance(exc, ccxt.OperationFailed):  # NetworkError, RequestTimeout, ExchangeNotAvailable, ...
        if kind.is_write:
            return OutcomeUnknown(f"{message} (the request may have taken effect)")
        return RetryLater(message)
    if isinstance(exc, ccxt.ExchangeError):
        return InvalidOrder(message) if kind is CallKind.PLACE else RetryLater(message)
    if kind.is_write:
        return OutcomeUnknown(message)
    return RetryLater(message)


def venue_code(exc: BaseException) -> int | None:
    """The venue's error code in a ccxt exception's message (Binance: ``{"code":-2015,...}``)."""
    match = _VENUE_CODE.search(str(exc))
    return int(match[1]) if match else None


def retry_after_seconds(client: Any) -> float | None:
    """The ``Retry-After`` of the client's last response, in seconds (delta-seconds or an HTTP date)."""
    headers = getattr(client, "last_response_headers", None)
    if not headers:
        return None
    raw = headers.get("Retry-After") if hasattr(headers, "get") else None
    if raw is None:
        raw = next((v for k, v in dict(headers).items() if str(k).lower() == "retry-after"), None)
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except (TypeError, ValueError):
        pass
    try:
        when = parsedate_to_datetime(str(raw))
    except (TypeError, ValueError):
        return None
    date_header = headers.get("Date") if hasattr(headers, "get") else None
    try:
        now = parsedate_to_datetime(str(date_header)) if date_header else None
    except (TypeError, ValueError):
        now = None
    if now is None:
        return None
    return max(0.0, (when - now).total_seconds())


def safe_detail(exc: BaseException, client: Any = None) -> str:
    """``exc``'s text without query strings (signatures) or the client's credentials, shortened."""
    text = _QUERY_STRING.sub("?…", str(exc))
    for attribute in ("apiKey", "secret", "password", "uid", "privateKey"):
        secret = getattr(client, attribute, None)
        if isinstance(secret, str) and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 1] + "…"
