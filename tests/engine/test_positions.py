"""Positions and round trips are derived from fills alone."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bot.core.positions import PositionBook
from bot.domain import Fill, Liquidity, Side

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def fill(side: Side, qty: str, price: str, fee: str, n: int) -> Fill:
    return Fill(
        "sim",
        f"t{n}",
        f"c{n}",
        "ETH/USDT",
        side,
        Decimal(price),
        Decimal(qty),
        Decimal(fee),
        "USDT",
        Liquidity.TAKER,
        T0 + timedelta(minutes=n),
    )


def test_a_round_trip_in_two_exits_is_one_trade_with_average_prices() -> None:
    book = PositionBook.from_fills(
        [
            fill(Side.BUY, "1", "100", "0.1", 1),
            fill(Side.BUY, "1", "110", "0.11", 2),
            fill(Side.SELL, "0.5", "120", "0.06", 3),
            fill(Side.SELL, "1.5", "90", "0.135", 4),
        ]
    )
    [trade] = book.trades
    assert trade.entry_price == Decimal(105) and trade.quantity == Decimal(2)
    assert trade.exit_price == Decimal("97.5")
    assert trade.gross_pnl == Decimal("0.5") * 15 + Decimal("1.5") * -15  # -15
    assert trade.fees == Decimal("0.405")
    assert trade.net_pnl == Decimal("-15.405")
    assert book.position("ETH/USDT") is None
    assert book.realized_pnl == Decimal(-15)


def test_an_open_position_is_marked_to_market() -> None:
    book = PositionBook.from_fills([fill(Side.BUY, "2", "100", "0", 1)])
    assert book.unrealized_pnl({"ETH/USDT": Decimal(110)}) == Decimal(20)
    assert book.trades == []


def test_selling_more_than_held_is_refused_because_spot_is_long_only() -> None:
    with pytest.raises(ValueError, match="long-only"):
        PositionBook.from_fills([fill(Side.BUY, "1", "100", "0", 1), fill(Side.SELL, "2", "100", "0", 2)])
