"""The portfolio a stress test shocks, read from the audit DB through the report's own reader.

- ``--run ID`` (default: the latest non-backtest run of the config's ``bot.name`` in its audit DB), or
  ``--backtest DIR``: the run recorded in ``DIR/audit.sqlite`` and named by ``DIR/result.json``.
- Holdings are the run's open positions (:func:`bot.app.reporting.build_report`: its fills replayed),
  each at its mark in the run's **last equity snapshot**, with its working sell stop orders (price, and
  the quantity they cover). Cash, equity and peak equity are that snapshot's; the day's start equity
  is the first snapshot of its UTC day, as the daily-loss breaker counts it.
- The breaker limits (``risk.daily_loss_limit``, ``risk.max_drawdown``), the exit slippage the sizer
  allows for (``risk.slippage_allowance``) and the taker fee (``market.rules.taker_fee``) come from
  the config given with ``--config``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.adapters.audit.store import SqlAuditStore
from bot.app.backtest.runner import AUDIT_DB_NAME
from bot.app.report_source import check_has_runs
from bot.app.reporting import build_report
from bot.app.settings import Settings
from bot.app.settings.risk_limits import risk_limits
from bot.domain import EquitySnapshot, Order, OrderPurpose, Side
from bot.domain.failures import BadInput, ExitCode, ExitError

RESULT_FILE = "result.json"


@dataclass(frozen=True, slots=True)
class Stop:
    price: Decimal  # the trigger price of the working stop order(s)
    quantity: Decimal  # how much of the position they sell


@dataclass(frozen=True, slots=True)
class Holding:
    symbol: str
    quantity: Decimal
    average_price: Decimal
    price: Decimal  # the mark at the last snapshot
    stop: Stop | None = None

    @property
    def value(self) -> Decimal:
        return self.quantity * self.price


@dataclass(frozen=True, slots=True)
class Portfolio:
    source: str  # where it was read: "run 3 of bot 'x'", "backtest DIR (run 1)"
    run_id: int
    at: datetime  # the last equity snapshot's time
    quote: str
    cash: Decimal
    equity: Decimal
    peak_equity: Decimal
    day_start_equity: Decimal
    holdings: tuple[Holding, ...]
    daily_loss_limit: Decimal
    max_drawdown: Decimal
    slippage: Decimal  # risk.slippage_allowance: what a stop's exit is allowed to slip
    taker_fee: Decimal


@dataclass(frozen=True, slots=True)
class BacktestDir:
    """What ``--backtest DIR`` names: its audit DB, its run and the candle files it replayed."""

    audit_url: str
    run_id: int
    data_files: dict[str, Path]


def read_backtest_dir(directory: Path) -> BacktestDir:
    """``DIR/result.json`` and ``DIR/audit.sqlite``; a directory without them is bad input (exit 2)."""
    result_path, db_path = directory / RESULT_FILE, directory / AUDIT_DB_NAME
    try:
        result: dict[str, Any] = json.loads(result_path.read_text(encoding="utf-8"))
        run_id = int(result["run"]["id"])
        files = {symbol: Path(path) for symbol, path in result["data"]["files"].items()}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BadInput(
            f"--backtest {directory}: no readable {RESULT_FILE} ({type(exc).__name__}); give the --out "
            "directory of a spotbot backtest"
        ) from None
    if not db_path.is_file():
        raise BadInput(f"--backtest {directory}: no {AUDIT_DB_NAME} beside its {RESULT_FILE}")
    return BacktestDir(f"sqlite:///{db_path.resolve()}", run_id, files)


def stops_by_symbol(orders: list[Order]) -> dict[str, Stop]:
    """The working sell stops of each symbol: the highest trigger, and the quantity they all cover."""
    stops: dict[str, Stop] = {}
    for order in orders:
        if order.purpose is not OrderPurpose.STOP or order.side is not Side.SELL or order.stop_price is None:
            continue
        held = stops.get(order.symbol)
        quantity = order.remaining_quantity + (held.quantity if held else Decimal(0))
        price = max(order.stop_price, held.price) if held else order.stop_price
        stops[order.symbol] = Stop(price, quantity)
    return stops


def day_start(snapshots: list[EquitySnapshot]) -> Decimal:
    """Equity at the first snapshot of the last snapshot's UTC day (the daily-loss breaker's start)."""
    day = snapshots[-1].taken_at.date()
    return next(s.equity for s in snapshots if s.taken_at.date() == day)


def read_portfolio(settings: Settings, *, run_id: int | None, backtest: BacktestDir | None) -> Portfolio:
    """The portfolio at the end of the run. Raises :class:`ExitError` (exit 1) when there is no run,
    or the run has no equity snapshot yet."""
    url = backtest.audit_url if backtest is not None else settings.effective_database_url
    if backtest is None:
        check_has_runs(settings)
    with SqlAuditStore(url, venue=settings.venue) as store:
        run_id = backtest.run_id if backtest is not None else run_id
        name = settings.bot.name
        runs = [r for r in store.runs() if run_id == r.id or (run_id is None and r.bot_name == name)]
        runs = [r for r in runs if run_id is not None or r.kind != "backtest"]
        if not runs:
            what = f"run {run_id}" if run_id is not None else f"run of bot {name!r}"
            raise ExitError(f"nothing to stress: no {what} in the audit DB at {store.database}",
                            exit_code=ExitCode.FAILED)  # fmt: skip
        run = max(runs, key=lambda r: r.id)
        report = build_report(store, run.id, decisions=False)
        snapshots = store.equity_snapshots(run.id)
        working = store.orders(run.id, only_open=True)
    if not snapshots:
        raise ExitError(
            f"nothing to stress: run {run.id} has no equity snapshot yet", exit_code=ExitCode.FAILED
        )
    last = snapshots[-1]
    stops = stops_by_symbol(working)
    holdings = tuple(
        Holding(
            symbol, p.quantity, p.average_price, last.marks.get(symbol, p.average_price), stops.get(symbol)
        )
        for symbol, p in sorted(report.open_positions.items())
    )
    source = f"backtest run {run.id}" if backtest is not None else f"run {run.id} of bot {run.bot_name!r}"
    risk = risk_limits(settings)
    return Portfolio(
        source=source,
        run_id=run.id,
        at=last.taken_at,
        quote=settings.bot.quote_currency,
        cash=last.cash,
        equity=last.equity,
        peak_equity=last.peak_equity,
        day_start_equity=day_start(snapshots),
        holdings=holdings,
        daily_loss_limit=risk.daily_loss_limit,
        max_drawdown=risk.max_drawdown,
        slippage=risk.slippage_allowance,
        taker_fee=settings.market.rules.taker_fee,
    )
