"""Reconciliation with the venue at start-up and periodically (issue #4): see :mod:`.reconciler`."""

from bot.core.reconcile.holdings import compare_holdings, stored_trade_cursors
from bot.core.reconcile.orders import NOT_AT_VENUE, RECONCILED, ReconcileStore, TracksOrders
from bot.core.reconcile.reconciler import Reconciler
from bot.core.reconcile.report import LookupFailure, MismatchKind, PositionMismatch, ReconcileReport

__all__ = [
    "NOT_AT_VENUE",
    "RECONCILED",
    "LookupFailure",
    "MismatchKind",
    "PositionMismatch",
    "ReconcileReport",
    "ReconcileStore",
    "Reconciler",
    "TracksOrders",
    "compare_holdings",
    "stored_trade_cursors",
]
