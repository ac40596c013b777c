"""What one send of an order came to, as the caller gets it back from the order gateway."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.domain import Order, OrderRejected


class SendOutcome(StrEnum):
    PLACED = "placed"  # acknowledged by the venue (or stored by an earlier run: not sent again)
    UNKNOWN = "unknown"  # not sent yet (retry later) or no readable answer: settled by a look-up
    REFUSED = "refused"  # the venue refused it: it will never work


@dataclass(frozen=True, slots=True)
class SendResult:
    """What one :meth:`OrderGateway.send` came to: the order as now booked, and why it was refused."""

    outcome: SendOutcome
    order: Order
    refusal: OrderRejected | None = None

    @property
    def refused(self) -> bool:
        return self.outcome is SendOutcome.REFUSED
