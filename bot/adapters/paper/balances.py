"""Free and locked balances per currency, in exact ``Decimal``. Nothing here can go negative."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from bot.domain import Balance, InsufficientFunds

ZERO = Decimal(0)


class BalanceBook:
    """The paper account's wallet. Open orders lock funds; fills spend from free (after unlocking)."""

    def __init__(self, starting: Mapping[str, Decimal]) -> None:
        self._free: dict[str, Decimal] = {}
        self._locked: dict[str, Decimal] = {}
        for currency, amount in starting.items():
            amount = Decimal(amount)
            if not amount.is_finite() or amount < 0:
                raise ValueError(f"starting balance of {currency} must be >= 0, got {amount}")
            self._free[currency] = amount
            self._locked[currency] = ZERO
        self._balances: dict[str, Balance] | None = None  # snapshot cache, dropped on every change

    def free(self, currency: str) -> Decimal:
        return self._free.get(currency, ZERO)

    def locked(self, currency: str) -> Decimal:
        return self._locked.get(currency, ZERO)

    def require_free(self, currency: str, amount: Decimal, *, purpose: str) -> None:
        """Raise :class:`InsufficientFunds` unless ``amount`` of ``currency`` is free."""
        available = self.free(currency)
        if amount > available:
            raise InsufficientFunds(
                f"insufficient {currency} balance for {purpose}: needs {amount}, free {available}"
            )

    def lock(self, currency: str, amount: Decimal, *, purpose: str) -> None:
        self._balances = None
        self.require_free(currency, amount, purpose=purpose)
        self._free[currency] = self.free(currency) - amount
        self._locked[currency] = self.locked(currency) + amount

    def unlock(self, currency: str, amount: Decimal) -> None:
        self._balances = None
        locked = self.locked(currency)
        if amount > locked:
            raise AssertionError(f"unlocking {amount} {currency} but only {locked} is locked")
        self._locked[currency] = locked - amount
        self._free[currency] = self.free(currency) + amount

    def debit(self, currency: str, amount: Decimal, *, purpose: str) -> None:
        self._balances = None
        self.require_free(currency, amount, purpose=purpose)
        self._free[currency] = self.free(currency) - amount
        self._locked.setdefault(currency, ZERO)

    def credit(self, currency: str, amount: Decimal) -> None:
        self._balances = None
        self._free[currency] = self.free(currency) + amount
        self._locked.setdefault(currency, ZERO)

    def snapshot(self) -> dict[str, Balance]:
        if self._balances is None:
            self._balances = {
                currency: Balance(currency=currency, free=free, locked=self.locked(currency))
                for currency, free in self._free.items()
            }
        return dict(self._balances)
