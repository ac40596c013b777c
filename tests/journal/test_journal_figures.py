"""Every figure of the trade journal against a computation by hand from the candles the test made
(tests/journal/scripted.py says how each price follows from them): the R multiple, MAE and MFE, the
holding time, the fees, and the exit reason of a signal exit, a stop-out, a take-profit, a trailed stop
and a flatten by the kill switch."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from bot.app.human_commands import record_command
from bot.app.report_json import report_to_json
from bot.domain import TradingState
from bot.domain.journal import ExitReason
from tests.journal.scripted import FEE, Buy, Sell, at, run_daemon

QTY = Decimal(2)
ENTRY = Decimal(100)  # the buy limit at candle 5's close: candle 6 opens at it, so it fills there at once
STOP = Decimal(95)
RISK = QTY * (ENTRY - STOP)  # 10 USDT: the price risk at the entry's stop
BUY_FEE = FEE * QTY * ENTRY


def net(exit_price: Decimal) -> Decimal:
    """Net P&L of 2 bought at 100 and sold at ``exit_price``, both fees paid."""
    return QTY * (exit_price - ENTRY) - BUY_FEE - FEE * QTY * exit_price


def test_a_signal_exit_has_its_strategy_reasons_r_mae_mfe_holding_time_and_fees(
    tmp_path: Path, db_url: str
) -> None:
    shapes = {
        8: (100, 100.2, 97, 100),  # the deepest low while open
        10: (100, 112, 99.9, 100),  # the highest high while open
        13: (104, 104.5, 103.5, 104),  # the exit fills at this candle's open
        14: (104, 104, 90, 100),  # after the exit: not the trade's
        4: (100, 130, 99.9, 100),  # before the entry: not the trade's
    }
    plan = {5: Buy("95", "2", reason="dip bought"), 12: Sell(reason="momentum faded")}
    app, report = run_daemon(tmp_path, db_url, shapes, plan)

    [entry] = report.journal
    assert entry.trade_id == f"{app.run_id}-1"
    assert (entry.strategy, entry.entry_reason) == ("script", "dip bought")
    assert (entry.exit_reason, entry.exit_detail) == (ExitReason.SIGNAL, "momentum faded")
    assert entry.trade.entry_price == ENTRY and entry.trade.exit_price == Decimal(104)
    assert entry.initial_risk == RISK
    assert entry.r_multiple == net(Decimal(104)) / RISK  # (8 - 0.2 - 0.208) / 10 = 0.7592
    assert entry.r_multiple == Decimal("0.7592")
    assert entry.mae == Decimal("0.03")  # (100 - 97) / 100
    assert entry.mfe == Decimal("0.12")  # (112 - 100) / 100
    assert entry.mae_quote == Decimal(6) and entry.mfe_quote == Decimal(24)  # x 2
    assert entry.holding == at(12) - at(5) == timedelta(minutes=35)
    assert entry.trade.fees == BUY_FEE + FEE * QTY * 104

    [shown] = report_to_json(report)["trades"]
    assert shown["id"] == entry.trade_id
    assert shown["exit_reason"] == "signal" and shown["exit_detail"] == "momentum faded"
    assert (shown["r_multiple"], shown["mae"], shown["mfe"]) == ("0.7592", "0.03", "0.12")
    assert (shown["initial_risk"], shown["holding_seconds"], shown["fees"]) == ("10", 2100, "0.408")


def test_a_stop_out_is_a_stop_and_loses_one_r_plus_its_fees(tmp_path: Path, db_url: str) -> None:
    shapes = {9: (100, 100.2, 94, 96)}  # reaches the stop at 95 (not gapped: it opened above)
    _, report = run_daemon(tmp_path, db_url, shapes, {5: Buy("95", "2")})

    [entry] = report.journal
    assert entry.exit_reason is ExitReason.STOP
    assert entry.trade.exit_price == STOP
    assert entry.r_multiple == net(STOP) / RISK == Decimal("-1.039")  # (-10 - 0.2 - 0.19) / 10
    assert entry.mae == Decimal("0.06")  # the stop candle's low, 94, is inside the holding period
    assert entry.mfe == Decimal("0.002")  # the flat candles' high, 100.2


def test_a_take_profit_is_a_take_profit_at_two_r(tmp_path: Path, db_url: str) -> None:
    shapes = {9: (100, 111, 99.9, 110.5)}  # passes the target 100 + 2 x (100 - 95) = 110
    _, report = run_daemon(tmp_path, db_url, shapes, {5: Buy("95", "2")}, "take_profit_r = 2")

    [entry] = report.journal
    assert entry.exit_reason is ExitReason.TAKE_PROFIT
    assert entry.trade.exit_price == Decimal(110)
    assert entry.r_multiple == net(Decimal(110)) / RISK == Decimal("1.958")
    assert entry.mfe == Decimal("0.11")  # the high of 111


def test_a_trailed_stop_is_a_trailing_stop(tmp_path: Path, db_url: str) -> None:
    shapes = {
        8: (100, 120.5, 99.9, 120),  # closes at 120: the stop trails to 120 x 0.95 = 114
        9: (120, 120.2, 119.9, 120),
        10: (120, 120.2, 110, 112),  # falls through 114: the trailed stop sells there
    }
    _, report = run_daemon(tmp_path, db_url, shapes, {5: Buy("95", "2")}, 'trailing_stop = "0.05"')

    [entry] = report.journal
    assert entry.exit_reason is ExitReason.TRAILING_STOP
    assert entry.exit_detail == "stop order at 114 (trailed from 95)"
    assert entry.trade.exit_price == Decimal(114)
    assert entry.initial_risk == RISK  # R counts from the entry's own stop, not the trailed one
    assert entry.r_multiple == net(Decimal(114)) / RISK == Decimal("2.7572")
    assert (entry.mae, entry.mfe) == (Decimal("0.001"), Decimal("0.205"))  # lows of 99.9, high 120.5


def test_a_position_closed_by_halt_with_flatten_is_a_flatten(tmp_path: Path, db_url: str) -> None:
    from bot.app.bootstrap import build_app, finish_app
    from bot.app.settings import load_settings
    from tests.journal.scripted import Script, config, market

    app = build_app(load_settings(config(tmp_path, db_url)), market=market({}),
                    strategies=[Script({5: Buy("95", "2")})])  # fmt: skip
    for _ in range(10):  # the position is open from candle 5's close
        app.replay.step()
    assert app.engine.open_positions()
    record_command(app.store, "journal", TradingState.HALTED, "kill_switch", "cli:ops@desk", flatten=True,
                   now=at(9))  # what spotbot halt --flatten writes  # fmt: skip
    app.replay.run_to_end()
    report = finish_app(app, "completed")

    [entry] = report.journal
    assert (entry.exit_reason, entry.exit_detail) == (ExitReason.FLATTEN, "flatten")
    assert entry.trade.exit_price == ENTRY  # the next open, flat at 100
    assert entry.r_multiple == net(ENTRY) / RISK == Decimal("-0.04")
