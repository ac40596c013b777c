"""The end-of-run summary as a user reads it: money as money, and the positions behind unrealized P&L."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from bot.app.console import balances_text, positions_text
from bot.domain import Position

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def test_balances_show_the_quote_as_money_and_coins_exactly() -> None:
    balances = {"USDT": Decimal("9549.031831552"), "BTC": Decimal("0.01230000"), "ETH": Decimal(0)}

    assert balances_text(balances, "USDT") == "BTC 0.0123, USDT 9,549.03"


def test_the_open_positions_behind_unrealized_pnl_are_listed() -> None:
    positions = {
        "ETH/USDT": Position("ETH/USDT", Decimal("1.50"), Decimal("2500.123456789"), T0),
        "BTC/USDT": Position("BTC/USDT", Decimal("0.0123"), Decimal("42000.5"), T0),
    }

    assert positions_text(positions) == "BTC/USDT 0.0123 @ 42000.5, ETH/USDT 1.5 @ 2500.1235"
    assert positions_text({}) == "-"


def test_the_daily_summary_reads_the_engines_figures() -> None:
    from types import SimpleNamespace

    from bot.app.watching import daily_summary
    from bot.core.engine_status import EngineStatus

    status = EngineStatus(ticks=288, equity=Decimal("9950"), peak_equity=Decimal("10000"), fills=6, trades=3,
                          open_positions=1, fees=Decimal("4.2"), trading_state="reducing")  # fmt: skip
    bot = SimpleNamespace(name="dly", quote_currency="USDT")
    app = SimpleNamespace(engine=SimpleNamespace(status=status), settings=SimpleNamespace(bot=bot))

    title, body = daily_summary(app)()  # type: ignore[arg-type]

    assert title == "spotbot dly: daily summary"
    assert "equity 9,950.00 USDT (drawdown 0.50 % from the peak 10,000.00)" in body
    assert "trading state: reducing" in body and "3 round trips, 6 fills, fees 4.20 USDT, 288 ticks" in body
