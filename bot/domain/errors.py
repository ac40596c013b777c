"""The project's exchange error hierarchy, classed by what the caller must do.

Adapters (ccxt, the paper broker) raise only these, so the engine never needs to know a venue's
exceptions. Messages never contain secrets.
"""

from __future__ import annotations


class BrokerError(Exception):
    """Base of every error a broker or market adapter raises."""


class RetryLater(BrokerError):
    """Transient: network, rate limit, exchange busy. Safe to retry the same request later."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class OrderRejected(BrokerError):
    """The venue refused the order. Never retried as-is."""


class InsufficientFunds(OrderRejected):
    """Not enough free balance for the order."""


class InvalidOrder(OrderRejected):
    """Bad price/amount precision, below minimum notional, unknown symbol, duplicate client id..."""


class UnsupportedOrderType(InvalidOrder):
    """The venue does not take this order type on this market (e.g. no native stop orders on spot).

    Not a problem with the order's values: the caller must reach its aim another way (a stop the bot
    watches itself instead of a stop order).
    """


class OrderNotFound(BrokerError):
    """The venue positively answered that it has no such order (not a network failure)."""


class OutcomeUnknown(BrokerError):
    """The request may or may not have taken effect (timeout after sending).

    Look the order up by its client order id; never resend blindly.
    """


class AccessRefused(BrokerError):
    """The venue refuses our API key for now (Binance -2015 "Invalid API-key, IP, or permissions for
    action"): a revoked key, an IP whitelist that no longer matches, a missing permission, or a temporary
    ban. Not retried blindly and not fatal at once: no new entries, back off, halt if it lasts."""


class FatalBrokerError(BrokerError):
    """Authentication, permissions, account state: stop trading and tell a human."""
