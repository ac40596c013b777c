"""The documented JSON shapes of ``spotbot report --json`` (README: "Report JSON"), ``spotbot status`` and
the HTTP API: every record serialized one way."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, overload

from bot.app.journal.model import JournalEntry
from bot.app.reporting import RunReport
from bot.core.portfolio_risk import PortfolioRisk
from bot.core.positions import Trade
from bot.domain import Fill, Order, Position, Regime, RiskDecision
from bot.domain.records import RunRecord, TradingStateEvent
from bot.domain.regime import window_text


@overload
def decimal_text(value: Decimal) -> str: ...
@overload
def decimal_text(value: None) -> None: ...
def decimal_text(value: Decimal | None) -> str | None:
    """A decimal as JSON text: plain digits, no exponent, no trailing zeros (``None`` stays null)."""
    return None if value is None else format(value.normalize(), "f")


def trading_state_json(event: TradingStateEvent | None) -> dict[str, Any] | None:
    """``{state, reason, actor, since}`` of the state in force, or None when none was ever recorded."""
    if event is None:
        return None
    return {
        "state": event.state.value,
        "reason": event.reason,
        "actor": event.actor,
        "since": event.occurred_at.isoformat(),
    }


def regime_decision_json(decision: RiskDecision | None) -> dict[str, Any] | None:
    """The market regime as the latest ``regime`` decision recorded it: ``{at, verdict, reason, detail}``
    (the detail names the season, index, counts and trend); None without one."""
    if decision is None:
        return None
    return {
        "at": decision.decided_at.isoformat(),
        "verdict": decision.verdict.value,
        "reason": decision.reason,
        "detail": decision.detail,
    }


def regime_json(regime: Regime | None) -> dict[str, Any] | None:
    """The running engine's latest regime: ``{at, season, index, alts_counted, alts_beating, basket_size,
    btc_trend, detail}``; None before its first entry (or without ``[regime]``)."""
    if regime is None:
        return None
    return {
        "at": regime.computed_at.isoformat(),
        "season": regime.season.value,
        "index": round(regime.index, 6) if regime.index is not None else None,
        "alts_counted": regime.alts_counted,
        "alts_beating": regime.alts_beating,
        "basket_size": regime.basket_size,
        "btc_trend": regime.btc_trend.value if regime.btc_trend is not None else None,
        "detail": regime.describe(),
    }


def portfolio_risk_decision_json(decision: RiskDecision | None) -> dict[str, Any] | None:
    """The portfolio's 1-day CVaR as the run's latest ``cvar`` decision on an entry recorded it
    (``max_cvar``): ``{at, verdict, reason, detail}`` (the detail holds the figures); None without one."""
    return regime_decision_json(decision)  # the same shape as the regime's latest decision


def portfolio_risk_json(risk: PortfolioRisk | None) -> dict[str, Any] | None:
    """The running engine's held portfolio, 1-day, at its latest entry: ``{at, lookback, detail, note}``
    and, once measured, ``samples`` and ``historical_95_var``, ``historical_95_cvar``, ...,
    ``parametric_99_cvar`` (fractions of equity); None before the first entry (or with neither
    ``max_cvar`` nor ``max_cluster_fraction`` set)."""
    if risk is None:
        return None
    figures = risk.figures.as_dict() if risk.figures is not None else {}
    return {
        "at": risk.at.isoformat(),
        "lookback": window_text(risk.lookback),
        **figures,
        "detail": risk.describe(),
        "note": risk.note,
    }


def report_to_json(report: RunReport) -> dict[str, Any]:
    """The documented JSON shape of ``spotbot report --json`` (see README: "Report JSON")."""
    return {
        "run": run_json(report.run),
        "summary": {
            "trades": len(report.trades),
            "wins": sum(1 for t in report.trades if t.net_pnl > 0),
            "losses": sum(1 for t in report.trades if t.net_pnl <= 0),
            "fills": len(report.fills),
            "symbols_traded": report.symbols_traded,
            "realized_pnl": decimal_text(report.realized_pnl),
            "unrealized_pnl": decimal_text(report.unrealized_pnl),
            "starting_unrealized_pnl": decimal_text(report.starting_unrealized_pnl),
            "fees": decimal_text(report.fees),
            "starting_equity": decimal_text(report.starting_equity),
            "final_equity": decimal_text(report.final_equity),
            "max_drawdown": decimal_text(report.max_drawdown),
        },
        "trading_state": trading_state_json(report.trading_state),
        "regime": regime_decision_json(report.regime),
        "portfolio_risk": portfolio_risk_decision_json(report.cvar),
        "risk": {
            "intents": report.outcomes.total,
            "approved": report.outcomes.approved,
            "resized": report.outcomes.resized,
            "denied": report.outcomes.denied,
            "by_reason": report.outcomes.by_reason,
        },
        "balances": {k: decimal_text(v) for k, v in sorted(report.balances.items())},
        "orders_by_status": report.orders_by_status,
        "open_positions": [position_json(p) for p in report.open_positions.values()],
        "carried_positions": [position_json(p) for p in report.carried_positions.values()],
        "dust": {symbol: decimal_text(quantity) for symbol, quantity in sorted(report.dust.items())},
        "trades": [journal_json(e) for e in report.journal]
        if len(report.journal) == len(report.trades)
        else [trade_json(t) for t in report.trades],
        "fills": [fill_json(f) for f in report.fills],
        "decisions": [decision_json(d) for d in report.decisions],
    }


def run_json(run: RunRecord) -> dict[str, Any]:
    return {
        "id": run.id,
        "status": run.status,
        "mode": run.mode,
        "venue": run.venue,
        "version": run.version,
        "config_hash": run.config_hash,
        "started_at": run.started_at.isoformat(),
        "stopped_at": run.stopped_at.isoformat() if run.stopped_at else None,
    }


def position_json(p: Position) -> dict[str, Any]:
    return {
        "symbol": p.symbol,
        "quantity": decimal_text(p.quantity),
        "average_price": decimal_text(p.average_price),
    }


def trade_json(t: Trade) -> dict[str, Any]:
    return {
        "symbol": t.symbol,
        "opened_at": t.opened_at.isoformat(),
        "closed_at": t.closed_at.isoformat(),
        "quantity": decimal_text(t.quantity),
        "entry_price": decimal_text(t.entry_price),
        "exit_price": decimal_text(t.exit_price),
        "gross_pnl": decimal_text(t.gross_pnl),
        "fees": decimal_text(t.fees),
        "net_pnl": decimal_text(t.net_pnl),
    }


def journal_json(e: JournalEntry) -> dict[str, Any]:
    """A trade with its journal: id, strategy, reasons, R, MAE/MFE, holding time, notes (README)."""
    return {
        "id": e.trade_id,
        **trade_json(e.trade),
        "strategy": e.strategy,
        "entry_reason": e.entry_reason,
        "exit_reason": e.exit_reason.value,
        "exit_detail": e.exit_detail,
        "initial_risk": decimal_text(e.initial_risk),
        "r_multiple": decimal_text(_rounded(e.r_multiple)),
        "mae": decimal_text(_rounded(e.mae)),
        "mfe": decimal_text(_rounded(e.mfe)),
        "mae_quote": decimal_text(e.mae_quote),
        "mfe_quote": decimal_text(e.mfe_quote),
        "lowest_price": decimal_text(e.lowest),
        "highest_price": decimal_text(e.highest),
        "holding_seconds": int(e.holding.total_seconds()),
        "notes": [
            {"text": n.text, "actor": n.actor, "created_at": n.created_at.isoformat()} for n in e.notes
        ],
    }


def _rounded(ratio: Decimal | None) -> Decimal | None:
    """A ratio to 6 decimals (a quotient would carry 28 digits)."""
    return None if ratio is None else round(ratio, 6)


def fill_json(f: Fill) -> dict[str, Any]:
    return {
        "venue": f.venue,
        "trade_id": f.trade_id,
        "client_order_id": f.client_order_id,
        "symbol": f.symbol,
        "side": f.side.value,
        "price": decimal_text(f.price),
        "quantity": decimal_text(f.quantity),
        "fee": decimal_text(f.fee),
        "fee_currency": f.fee_currency,
        "liquidity": f.liquidity.value,
        "occurred_at": f.occurred_at.isoformat(),
    }


def decision_json(d: RiskDecision) -> dict[str, Any]:
    return {
        "intent_id": d.intent_id,
        "guard": d.guard,
        "verdict": d.verdict.value,
        "reason": d.reason,
        "detail": d.detail,
        "quantity_before": decimal_text(d.quantity_before),
        "quantity_after": decimal_text(d.quantity_after),
        "decided_at": d.decided_at.isoformat(),
    }


def order_json(order: Order) -> dict[str, Any]:
    return {
        "client_order_id": order.client_order_id,
        "symbol": order.symbol,
        "side": order.side.value,
        "type": order.order_type.value,
        "purpose": order.purpose.value,
        "status": order.status.value,
        "quantity": decimal_text(order.quantity),
        "filled": decimal_text(order.filled_quantity),
        "price": decimal_text(order.price),
        "stop_price": decimal_text(order.stop_price),
        "created_at": order.created_at.isoformat(),
    }
