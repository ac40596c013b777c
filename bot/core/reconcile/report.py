"""What one reconciliation did and found, and the trading state it recommends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from bot.domain import Balance, Fill, Order, TradingState, TradingStatus


class MismatchKind(StrEnum):
    VENUE_SHORT = "venue_short"  # the venue holds less than the fills say: it might sell what is missing
    VENUE_EXCESS = "venue_excess"  # the venue holds more: foreign funds, or fills the bot cannot see
    FILLS_INCONSISTENT = "fills_inconsistent"  # the stored fills sell more than they bought


@dataclass(frozen=True, slots=True)
class PositionMismatch:
    """One base asset whose venue balance disagrees with the position the stored fills give.

    ``expected`` is what the venue should hold by the bot's fills (buys net of fees taken in the coin);
    ``tolerance`` is the difference allowed either way (one lot step).
    """

    asset: str
    symbols: tuple[str, ...]
    kind: MismatchKind
    bot_quantity: Decimal
    expected: Decimal
    venue_quantity: Decimal
    tolerance: Decimal
    detail: str = ""

    @property
    def difference(self) -> Decimal:
        """Venue minus expected: negative when the venue is short."""
        return self.venue_quantity - self.expected


@dataclass(frozen=True, slots=True)
class LookupFailure:
    """A venue call that failed (retries exhausted): what was asked, about what, and the error."""

    operation: str
    subject: str  # a client order id, a symbol, or "account"
    error: str


@dataclass(frozen=True, slots=True)
class ReconcileReport:
    """The outcome of :meth:`bot.core.reconcile.Reconciler.reconcile`.

    - ``order_updates``: every order whose state was recorded from the venue's answer (an OrderEvent
      with detail "reconciled"), including the ``expired_orders`` (detail "not at venue after restart").
    - ``unknown_open_orders``: orders open at the venue under our client id prefix that the audit DB does
      not have. Never cancelled here.
    - ``duplicate_orders``: venue orders under a client id the DB has booked for another venue order.
    - ``adopted_fills``: venue fills stored for the first time by this reconciliation.
    - ``mismatches``: base assets whose venue balance (total) disagrees with the stored fills' positions
      beyond dust; only compared when the balances could be read.
    - ``complete``: False if any venue call failed; nothing was guessed for what it would have told.
    """

    at: datetime
    complete: bool
    checked_orders: int
    order_updates: tuple[Order, ...]
    expired_orders: tuple[Order, ...]
    unknown_open_orders: tuple[Order, ...]
    adopted_fills: tuple[Fill, ...]
    mismatches: tuple[PositionMismatch, ...]
    failures: tuple[LookupFailure, ...]
    quote_balance: Balance | None = None  # the venue's quote balance, None if balances were not read
    duplicate_orders: tuple[Order, ...] = ()  # a second venue order under a client id the DB has booked

    @property
    def adopted_fill_count(self) -> int:
        return len(self.adopted_fills)

    @property
    def recommended_state(self) -> TradingState:
        """HALTED if the venue holds less than the bot thinks (or the fills contradict themselves);
        REDUCING if it holds more, if it has open orders under our prefix that the DB lacks (another
        daemon on the same account?), or if the reconciliation is incomplete; else ACTIVE."""
        kinds = {m.kind for m in self.mismatches}
        if kinds & {MismatchKind.VENUE_SHORT, MismatchKind.FILLS_INCONSISTENT}:
            return TradingState.HALTED
        if MismatchKind.VENUE_EXCESS in kinds or self.unknown_open_orders or self.duplicate_orders:
            return TradingState.REDUCING
        if not self.complete:
            return TradingState.REDUCING
        return TradingState.ACTIVE

    @property
    def reason(self) -> str:
        """A reason code for the recommended state (for a :class:`TradingStatus` event)."""
        kinds = {m.kind for m in self.mismatches}
        for kind in (MismatchKind.FILLS_INCONSISTENT, MismatchKind.VENUE_SHORT, MismatchKind.VENUE_EXCESS):
            if kind in kinds:
                return f"reconcile_{kind.value}"
        if self.duplicate_orders:
            return "reconcile_duplicate_client_id"
        if self.unknown_open_orders:
            return "reconcile_unknown_venue_orders"
        return "reconciled" if self.complete else "reconcile_incomplete"

    def trading_status(self) -> TradingStatus:
        return TradingStatus(self.recommended_state, self.reason, self.at)

    @property
    def outcome(self) -> str:
        """``clean``, ``mismatch`` (the venue disagreed with the journal), ``incomplete`` (a call failed)."""
        if not self.complete:
            return "incomplete"
        return "mismatch" if self.mismatches else "clean"

    def summary(self) -> dict[str, object]:
        """Key-value fields for one log line."""
        return {
            "complete": self.complete,
            "recommended_state": self.recommended_state.value,
            "reason": self.reason,
            "checked_orders": self.checked_orders,
            "updated_orders": len(self.order_updates),
            "expired_orders": [o.client_order_id for o in self.expired_orders],
            "unknown_open_orders": [o.client_order_id for o in self.unknown_open_orders],
            "duplicate_orders": [o.client_order_id for o in self.duplicate_orders],
            "adopted_fills": self.adopted_fill_count,
            "mismatches": [f"{m.asset}:{m.kind.value}:{m.difference}" for m in self.mismatches],
            "failures": [f"{f.operation}({f.subject}): {f.error}" for f in self.failures],
        }
