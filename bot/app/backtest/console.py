"""The rich report printed at the end of ``spotbot backtest`` (the same numbers as ``result.json``)."""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group
from rich.table import Table


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.2f}%"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _money(value: str | None) -> str:
    return "-" if value is None else f"{float(value):.8g}"


def metric_rows(result: dict[str, Any]) -> list[tuple[str, str]]:
    """The run's figures as (label, value) rows: the console table and the HTML page show these."""
    m, data, run = result["metrics"], result["data"], result["run"]
    quote = result["parameters"]["quote_currency"]
    source = f"{len(data['files'])} files" if data["files"] else data["source"]
    recovered = "" if m["max_drawdown_recovered"] else " (not recovered)"
    risk = result["risk"]
    return [
        ("first candle opens", str(data["first_candle_open"])),
        ("last candle closes", str(data["last_candle_close"])),
        ("candles", f"{data['candles']} x {data['timeframe']} ({source})"),
        ("trades (round trips)", f"{m['trades']} ({m['wins']} won, {m['losses']} lost)"),
        ("win rate", _pct(m["win_rate"])),
        ("profit factor", _ratio(m["profit_factor"])),
        (f"equity start -> end ({quote})", f"{_money(m['starting_equity'])} -> {_money(m['final_equity'])}"),
        ("total return", _pct(m["total_return"])),
        ("annualised return (CAGR)", f"{_pct(m['cagr'])} (over {m['span']} of calendar time)"),
        ("Sharpe / Sortino (annualised)", f"{_ratio(m['sharpe'])} / {_ratio(m['sortino'])} (per-candle "
                                          f"returns x sqrt({m['periods_per_year']:,.0f} a calendar year))"),
        ("max drawdown", f"{_pct(m['max_drawdown'])}, lasting {m['max_drawdown_duration']}{recovered}"),
        ("CVaR 95% (per candle / 1 day)", f"{_pct(m['cvar_95'])} / {_pct(m['cvar_95_1d'])} of equity "
                                          "(mean loss of the worst 5% of returns)"),
        ("exposure time", _pct(m["exposure"])),
        (f"realized / unrealized P&L ({quote})",
         f"{_money(m['realized_pnl'])} / {_money(m['unrealized_pnl'])}"),
        (f"fees paid ({quote})", _money(m["fees"])),
        ("open positions at the end", str(m["open_positions"])),
        ("intents", f"{risk['intents']}: {risk['approved']} approved, {risk['resized']} resized, "
                    f"{risk['denied']} denied"),
        ("trading state at the end", state_text(risk["trading_state_at_end"])),
        ("elapsed", f"{run['elapsed_seconds']:.1f} s"),
    ]  # fmt: skip


def state_text(state: dict[str, Any]) -> str:
    """``active``, or ``HALTED (max_drawdown) since 2024-01-21T10:05:00+00:00: no entries from then on``."""
    if state["state"] == "active":
        return "active"
    return f"{state['state'].upper()} ({state['reason']}) since {state['since']}: no entries from then on"


def symbol_rows(result: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """Per symbol: symbol, trades, wins, net P&L, fees."""
    return [
        (symbol, str(row["trades"]), str(row["wins"]), _money(row["net_pnl"]), _money(row["fees"]))
        for symbol, row in result["per_symbol"].items()
    ]


SYMBOL_COLUMNS = ("symbol", "trades", "wins", "net P&L", "fees")


def metrics_table(result: dict[str, Any]) -> Table:
    run = result["run"]
    table = Table(title=f"Backtest (run {run['id']}, {run['outcome']})", show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column(justify="right")
    for label, value in metric_rows(result):
        table.add_row(label, value)
    return table


def symbols_table(result: dict[str, Any]) -> Table:
    table = Table(title="Per symbol")
    for column in SYMBOL_COLUMNS:
        table.add_column(column, justify="left" if column == "symbol" else "right")
    for row in symbol_rows(result):
        table.add_row(*row)
    return table


def reasons_table(result: dict[str, Any]) -> Table | None:
    by_reason = result["risk"]["by_reason"]
    if not by_reason:
        return None
    table = Table(title="Risk decisions (denied / resized) by guard:reason")
    table.add_column("guard:reason")
    table.add_column("count", justify="right")
    for key, count in by_reason.items():
        table.add_row(key, str(count))
    return table


def print_backtest(console: Console, result: dict[str, Any]) -> None:
    parts: list[Table] = [metrics_table(result), symbols_table(result)]
    reasons = reasons_table(result)
    if reasons is not None:
        parts.append(reasons)
    console.print(Group(*parts))
