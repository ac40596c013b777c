"""Column types that keep money exact and time in UTC on every backend.

SQLite has no exact decimal type (``Numeric`` goes through ``float``) and no time zones, so the
audit trail would silently drift from what the bot actually did. These decorators make both
backends store and return the same values: ``Decimal`` in, equal ``Decimal`` out; aware UTC
``datetime`` in, aware UTC ``datetime`` out.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Context, Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Integer, Numeric, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

PRECISION = 38
SCALE = 18
"""``Numeric(38, 18)``: 20 integer digits and 18 decimals (one wei) — the same limits on every backend."""

_QUANTUM = Decimal(1).scaleb(-SCALE)
_LIMIT = Decimal(10) ** (PRECISION - SCALE)
_CONTEXT = Context(prec=PRECISION + 2)

BigIntPk = BigInteger().with_variant(Integer(), "sqlite")
"""A 64-bit surrogate key; plain INTEGER on SQLite, where only that spelling is the rowid alias."""

JsonDocument = JSON().with_variant(JSONB(), "postgresql")
"""JSON everywhere, JSONB on PostgreSQL so configs can be queried."""


def normalize_decimal(value: Decimal) -> Decimal:
    """Strip trailing zeros without switching to exponent notation (``1.50 -> 1.5``, ``100 -> 100``).

    PostgreSQL returns ``Numeric(38, 18)`` padded to 18 places; normalizing makes what comes back
    look like what went in, on both backends.
    """
    if value.is_zero():
        return Decimal(0)  # also turns -0 (from rounding a tiny negative) into 0
    normalized = value.normalize(_CONTEXT)
    exponent = normalized.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0:
        return normalized.quantize(Decimal(1), context=_CONTEXT)
    return normalized


def to_storable_decimal(value: Decimal) -> Decimal:
    """The value as it will be stored: rounded half-even to 18 places, range-checked.

    PostgreSQL would round extra decimals itself; doing it here for every backend keeps SQLite and
    PostgreSQL byte-for-byte equal. Values that cannot be stored at all are refused loudly, since
    an audit trail must not hold a different number than the bot used.
    """
    if not isinstance(value, Decimal):
        raise TypeError(f"expected Decimal, got {type(value).__name__}: {value!r}")
    if not value.is_finite():
        raise ValueError(f"cannot store non-finite decimal {value}")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= -SCALE and value.adjusted() < PRECISION - SCALE:
        return normalize_decimal(value)  # fits as it is: nothing to round (most prices and amounts)
    too_large = f"decimal {value} exceeds Numeric({PRECISION}, {SCALE}): at most 20 integer digits"
    if value.adjusted() >= PRECISION - SCALE:
        raise ValueError(too_large)
    rounded = value.quantize(_QUANTUM, rounding=ROUND_HALF_EVEN, context=_CONTEXT)
    if rounded.copy_abs() >= _LIMIT:  # copy_abs is exact; abs() would round to 28 digits
        raise ValueError(too_large)
    return normalize_decimal(rounded)


class ExactDecimal(TypeDecorator[Decimal]):
    """``Numeric(38, 18)`` on PostgreSQL; the decimal's text on SQLite, where Numeric means float.

    Text on SQLite sorts lexically, not numerically: the store never compares these columns in SQL.
    """

    impl = Numeric(PRECISION, SCALE, asdecimal=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(Text())
        return dialect.type_descriptor(Numeric(PRECISION, SCALE, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        stored = to_storable_decimal(value)
        return format(stored, "f") if dialect.name == "sqlite" else stored  # positional: readable in SQL

    def process_result_value(self, value: Any | None, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return normalize_decimal(Decimal(value) if isinstance(value, str) else Decimal(str(value)))

    @property
    def python_type(self) -> type[Decimal]:
        return Decimal


class UtcDateTime(TypeDecorator[datetime]):
    """``timestamptz`` on PostgreSQL, naive UTC text on SQLite; always aware UTC in Python.

    A naive datetime is refused: it is ambiguous, and the bot's clock only hands out aware UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} refused: pass a tz-aware UTC datetime")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected datetime from the database, got {type(value).__name__}")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    @property
    def python_type(self) -> type[datetime]:
        return datetime
