"""Money comes back as the exact Decimal that went in; time comes back as aware UTC."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.exc import StatementError

from bot.adapters.audit import SqlAuditStore
from bot.adapters.audit.types import normalize_decimal, to_storable_decimal
from bot.domain import Order


def storable_decimals() -> st.SearchStrategy[Decimal]:
    """Any value Numeric(38, 18) holds exactly: up to 20 integer digits and 18 decimals, either sign."""
    return st.integers(min_value=0, max_value=18).flatmap(
        lambda scale: st.integers(min_value=-(10 ** (20 + scale)) + 1, max_value=10 ** (20 + scale) - 1).map(
            lambda units: Decimal(f"{units}E-{scale}")
        )
    )


_ids = itertools.count()


def round_trip(store: SqlAuditStore, run_id: int, new_order: Callable[..., Order], value: Decimal) -> Order:
    order = new_order(f"c{next(_ids)}", quantity=value, price=value, average_fill_price=value)
    assert store.save_new_order(run_id, order)
    stored = store.get_order(order.client_order_id)
    assert stored is not None
    return stored


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=storable_decimals())
def test_decimal_round_trips_exactly(
    store: SqlAuditStore, run_id: int, new_order: Callable[..., Order], value: Decimal
) -> None:
    stored = round_trip(store, run_id, new_order, value)
    assert stored.quantity == value
    assert stored.price == value
    assert stored.average_fill_price == value


@pytest.mark.parametrize(
    "value",
    [
        "0.123456789012345678",
        "12345678901234.5",
        "99999999999999999999.999999999999999999",
        "-0.000000000000000001",
    ],
)
def test_decimals_that_floats_would_corrupt_round_trip_exactly(
    store: SqlAuditStore, run_id: int, new_order: Callable[..., Order], value: str
) -> None:
    stored = round_trip(store, run_id, new_order, Decimal(value))
    assert stored.quantity == Decimal(value)
    assert format(stored.quantity, "f") == value


@pytest.mark.parametrize(
    ("value", "text"), [("1.50", "1.5"), ("100", "100"), ("0.000", "0"), ("2E+3", "2000")]
)
def test_decimals_come_back_normalized(
    store: SqlAuditStore, run_id: int, new_order: Callable[..., Order], value: str, text: str
) -> None:
    stored = round_trip(store, run_id, new_order, Decimal(value))
    assert stored.quantity == Decimal(value)
    assert str(stored.quantity) == text


def test_decimals_beyond_18_places_are_rounded_half_even_alike_on_every_backend(
    store: SqlAuditStore, run_id: int, new_order: Callable[..., Order]
) -> None:
    stored = round_trip(store, run_id, new_order, Decimal("0.0000000000000000025"))
    assert stored.quantity == Decimal("0.000000000000000002")


def test_a_decimal_too_large_to_store_is_refused_and_nothing_is_written(
    store: SqlAuditStore, run_id: int, new_order: Callable[..., Order]
) -> None:
    with pytest.raises(StatementError, match="at most 20 integer digits"):
        store.save_new_order(run_id, new_order("huge", quantity=Decimal("1E+20")))
    assert store.get_order("huge") is None


def test_non_decimals_and_non_finite_decimals_are_refused() -> None:
    with pytest.raises(TypeError):
        to_storable_decimal(1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="non-finite"):
        to_storable_decimal(Decimal("NaN"))
    assert normalize_decimal(Decimal("1E+2")) == Decimal(100)
    assert str(normalize_decimal(Decimal("1E+2"))) == "100"


def test_datetimes_come_back_tz_aware_utc(
    store: SqlAuditStore, run_id: int, new_order: Callable[..., Order]
) -> None:
    in_paris = datetime(2024, 3, 1, 13, 30, 15, 123456, tzinfo=timezone(timedelta(hours=1)))
    assert store.save_new_order(run_id, new_order("tz", created_at=in_paris))

    stored = store.get_order("tz")

    assert stored is not None
    assert stored.created_at == in_paris
    assert stored.created_at.tzinfo == UTC
    assert stored.created_at == datetime(2024, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)


def test_naive_datetimes_are_refused(
    store: SqlAuditStore, run_id: int, new_order: Callable[..., Order]
) -> None:
    naive = datetime(2024, 3, 1, 12, 0)  # noqa: DTZ001 - the point of the test
    with pytest.raises(StatementError, match="naive datetime"):
        store.save_new_order(run_id, new_order("naive", created_at=naive))
    assert store.get_order("naive") is None


@settings(max_examples=500, deadline=None)
@given(
    value=st.one_of(
        storable_decimals(),
        st.decimals(
            allow_nan=False, allow_infinity=False, min_value=Decimal("-1e19"), max_value=Decimal("1e19")
        ),
        st.integers(0, 10**6).map(lambda n: Decimal(n).scaleb(-25)),  # more than 18 places
        st.integers(1, 999).map(lambda n: Decimal(f"{n}E+3")),  # a positive exponent
    )
)
def test_a_decimal_that_fits_is_stored_as_its_own_normalized_value_and_one_that_does_not_is_rounded(
    value: Decimal,
) -> None:
    from decimal import ROUND_HALF_EVEN, Context

    reference = normalize_decimal(
        value.quantize(Decimal("1E-18"), rounding=ROUND_HALF_EVEN, context=Context(prec=60))
    )
    assert to_storable_decimal(value) == reference
    assert str(to_storable_decimal(value)) == str(reference)
