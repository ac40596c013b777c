"""Terminal rendering with rich: the live status block, the end-of-run summary, the report tables.

The only module (with the CLI) that writes to the terminal; library code logs through structlog.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from rich.console import Console, Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from bot.app.daemon import ReplayProgress
from bot.app.journal.model import JournalEntry, holding_text
from bot.app.reporting import RunReport
from bot.core.engine_status import EngineStatus
from bot.domain import Position
from bot.domain.journal import ExitReason
from bot.domain.records import TradingStateEvent


def _money(value: Decimal | None, places: int = 2) -> str:
    if value is None:
        return "-"
    return f"{value:,.{places}f}"


def status_line(status: EngineStatus, progress: ReplayProgress | None, quote: str) -> Text:
    """Two compact lines, refreshed in place while the daemon runs (fits an 80-column terminal)."""
    at = status.now.strftime("%Y-%m-%d %H:%M") if status.now else "starting"
    first = [f"[bold]{at}[/]"]
    if progress is not None and progress.total:
        first.append(f"candle {progress.done}/{progress.total} ({100 * progress.done // progress.total}%)")
    peak = status.peak_equity
    drawdown = (peak - status.equity) / peak * 100 if peak > 0 else Decimal(0)
    first += [f"equity {_money(status.equity)} {quote}", f"dd {drawdown:.2f}%"]
    verdicts = "/".join(str(status.verdicts.get(k, 0)) for k in ("approved", "resized", "denied"))
    second = [
        f"open {status.open_positions}",
        f"trades {status.trades}",
        f"fills {status.fills}",
        f"intents ok/resized/denied {verdicts}",
    ]
    text = " | ".join(first) + "\n" + " | ".join(second)
    if status.last_event:
        text += f"\nlast fill: {status.last_event}"
    return Text.from_markup(text)


def summary_table(report: RunReport, quote: str) -> Group:
    summary = Table(title=f"Run {report.run.id} ({report.run.status})", show_header=False, box=None)
    summary.add_column(style="bold")
    summary.add_column(justify="right")
    wins = sum(1 for t in report.trades if t.net_pnl > 0)
    summary.add_row("trades (round trips)", f"{len(report.trades)} ({wins} won)")
    summary.add_row("symbols traded", ", ".join(report.symbols_traded) or "-")
    summary.add_row("fills", str(len(report.fills)))
    summary.add_row(f"realized P&L ({quote})", _money(report.realized_pnl))
    summary.add_row(f"unrealized P&L ({quote})", _money(report.unrealized_pnl))
    summary.add_row("open positions", positions_text(report.open_positions))
    summary.add_row(f"fees ({quote})", _money(report.fees))
    summary.add_row(
        f"equity start -> end ({quote})", f"{_money(report.starting_equity)} -> {_money(report.final_equity)}"
    )
    summary.add_row("max drawdown", f"{report.max_drawdown * 100:.2f}%")
    summary.add_row("trading state", trading_state_text(report.trading_state))
    if report.regime is not None:  # [regime]: as the run's latest entry decision saw it
        summary.add_row(
            "market regime", f"{report.regime.detail} (at {report.regime.decided_at:%Y-%m-%d %H:%M})"
        )
    if report.cvar is not None:  # max_cvar: the figures as the run's latest entry decision saw them
        summary.add_row(
            "portfolio 1-day CVaR", f"{report.cvar.detail} (at {report.cvar.decided_at:%Y-%m-%d %H:%M})"
        )
    o = report.outcomes
    summary.add_row("intents", f"{o.total}: {o.approved} approved, {o.resized} resized, {o.denied} denied")
    parts: list[Table] = [summary]
    if o.by_reason:
        reasons = Table(title="Risk decisions (denied / resized) by guard:reason")
        reasons.add_column("guard:reason")
        reasons.add_column("count", justify="right")
        for key, count in o.by_reason.items():
            reasons.add_row(key, str(count))
        parts.append(reasons)
    return Group(*parts)


def positions_text(open_positions: Mapping[str, Position]) -> str:
    """What the unrealized P&L is made of: ``BTC/USDT 0.0123 @ 42000.5, ETH/USDT ...``; ``-`` if flat."""
    positions = sorted(open_positions.items())
    return ", ".join(f"{s} {p.quantity.normalize():f} @ {p.average_price:.8g}" for s, p in positions) or "-"


def balances_text(balances: Mapping[str, Decimal], quote: str) -> str:
    """The quote currency as money (2 places, like every other amount here); coins as held, exactly."""
    return ", ".join(
        f"{currency} {_money(amount) if currency == quote else f'{amount.normalize():f}'}"
        for currency, amount in sorted(balances.items())
        if amount != 0
    )


def trading_state_text(event: TradingStateEvent | None) -> str:
    """``HALTED (kill_switch) by cli:alice@box since 2024-03-01 12:00 UTC``; ``-`` if never set."""
    if event is None:
        return "- (never changed: active)"
    since = event.occurred_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    flatten = ", flatten" if event.flatten else ""
    return f"{event.state.value.upper()} ({event.reason}{flatten}) by {event.actor} since {since}"


def print_trading_state(console: Console, bot_name: str, event: TradingStateEvent) -> None:
    console.print(f"[bold]{bot_name}[/]: {trading_state_text(event)}", highlight=False)


def trades_table(report: RunReport) -> Table:
    table = Table(title="Trades")
    for col in ("id", "symbol", "opened", "closed", "qty", "entry", "exit", "net P&L", "fees"):
        table.add_column(col, justify="right" if col not in ("id", "symbol", "opened", "closed") else "left")
    ids = [e.trade_id for e in report.journal] if len(report.journal) == len(report.trades) else []
    for i, t in enumerate(report.trades):
        table.add_row(
            ids[i] if ids else "-",
            t.symbol,
            t.opened_at.strftime("%m-%d %H:%M"),
            t.closed_at.strftime("%m-%d %H:%M"),
            f"{t.quantity.normalize():f}",
            f"{t.entry_price:.8g}",
            f"{t.exit_price:.8g}",
            _money(t.net_pnl, 4),
            _money(t.fees, 4),
        )
    return table


def _ratio(value: Decimal | None, places: int = 2, *, percent: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value * 100:.{places}f}%" if percent else f"{value:+.{places}f}"


def journal_table(journal: Sequence[JournalEntry], quote: str) -> Table:
    """Per trade: strategy, why it was entered and left, R, MAE/MFE, how long it was held, fees."""
    table = Table(title="Trade journal")
    columns = ("id", "strategy", "entry reason", "exit", "R", "MAE", "MFE", "held", f"fees ({quote})")
    for col in columns:
        table.add_column(
            col, justify="right" if col in ("R", "MAE", "MFE", "held") or "fees" in col else "left"
        )
    for e in journal:
        signal = e.exit_reason is ExitReason.SIGNAL and e.exit_detail  # the strategy's reason; stops: --json
        exit_text = f"{e.exit_reason.value} ({e.exit_detail})" if signal else e.exit_reason.value
        table.add_row(
            e.trade_id, escape(e.strategy or "-"), escape(e.entry_reason or "-"), escape(exit_text),
            _ratio(e.r_multiple), _ratio(e.mae, percent=True), _ratio(e.mfe, percent=True),
            holding_text(e.holding), _money(e.trade.fees, 4),
        )  # fmt: skip
    return table


def notes_lines(journal: Sequence[JournalEntry]) -> list[str]:
    """Each note: ``3-2 2024-03-01 12:00 cli:alice@box: text``, by trade then time."""
    return [
        f"{e.trade_id} {n.created_at:%Y-%m-%d %H:%M} {n.actor}: {n.text}" for e in journal for n in e.notes
    ]


def print_report(console: Console, report: RunReport, quote: str, *, with_trades: bool = True) -> None:
    console.print(summary_table(report, quote))
    if with_trades and report.trades:
        console.print(trades_table(report))
    if with_trades and report.journal:
        console.print(journal_table(report.journal, quote))
        for line in notes_lines(report.journal):
            console.print(f"[bold]note[/] {escape(line)}", highlight=False)
    if report.balances:
        console.print(f"[bold]balances from fills:[/] {balances_text(report.balances, quote)}")
    if report.carried_positions:
        carried = ", ".join(
            f"{s} {p.quantity.normalize():f}" for s, p in sorted(report.carried_positions.items())
        )
        console.print(f"[bold]positions carried in from earlier runs:[/] {carried}")
    if report.dust:
        dust = ", ".join(f"{s} {q.normalize():f}" for s, q in sorted(report.dust.items()))
        console.print(f"[bold]dust below the lot step (held, not traded):[/] {dust}")
