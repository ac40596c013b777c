"""``result.json``: one backtest's inputs (config hash, parameters, data window) and every metric.

The field list is documented in the README ("Backtesting"). Money is a decimal string, like
``spotbot report --json``; ratios are floats (``null`` when undefined); times are ISO-8601 UTC.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot import __version__
from bot.app.backtest.metrics import format_duration
from bot.app.backtest.runner import BacktestRun
from bot.app.reporting import RunReport
from bot.app.settings import config_hash
from bot.domain import TradingState, timeframe_ms
from bot.domain.clock import ms_to_datetime

RESULT_VERSION = 1


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def _iso_ms(ms: int) -> str:
    return ms_to_datetime(ms).isoformat()


def _empty_row() -> dict[str, Any]:
    return {"trades": 0, "wins": 0, "net_pnl": Decimal(0), "fees": Decimal(0)}


def per_symbol(run: BacktestRun) -> dict[str, dict[str, Any]]:
    """Trades, wins, net P&L and fees per symbol (every configured symbol, traded or not)."""
    totals = {symbol: _empty_row() for symbol in run.settings.market.symbols}
    for trade in run.report.trades:
        row = totals.setdefault(trade.symbol, _empty_row())
        row["trades"] += 1
        row["wins"] += 1 if trade.net_pnl > 0 else 0
        row["net_pnl"] += trade.net_pnl
        row["fees"] += trade.fees
    return {
        symbol: {**row, "net_pnl": _dec(row["net_pnl"]), "fees": _dec(row["fees"])}
        for symbol, row in sorted(totals.items())
    }


def span_seconds(run: BacktestRun) -> int:
    """The calendar time CAGR and the periods per year count: from the first candle close to the last."""
    closes = run.close_times_ms
    return (int(closes[-1]) - int(closes[0])) // 1000 if len(closes) else 0


def data_window(run: BacktestRun, requested_from: str | None, requested_to: str | None) -> dict[str, Any]:
    step = timeframe_ms(run.settings.market.timeframe)
    closes = run.close_times_ms
    files = run.data.files if run.data is not None else dict(run.settings.market.csv.files)
    return {
        "source": run.settings.market.source,
        "files": {symbol: str(path) for symbol, path in sorted(files.items())},
        "timeframe": run.settings.market.timeframe,
        "requested_from": requested_from,
        "requested_to": requested_to,
        "first_candle_open": _iso_ms(int(closes[0]) - step) if len(closes) else None,
        "last_candle_close": _iso_ms(int(closes[-1])) if len(closes) else None,
        "candles": len(closes),
    }


def result_to_json(
    run: BacktestRun, *, config_path: Path, requested_from: str | None, requested_to: str | None
) -> dict[str, Any]:
    m, report, settings = run.metrics, run.report, run.settings
    return {
        "result_version": RESULT_VERSION,
        "spotbot_version": __version__,
        "config": {"path": str(config_path), "hash": config_hash(settings)},
        "parameters": {
            "strategies": [
                {
                    "name": s.name,
                    "kind": s.kind,
                    "symbols": list(s.symbols),
                    "timeframe": s.timeframe,
                    "params": s.params.model_dump(mode="json"),
                }
                for s in settings.strategies
            ],
            "risk": settings.risk.model_dump(mode="json"),
            "execution": settings.execution.model_dump(mode="json"),
            "paper": settings.paper.model_dump(mode="json"),
            "market_rules": settings.market.rules.model_dump(mode="json"),
            "quote_currency": settings.bot.quote_currency,
            "starting_balances": {k: _dec(Decimal(v)) for k, v in settings.bot.starting_balances.items()},
        },
        "data": data_window(run, requested_from, requested_to),
        "run": {
            "id": run.app.run_id,
            "outcome": run.outcome,
            "audit_db": settings.effective_database_url_redacted,
            "elapsed_seconds": round(run.elapsed_seconds, 3),
        },
        "metrics": {
            "trades": m.trades,
            "wins": m.wins,
            "losses": m.losses,
            "win_rate": m.win_rate,
            "profit_factor": m.profit_factor,
            "starting_equity": _dec(report.starting_equity),
            "final_equity": _dec(report.final_equity),
            "realized_pnl": _dec(report.realized_pnl),
            "unrealized_pnl": _dec(report.unrealized_pnl),
            "fees": _dec(m.fees),
            "total_return": m.total_return,
            "cagr": m.cagr,
            "span_seconds": span_seconds(run),
            "span": format_duration(span_seconds(run)),
            "sharpe": m.sharpe,
            "sortino": m.sortino,
            "periods_per_year": m.periods_per_year,
            "max_drawdown": m.max_drawdown,
            "max_drawdown_duration_candles": m.max_drawdown_duration_candles,
            "max_drawdown_duration_seconds": m.max_drawdown_duration_seconds,
            "max_drawdown_duration": format_duration(m.max_drawdown_duration_seconds),
            "max_drawdown_recovered": m.max_drawdown_recovered,
            "cvar_95": m.cvar_95,
            "cvar_95_1d": m.cvar_95_1d,
            "exposure": m.exposure,
            "open_positions": len(report.open_positions),
        },
        "per_symbol": per_symbol(run),
        "risk": {
            "intents": report.outcomes.total,
            "approved": report.outcomes.approved,
            "resized": report.outcomes.resized,
            "denied": report.outcomes.denied,
            "by_reason": m.risk_by_reason,
            "trading_state_at_end": state_at_end(report),
        },
    }


def state_at_end(report: RunReport) -> dict[str, Any]:
    """How the run ended for trading: ``active``, or stopped by a breaker (which, when, why): a backtest
    halted early otherwise only shows as an equity curve gone flat."""
    event = report.trading_state
    if event is None or event.run_id != report.run.id or event.state is TradingState.ACTIVE:
        return {"state": TradingState.ACTIVE.value}
    return {"state": event.state.value, "reason": event.reason, "since": event.occurred_at.isoformat()}


def write_result(path: Path, result: dict[str, Any]) -> None:
    path.write_text(json.dumps(result, indent=2, allow_nan=False) + "\n", encoding="utf-8")
