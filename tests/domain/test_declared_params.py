"""bot.domain.params: a declared field checks its own type and bounds, and says what is allowed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any, Literal

import pytest

from bot.domain.params import check_params, param, params_of


@dataclass(frozen=True, slots=True)
class Knobs:
    count: int = param(3, "A count.", ge=1, le=10)
    share: Decimal = param(Decimal("0.5"), "A share.", gt=Decimal(0), le=Decimal(1), why="all of it at most")
    cap: Decimal | None = param(None, "A cap.", gt=Decimal(0))
    wait: timedelta = param(timedelta(0), "A wait.", ge=timedelta(0))
    ratio: float = param(1.0, "A ratio.", gt=0)
    kind: Literal["a", "b"] = param("a", "A kind.")
    low: int = param(1, "Below high.", ge=0)

    def __post_init__(self) -> None:
        check_params(self, prefix="knobs.")

    @staticmethod
    def conflicts(values: Mapping[str, Any]) -> list[tuple[str, str]]:
        return [("low", f"less than count ({values['count']})")] if values["low"] >= values["count"] else []


def test_the_declaration_lists_every_field_with_its_description_in_order() -> None:
    assert [(p.name, p.spec.description) for p in params_of(Knobs)][:2] == [
        ("count", "A count."),
        ("share", "A share."),
    ]
    assert Knobs() == Knobs(count=3)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"count": 0}, "knobs.count=0 is invalid: allowed a whole number >= 1 and <= 10"),
        ({"count": True}, "knobs.count=True is invalid"),
        ({"count": 2.0}, "knobs.count=2.0 is invalid"),
        ({"share": Decimal("1.5")}, "allowed a Decimal > 0 and <= 1 (all of it at most)"),
        ({"share": Decimal("NaN")}, "knobs.share=Decimal('NaN') is invalid"),
        ({"share": 0.5}, "knobs.share=0.5 is invalid"),
        ({"cap": Decimal(0)}, "allowed a Decimal > 0, or None"),
        ({"wait": timedelta(seconds=-1)}, "allowed a duration >= 0"),
        ({"ratio": float("inf")}, "knobs.ratio=inf is invalid"),
        ({"kind": "c"}, "allowed one of 'a', 'b'"),
        ({"low": 3}, "knobs.low=3 is invalid: allowed less than count (3)"),
    ],
)
def test_a_bad_value_is_refused_naming_it_and_what_is_allowed(values: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match="allowed") as raised:
        Knobs(**values)
    assert message in str(raised.value)


def test_an_int_is_a_valid_float_and_none_a_valid_optional() -> None:
    assert Knobs(ratio=2, cap=None).ratio == 2


def test_a_field_without_a_declaration_is_an_error() -> None:
    @dataclass(frozen=True)
    class Loose:
        count: int = 1

    with pytest.raises(TypeError, match=r"Loose\.count is not declared"):
        params_of(Loose)
