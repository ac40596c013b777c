"""A run's report, built from the audit DB alone.

The end-of-run summary and ``spotbot report`` both come from here, so what the daemon prints is
exactly what the DB can prove. Trades and realized P&L are recomputed by replaying the stored fills
through :class:`~bot.positions.PositionBook`; balances are the run's starting balances plus its fills.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from bot.audit.records import RunRecord, TradingStateEvent
from bot.audit.store import SqlAuditStore
from bot.domain import EquitySnapshot, Fill, Position, RiskDecision, Side, Verdict
from bot.positions import PositionBook, Trade

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class IntentOutcomes:
    approved: int = 0
    resized: int = 0
    denied: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)  # "guard:reason" -> count (denied and resized)

    @property
    def total(self) -> int:
        return self.approved + self.resized + self.denied


@dataclass(frozen=True, slots=True)
class RunReport:
    run: RunRecord
    trades: list[Trade]
    fills: list[Fill]
    decisions: list[RiskDecision]
    outcomes: IntentOutcomes
    open_positions: dict[str, Position]
    realized_pnl: Decimal
    unrealized_pnl: Decimal
    fees: Decimal
    starting_equity: Decimal | None
    final_equity: Decimal | None
    max_drawdown: Decimal
    balances: dict[str, Decimal]
    orders_by_status: dict[str, int]
    trading_state: TradingStateEvent | None = None  # the bot's state now (newest event), None if never set

    @property
    def symbols_traded(self) -> list[str]:
        return sorted({f.symbol for f in self.fills})


def intent_outcomes(decisions: list[RiskDecision]) -> IntentOutcomes:
    """Classify each intent by its chain's final word: denied if any guard denied, else resized if any did."""
    by_intent: dict[str, list[RiskDecision]] = defaultdict(list)
    for decision in decisions:
        by_intent[decision.intent_id].append(decision)
    counts: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    for chain in by_intent.values():
        verdicts = {d.verdict for d in chain}
        outcome = (
            Verdict.DENIED
            if Verdict.DENIED in verdicts
            else (Verdict.RESIZED if Verdict.RESIZED in verdicts else Verdict.APPROVED)
        )
        counts[outcome.value] += 1
        for d in chain:
            if d.verdict is not Verdict.APPROVED:
                reasons[f"{d.guard}:{d.reason}"] += 1
    return IntentOutcomes(
        counts["approved"], counts["resized"], counts["denied"], dict(sorted(reasons.items()))
    )


def max_drawdown(snapshots: list[EquitySnapshot]) -> Decimal:
    """Largest fall from a running peak of equity, as a fraction of that peak (open P&L included)."""
    peak = ZERO
    worst = ZERO
    for snap in snapshots:
        peak = max(peak, snap.equity)
        if peak > 0:
            worst = max(worst, (peak - snap.equity) / peak)
    return worst


def balances_from_fills(starting: dict[str, Decimal], fills: list[Fill]) -> dict[str, Decimal]:
    """Starting balances moved by every fill: what the broker's balances must equal."""
    balances: dict[str, Decimal] = defaultdict(lambda: ZERO, starting)
    for fill in fills:
        base, quote = fill.symbol.split("/")
        sign = 1 if fill.side is Side.BUY else -1
        balances[base] += sign * fill.quantity
        balances[quote] -= sign * fill.notional
        balances[fill.fee_currency] -= fill.fee
    return dict(balances)


def starting_balances(run: RunRecord) -> dict[str, Decimal]:
    raw = run.config.get("bot", {}).get("starting_balances", {}) if isinstance(run.config, dict) else {}
    return {str(k): Decimal(str(v)) for k, v in raw.items()}


def bot_name(run: RunRecord) -> str | None:
    """The bot name the run was started with (from its stored settings), if recorded."""
    bot = run.config.get("bot", {}) if isinstance(run.config, dict) else {}
    name = bot.get("name") if isinstance(bot, dict) else None
    return name if isinstance(name, str) else None


def build_report(
    store: SqlAuditStore, run_id: int | None = None, *, bot: str | None = None, decisions: bool = True
) -> RunReport:
    """The report of ``run_id`` (default: the latest run). Raises LookupError if there is none.

    ``trading_state`` is the current state of ``bot`` (default: the bot name the run was started
    with): the newest trading state event, whichever run or command wrote it. ``decisions=False``
    leaves ``report.decisions`` empty and counts the outcomes in the database instead (a long
    backtest holds a decision per guard per intent: hundreds of thousands of rows).
    """
    run_id = run_id if run_id is not None else store.latest_run_id()
    runs = {r.id: r for r in store.runs()}
    if run_id is None or run_id not in runs:
        raise LookupError(
            f"no run {run_id} in the audit DB" if run_id is not None else "the audit DB has no runs yet"
        )
    run = runs[run_id]
    fills = store.fills(run_id)
    book = PositionBook.from_fills(fills)
    if decisions:
        decided = store.decisions(run_id)
        outcomes = intent_outcomes(decided)
    else:
        decided = []
        counts, reasons = store.intent_outcome_counts(run_id)
        outcomes = IntentOutcomes(
            counts.get("approved", 0),
            counts.get("resized", 0),
            counts.get("denied", 0),
            dict(sorted(reasons.items())),
        )
    snapshots = store.equity_snapshots(run_id)
    last = snapshots[-1] if snapshots else None
    open_cost = sum((p.quantity * p.average_price for p in book.positions().values()), ZERO)
    unrealized = (last.positions_value - open_cost) if last is not None else ZERO
    orders_by_status = store.order_status_counts(run_id)
    name = bot if bot is not None else bot_name(run)
    return RunReport(
        run=run,
        trades=list(book.trades),
        fills=fills,
        decisions=decided,
        outcomes=outcomes,
        open_positions=book.positions(),
        realized_pnl=book.realized_pnl,
        unrealized_pnl=unrealized,
        fees=book.fees,
        starting_equity=snapshots[0].equity if snapshots else None,
        final_equity=last.equity if last is not None else None,
        max_drawdown=max_drawdown(snapshots),
        balances=balances_from_fills(starting_balances(run), fills),
        orders_by_status=dict(sorted(orders_by_status.items())),
        trading_state=store.latest_trading_state(name) if name is not None else None,
    )


def _dec(value: Decimal | None) -> str | None:
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


def report_to_json(report: RunReport) -> dict[str, Any]:
    """The documented JSON shape of ``spotbot report --json`` (see README: "Report JSON")."""
    run = report.run
    return {
        "run": {
            "id": run.id,
            "status": run.status,
            "mode": run.mode,
            "venue": run.venue,
            "version": run.version,
            "config_hash": run.config_hash,
            "started_at": run.started_at.isoformat(),
            "stopped_at": run.stopped_at.isoformat() if run.stopped_at else None,
        },
        "summary": {
            "trades": len(report.trades),
            "wins": sum(1 for t in report.trades if t.net_pnl > 0),
            "losses": sum(1 for t in report.trades if t.net_pnl <= 0),
            "fills": len(report.fills),
            "symbols_traded": report.symbols_traded,
            "realized_pnl": _dec(report.realized_pnl),
            "unrealized_pnl": _dec(report.unrealized_pnl),
            "fees": _dec(report.fees),
            "starting_equity": _dec(report.starting_equity),
            "final_equity": _dec(report.final_equity),
            "max_drawdown": _dec(report.max_drawdown),
        },
        "trading_state": trading_state_json(report.trading_state),
        "risk": {
            "intents": report.outcomes.total,
            "approved": report.outcomes.approved,
            "resized": report.outcomes.resized,
            "denied": report.outcomes.denied,
            "by_reason": report.outcomes.by_reason,
        },
        "balances": {k: _dec(v) for k, v in sorted(report.balances.items())},
        "orders_by_status": report.orders_by_status,
        "open_positions": [
            {"symbol": p.symbol, "quantity": _dec(p.quantity), "average_price": _dec(p.average_price)}
            for p in report.open_positions.values()
        ],
        "trades": [
            {
                "symbol": t.symbol,
                "opened_at": t.opened_at.isoformat(),
                "closed_at": t.closed_at.isoformat(),
                "quantity": _dec(t.quantity),
                "entry_price": _dec(t.entry_price),
                "exit_price": _dec(t.exit_price),
                "gross_pnl": _dec(t.gross_pnl),
                "fees": _dec(t.fees),
                "net_pnl": _dec(t.net_pnl),
            }
            for t in report.trades
        ],
        "fills": [
            {
                "venue": f.venue,
                "trade_id": f.trade_id,
                "client_order_id": f.client_order_id,
                "symbol": f.symbol,
                "side": f.side.value,
                "price": _dec(f.price),
                "quantity": _dec(f.quantity),
                "fee": _dec(f.fee),
                "fee_currency": f.fee_currency,
                "liquidity": f.liquidity.value,
                "occurred_at": f.occurred_at.isoformat(),
            }
            for f in report.fills
        ],
        "decisions": [
            {
                "intent_id": d.intent_id,
                "guard": d.guard,
                "verdict": d.verdict.value,
                "reason": d.reason,
                "detail": d.detail,
                "quantity_before": _dec(d.quantity_before),
                "quantity_after": _dec(d.quantity_after),
                "decided_at": d.decided_at.isoformat(),
            }
            for d in report.decisions
        ],
    }
