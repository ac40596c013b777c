"""Small conversions between ccxt's values (floats, strings, None) and the domain's Decimals."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.domain import decimal_from_float
from bot.domain.clock import ms_to_datetime


def to_decimal(value: Any) -> Decimal | None:
    """A Decimal from a ccxt number: strings exactly, floats by their shortest repr; ``None`` stays."""
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return decimal_from_float(value)
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def first_decimal(*values: Any) -> Decimal | None:
    """The first of ``values`` that converts to a Decimal (e.g. the venue's string, then ccxt's float)."""
    for value in values:
        converted = to_decimal(value)
        if converted is not None:
            return converted
    return None


def timestamp(ms: Any, default: datetime) -> datetime:
    return ms_to_datetime(int(ms)) if ms is not None else default
