"""``spotbot stress``'s output: a table per portfolio and scenario, or one JSON object (``--json``).

Money is a decimal string (as in ``spotbot report --json``), fractions floats; the fields are listed in
the README ("Stress tests")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.table import Table

from bot.app.report_json import decimal_text
from bot.app.settings.types import format_duration
from bot.app.stress.candles import Closes
from bot.app.stress.model import HoldingLoss, ScenarioResult
from bot.app.stress.portfolio import Holding, Portfolio
from bot.app.stress.scenarios import ScenarioFile
from bot.domain.clock import ms_to_datetime


def _holding_json(h: Holding) -> dict[str, Any]:
    return {
        "symbol": h.symbol,
        "quantity": decimal_text(h.quantity),
        "average_price": decimal_text(h.average_price),
        "price": decimal_text(h.price),
        "value": decimal_text(h.value),
        "stop_price": decimal_text(h.stop.price) if h.stop else None,
        "stop_quantity": decimal_text(h.stop.quantity) if h.stop else None,
    }


def _loss_json(h: HoldingLoss) -> dict[str, Any]:
    return {
        "symbol": h.holding.symbol,
        "move": h.move.fraction,
        "move_source": h.move.source,
        "price": decimal_text(h.holding.price),
        "shocked_price": decimal_text(h.shocked_price),
        "stop_price": decimal_text(h.holding.stop.price) if h.holding.stop else None,
        "stop_outcome": h.stop_outcome,
        "exit_price": decimal_text(h.exit_price),
        "loss_without_stops": decimal_text(h.loss_without_stops),
        "loss_with_stops": decimal_text(h.loss_with_stops),
    }


def scenario_json(result: ScenarioResult) -> dict[str, Any]:
    s = result.scenario
    head = {"name": s.name, "description": s.description, "reference": result.reference,
            "gap_through_stops": s.gap_through_stops, "venue_down_hours": s.venue_down_hours,
            "depth_factor": s.depth_factor, "skipped": result.skipped}  # fmt: skip
    if result.skipped is not None:
        return head
    return {
        **head,
        "loss_without_stops": decimal_text(result.loss_without_stops),
        "loss_without_stops_of_equity": result.of_equity(result.loss_without_stops),
        "loss_with_stops": decimal_text(result.loss_with_stops),
        "loss_with_stops_of_equity": result.of_equity(result.loss_with_stops),
        "equity_after": decimal_text(result.equity - result.loss_with_stops),
        "breakers": {
            b.name: {"figure": float(b.figure), "limit": float(b.limit), "breached": b.breached}
            for b in result.breakers
        },
        "holdings": [_loss_json(h) for h in result.holdings],
    }


def stress_json(
    portfolio: Portfolio,
    scenarios: ScenarioFile,
    closes: Mapping[str, Closes],
    results: Sequence[ScenarioResult],
) -> dict[str, Any]:
    return {
        "portfolio": {
            "source": portfolio.source,
            "run_id": portfolio.run_id,
            "at": portfolio.at.isoformat(),
            "quote_currency": portfolio.quote,
            "equity": decimal_text(portfolio.equity),
            "cash": decimal_text(portfolio.cash),
            "peak_equity": decimal_text(portfolio.peak_equity),
            "day_start_equity": decimal_text(portfolio.day_start_equity),
            "daily_loss_limit": float(portfolio.daily_loss_limit),
            "max_drawdown": float(portfolio.max_drawdown),
            "slippage_allowance": float(portfolio.slippage),
            "taker_fee": float(portfolio.taker_fee),
            "holdings": [_holding_json(h) for h in portfolio.holdings],
        },
        "candles": {
            "lookback": format_duration(scenarios.lookback),
            "series": {
                symbol: {
                    "first_close": ms_to_datetime(int(c.times[0])).isoformat() if len(c.times) else None,
                    "last_close": ms_to_datetime(int(c.times[-1])).isoformat() if len(c.times) else None,
                    "closes": len(c.times),
                }
                for symbol, c in sorted(closes.items())
            },
        },
        "scenarios": [scenario_json(r) for r in results],
    }


def _money(amount: Decimal, equity: Decimal) -> str:
    share = f" ({amount / equity * 100:.2f}%)" if equity > 0 else ""
    return f"{float(amount):.8g}{share}"


def _breaker(result: ScenarioResult, name: str) -> str:
    check = next(b for b in result.breakers if b.name == name)
    verdict = "trips: no new entries" if check.breached else "below the limit"
    return f"{float(check.figure) * 100:.2f}% / {float(check.limit) * 100:.2f}%\n{verdict}"


OUTCOME = {"no stop": "no stop", "not reached": "stop not hit", "stopped": "stopped", "gapped through": "gap"}


def _moves(result: ScenarioResult) -> str:
    lines = []
    for h in result.holdings:
        beta = (
            f" (β {h.move.fraction / s:.2f})"
            if (s := result.scenario.shock) and h.move.source.startswith("beta")
            else ""
        )
        lines.append(f"{h.holding.symbol} {h.move.fraction:+.1%}{beta} {OUTCOME[h.stop_outcome]}")
    return "\n".join(lines) or "no holdings"


def print_stress(console: Console, portfolio: Portfolio, results: Sequence[ScenarioResult]) -> None:
    quote = portfolio.quote
    holdings = "; ".join(
        f"{h.symbol} {h.quantity} @ {h.price}" + (f" stop {h.stop.price}" if h.stop else " no stop")
        for h in portfolio.holdings
    )
    console.print(
        f"{portfolio.source} at {portfolio.at.isoformat()}: equity {portfolio.equity:.8g} {quote} "
        f"(peak {portfolio.peak_equity:.8g}, day start {portfolio.day_start_equity:.8g}); "
        f"holdings: {holdings or 'none'}",
        highlight=False,
    )
    table = Table(title=f"Stress scenarios (losses in {quote}, % of equity)")
    for column in ("scenario", "moves", "loss without stops", "loss with stops",
                   "daily loss / limit", "drawdown / limit"):  # fmt: skip
        table.add_column(column, justify="left" if column in ("scenario", "moves") else "right")
    for r in results:
        name = r.scenario.name
        if r.skipped is not None:
            table.add_row(name, f"skipped: {r.skipped}", "-", "-", "-", "-")
            continue
        table.add_row(name, _moves(r), _money(r.loss_without_stops, r.equity),
                      _money(r.loss_with_stops, r.equity), _breaker(r, "daily_loss"),
                      _breaker(r, "max_drawdown"))  # fmt: skip
    console.print(table)
    for r in results:
        console.print(f"{r.scenario.name}: {r.scenario.description}", highlight=False)
    console.print(
        "with stops: a stop sells at its price less the slippage allowance ÷ depth factor, plus the taker "
        "fee; through a gap or after an outage, at the shocked price. A breached breaker halts entries "
        "after the loss: it does not undo it.",
        highlight=False,
    )
