"""``spotbot status``: the bot as it stands now, read from its audit DB (the daemon's own journal).

The bot's latest daemon run (backtests are left out), its trading state, its equity at the last tick and
the drawdown from the peak, its open positions and the orders still working. A running daemon writes
all of it as it goes, so this also works from another shell or machine while it runs; a daemon that
died shows its run as ``running`` until the next start closes it as ``crashed``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.table import Table

from bot.adapters.audit.store import SqlAuditStore
from bot.app.console import balances_text, positions_text, trading_state_text
from bot.app.report_json import order_json, position_json, run_json, trading_state_json
from bot.app.report_source import check_has_runs
from bot.app.reporting import build_report
from bot.app.settings import Settings
from bot.domain.failures import ExitCode, ExitError


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else f"{value.normalize():f}"


def read_status(settings: Settings) -> dict[str, Any]:
    """The status of the settings' bot as one JSON-ready dict (its shape is documented in the README).

    Raises :class:`ExitError` (exit 1) when the bot has no daemon run in the audit DB yet."""
    url, bot = settings.effective_database_url, settings.bot.name
    check_has_runs(settings)
    with SqlAuditStore(url, venue=settings.venue) as store:
        runs = [r for r in store.runs() if r.bot_name == bot and r.kind != "backtest"]
        if not runs:
            where = settings.effective_database_url_redacted
            raise ExitError(
                f"no run of bot {bot!r} yet in the audit DB at {where}", exit_code=ExitCode.FAILED
            )
        run = max(runs, key=lambda r: r.id)
        report = build_report(store, run.id, bot=bot, decisions=False)
        snapshots = store.equity_snapshots(run.id)
        working = store.orders(run.id, only_open=True)
    last = snapshots[-1] if snapshots else None
    return {
        "bot": bot,
        "run": run_json(run),
        "trading_state": trading_state_json(report.trading_state),
        "last_tick_at": last.taken_at.isoformat() if last else None,
        "equity": _decimal(last.equity) if last else _decimal(report.final_equity),
        "peak_equity": _decimal(last.peak_equity) if last else None,
        "drawdown": _decimal(last.drawdown) if last else None,
        "open_positions": [position_json(p) for _, p in sorted(report.open_positions.items())],
        "balances": {currency: _decimal(amount) for currency, amount in sorted(report.balances.items())},
        "working_orders": [order_json(order) for order in working],
        "_report": report,  # for the console view; dropped from the JSON
    }


def status_json(status: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in status.items() if not key.startswith("_")}


def print_status(console: Console, status: dict[str, Any], quote: str) -> None:
    report = status["_report"]
    run = status["run"]
    title = f"{status['bot']}: run {run['id']} ({run['status']}; mode {run['mode']}, venue {run['venue']})"
    table = Table(title=title, show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("trading state", trading_state_text(report.trading_state))
    table.add_row("last tick", status["last_tick_at"] or "-")
    drawdown = status["drawdown"]
    below_peak = f" (drawdown {float(drawdown) * 100:.2f}% from the peak)" if drawdown else ""
    table.add_row(f"equity ({quote})", f"{float(status['equity'] or 0):,.2f}{below_peak}")
    table.add_row("open positions", positions_text(report.open_positions))
    table.add_row("balances", balances_text(report.balances, quote) or "-")
    orders = [
        f"{o['symbol']} {o['purpose']} {o['side']} {o['quantity']}"
        + (f" @ {o['price']}" if o["price"] else "")
        + (f" stop {o['stop_price']}" if o["stop_price"] else "")
        for o in status["working_orders"]
    ]
    table.add_row("working orders", "; ".join(orders) or "-")
    console.print(table)
