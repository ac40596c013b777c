"""A run's report, built from the audit DB alone.

The end-of-run summary and ``spotbot report`` both come from here, so what the daemon prints is
exactly what the DB can prove. Trades and P&L are recomputed by replaying the stored fills through
:class:`~bot.core.positions.PositionBook` (:mod:`bot.core.run_books`): a bot on a real venue carries its
earlier
runs' positions, and balances are what the run started with plus its fills.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select

from bot.adapters.audit import convert
from bot.adapters.audit.journal import SqlTradeJournal
from bot.adapters.audit.models import IntentRow, RiskDecisionRow, table_of
from bot.adapters.audit.store import SqlAuditStore
from bot.app.journal.build import build_journal
from bot.app.journal.model import JournalEntry
from bot.core.positions import Trade
from bot.core.run_books import balances_from_fills, earlier_runs, run_books
from bot.domain import EquitySnapshot, Fill, Position, RiskDecision, Verdict
from bot.domain.records import RunRecord, TradingStateEvent

__all__ = [
    "IntentOutcomes",
    "RunReport",
    "balances_from_fills",
    "build_report",
    "intent_outcomes",
    "latest_entry_decision",
    "latest_regime_decision",
]

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
    fees: Decimal  # every fee, valued in the quote currency at its fill price
    starting_equity: Decimal
    final_equity: Decimal
    max_drawdown: Decimal
    balances: dict[str, Decimal]
    orders_by_status: dict[str, int]
    trading_state: TradingStateEvent | None = None  # the bot's state now (newest event), None if never set
    carried_positions: dict[str, Position] = field(default_factory=dict)  # held when the run started
    starting_unrealized_pnl: Decimal = Decimal(0)  # of the carried positions at the run's start
    dust: dict[str, Decimal] = field(default_factory=dict)  # held below the lot step, not traded
    regime: RiskDecision | None = None  # the run's latest regime guard decision on an entry ([regime])
    cvar: RiskDecision | None = None  # the run's latest cvar guard decision on an entry (max_cvar)
    journal: list[JournalEntry] = field(default_factory=list)  # one entry per trade, same order

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


REGIME_GUARD = "regime"  # risk.regime_guard.RegimeGuard.name
EXIT_PASSES = "exit_always_passes"  # an exit's decision: no regime computed for it


CVAR_GUARD = "cvar"  # risk.portfolio_guards.CvarGuard.name


def latest_regime_decision(store: SqlAuditStore, run_id: int) -> RiskDecision | None:
    """The run's latest ``regime`` decision on an entry (its detail names the regime then), or None."""
    return latest_entry_decision(store, run_id, REGIME_GUARD)


def latest_entry_decision(store: SqlAuditStore, run_id: int, guard: str) -> RiskDecision | None:
    """The run's latest decision of ``guard`` on an entry (an exit's ``exit_always_passes`` is not one).

    One query, without loading the run's other decisions (a backtest holds hundreds of thousands)."""
    decisions, intents = table_of(RiskDecisionRow), table_of(IntentRow)
    query = (
        select(decisions)
        .join(intents, intents.c.intent_id == decisions.c.intent_id)
        .where(
            intents.c.run_id == run_id,
            decisions.c.guard == guard,
            decisions.c.reason != EXIT_PASSES,
        )
        .order_by(decisions.c.decided_at.desc(), decisions.c.id.desc())
        .limit(1)
    )
    flush = getattr(store, "flush", None)  # a backtest's write-behind store: its rows first
    if callable(flush):
        flush()
    with store.engine.connect() as connection:
        row = connection.execute(query).first()
    return convert.decision(row) if row is not None else None


def bot_name(run: RunRecord) -> str | None:
    """The bot name the run was started with, if recorded."""
    if run.bot_name is not None:
        return run.bot_name
    bot = run.config.get("bot", {}) if isinstance(run.config, dict) else {}
    name = bot.get("name") if isinstance(bot, dict) else None
    return name if isinstance(name, str) else None


def build_report(
    store: SqlAuditStore,
    run_id: int | None = None,
    *,
    bot: str | None = None,
    decisions: bool = True,
    extras: bool = True,
) -> RunReport:
    """The report of ``run_id`` (default: the latest run). Raises LookupError if there is none.

    ``trading_state`` is the current state of ``bot`` (default: the bot name the run was started
    with): the newest trading state event, whichever run or command wrote it. ``decisions=False``
    leaves ``report.decisions`` empty and counts the outcomes in the database instead (a long
    backtest holds a decision per guard per intent: hundreds of thousands of rows). ``extras=False``
    leaves out what only a reader of the report looks at: the trade journal, the latest regime and cvar
    decisions, the bot's trading state (an optimize trial scores the books and fills alone).
    """
    run_id = run_id if run_id is not None else store.latest_run_id()
    runs = {r.id: r for r in store.runs()}
    if run_id is None or run_id not in runs:
        raise LookupError(
            f"no run {run_id} in the audit DB" if run_id is not None else "the audit DB has no runs yet"
        )
    run = runs[run_id]
    fills = store.fills(run_id)
    carried = [fill for earlier in earlier_runs(runs.values(), run) for fill in store.fills(earlier)]
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
    books = run_books(run, carried, fills, snapshots)
    name = (bot if bot is not None else bot_name(run)) if extras else None  # None: no trading state read
    return RunReport(
        run=run,
        trades=books.trades,
        fills=fills,
        decisions=decided,
        outcomes=outcomes,
        open_positions=books.open_positions,
        realized_pnl=books.realized_pnl,
        unrealized_pnl=books.unrealized_pnl,
        fees=books.fees,
        starting_equity=books.starting_equity,
        final_equity=books.final_equity,
        max_drawdown=max_drawdown(snapshots),
        balances=books.balances,
        orders_by_status=dict(sorted(store.order_status_counts(run_id).items())),
        trading_state=store.latest_trading_state(name) if name is not None else None,
        carried_positions=books.carried_positions,
        starting_unrealized_pnl=books.starting_unrealized_pnl,
        dust=books.dust,
        regime=latest_regime_decision(store, run_id) if extras else None,
        cvar=latest_entry_decision(store, run_id, CVAR_GUARD) if extras else None,
        journal=build_journal(SqlTradeJournal(store.engine), run, carried, fills) if extras else [],
    )
