"""``spotbot status``: the bot as it stands now, from its running daemon's API when it answers (a fixed
``api.port``), else from its audit DB (the daemon's own journal).

The bot's latest daemon run (backtests are left out), its trading state, the market regime at its
latest entry (``[regime]``), the portfolio's 1-day VaR/CVaR there (``max_cvar``: from the journal,
the latest ``cvar`` decision's figures), its equity at the last tick and
the drawdown from the peak, its open positions and the orders still working. A running daemon writes
all of it as it goes, so this also works from another shell or machine while it runs; a daemon that
died shows its run as ``running`` until the next start closes it as ``crashed``.
"""

from __future__ import annotations

import json
import urllib.request
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.table import Table

from bot.adapters.audit.store import SqlAuditStore
from bot.app.console import balances_text
from bot.app.report_json import (
    decimal_text,
    order_json,
    portfolio_risk_decision_json,
    position_json,
    regime_decision_json,
    run_json,
    trading_state_json,
)
from bot.app.report_source import check_has_runs
from bot.app.reporting import build_report
from bot.app.settings import Settings
from bot.domain.failures import ExitCode, ExitError


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
        "regime": regime_decision_json(report.regime),
        "portfolio_risk": portfolio_risk_decision_json(report.cvar),
        "last_tick_at": last.taken_at.isoformat() if last else None,
        "equity": decimal_text(last.equity) if last else decimal_text(report.final_equity),
        "peak_equity": decimal_text(last.peak_equity) if last else None,
        "drawdown": decimal_text(last.drawdown) if last else None,
        "open_positions": [position_json(p) for _, p in sorted(report.open_positions.items())],
        "balances": {currency: decimal_text(amount) for currency, amount in sorted(report.balances.items())},
        "working_orders": [order_json(order) for order in working],
    }


def status_from_api(settings: Settings, timeout_s: float = 1.0) -> dict[str, Any] | None:
    """The running daemon's own status, from its API (``api.enabled`` on a fixed port), in the shape of
    :func:`read_status` with ``"source": "api"``; ``None`` when no daemon of this bot answers there."""
    api = settings.api
    if not api.enabled or api.port == 0:
        return None
    host = "127.0.0.1" if api.host in ("0.0.0.0", "::") else api.host
    host = f"[{host}]" if ":" in host else host
    headers = {"Authorization": f"Bearer {api.token.get_secret_value()}"} if api.token else {}
    request = urllib.request.Request(f"http://{host}:{api.port}/api/v1/status", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as answer:
            live = json.load(answer)
    except (OSError, ValueError):  # nobody there, refused, or not our API: the journal answers
        return None
    if not isinstance(live, dict) or live.get("bot") != settings.bot.name:
        return None
    return status_from_service(live)


def status_from_service(live: dict[str, Any]) -> dict[str, Any]:
    """The API's ``/api/v1/status`` answer in the shape of :func:`read_status`, ``"source": "api"``."""
    return {
        "source": "api",
        "bot": live["bot"],
        "run": {
            "id": live["run_id"],
            "status": "running",
            "mode": live["mode"],
            "venue": live["venue"],
            "version": live["version"],
        },
        "trading_state": live["trading_state"],
        "regime": live.get("regime"),
        "portfolio_risk": live.get("portfolio_risk"),
        "disabled_strategies": live.get("disabled_strategies", {}),
        "last_tick_at": live["last_tick"],
        "equity": live["equity"],
        "peak_equity": live["peak_equity"],
        "drawdown": live["drawdown"],
        "open_positions": live["open_positions"],
        "working_orders": live["working_orders"],
    }


def current_status(settings: Settings) -> dict[str, Any]:
    """From the running daemon's API when it answers, else from the audit DB (``"source"`` says which)."""
    return status_from_api(settings) or {"source": "db", **read_status(settings)}


def print_status(console: Console, status: dict[str, Any], quote: str) -> None:
    run, state = status["run"], status["trading_state"]
    title = f"{status['bot']}: run {run['id']} ({run['status']}; mode {run['mode']}, venue {run['venue']})"
    table = Table(title=title, show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column()
    if state is None:
        table.add_row("trading state", "- (never changed: active)")
    else:
        who = f"by {state['actor']} since {state['since']}"
        table.add_row("trading state", f"{state['state'].upper()} ({state['reason']}) {who}")
    regime = status.get("regime")
    if regime is not None:
        table.add_row("market regime", f"{regime['detail']} (decided {regime['at']})")
    risk = status.get("portfolio_risk")
    if risk is not None:  # max_cvar / max_cluster_fraction: at the latest entry decided
        table.add_row("portfolio risk", f"{risk['detail']} (at {risk['at']})")
    for name, why in status.get("disabled_strategies", {}).items():  # the daemon's API only
        table.add_row("strategy disabled", f"{name}: {why}")
    table.add_row("last tick", status["last_tick_at"] or "-")
    drawdown = status["drawdown"]
    below_peak = f" (drawdown {float(drawdown) * 100:.2f}% from the peak)" if drawdown else ""
    table.add_row(f"equity ({quote})", f"{float(status['equity'] or 0):,.2f}{below_peak}")
    positions = [f"{p['symbol']} {p['quantity']} @ {p['average_price']}" for p in status["open_positions"]]
    table.add_row("open positions", ", ".join(positions) or "-")
    if "balances" in status:  # the journal's view; the API's shows positions only
        amounts = {currency: Decimal(amount) for currency, amount in status["balances"].items()}
        table.add_row("balances", balances_text(amounts, quote) or "-")
    orders = [
        f"{o['symbol']} {o['purpose']} {o['side']} {o['quantity']}"
        + (f" @ {o['price']}" if o["price"] else "")
        + (f" stop {o['stop_price']}" if o["stop_price"] else "")
        for o in status["working_orders"]
    ]
    table.add_row("working orders", "; ".join(orders) or "-")
    table.add_row("read from", "the running daemon's API" if status["source"] == "api" else "the audit DB")
    console.print(table)
