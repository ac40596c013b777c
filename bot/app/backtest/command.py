"""``spotbot backtest``: load, replay, measure, print, and write ``result.json``, ``equity.png`` and
``report.html``."""

from __future__ import annotations

import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from bot.app.backtest.chart import write_equity_chart
from bot.app.backtest.console import print_backtest
from bot.app.backtest.data import parse_date
from bot.app.backtest.price_chart import write_price_chart
from bot.app.backtest.report_page import write_report_page
from bot.app.backtest.result import result_to_json, write_result
from bot.app.backtest.runner import BacktestRun, backtest_market, load_backtest_settings, run_backtest
from bot.app.logging_setup import configure_logging
from bot.domain.clock import SystemClock
from bot.domain.secrets import register_secrets

RESULT_FILE = "result.json"
CHART_FILE = "equity.png"
PAGE_FILE = "report.html"
PRICES_FILE = "prices.png"
LOG_FILE = "backtest.log"
PROGRESS_AFTER_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class BacktestRequest:
    config: Path
    data: Sequence[Path] = ()
    start: str | None = None  # --from
    end: str | None = None  # --to (exclusive)
    out: Path | None = None
    log_level: str = "WARNING"  # backtest.log: the audit DB holds every decision, order and fill


def default_out_dir(config: Path) -> Path:
    """``backtests/<config stem>-<UTC timestamp>/`` under the working directory."""
    stamp = SystemClock().now().strftime("%Y%m%dT%H%M%SZ")
    return Path("backtests") / f"{config.stem}-{stamp}"


class LazyProgress:
    """A rich progress bar that appears only once the backtest has taken a few seconds."""

    def __init__(self, console: Console, after_seconds: float = PROGRESS_AFTER_SECONDS) -> None:
        self._console = console
        self._after = after_seconds
        self._started = time.monotonic()
        self._progress: Progress | None = None
        self._task: Any = None

    def __call__(self, done: int, total: int) -> None:
        if self._progress is None:
            if time.monotonic() - self._started < self._after or done >= total:
                return
            self._progress = Progress(
                TextColumn("backtest"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("candles"),
                TimeRemainingColumn(),
                console=self._console,
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task("backtest", total=total)
        self._progress.update(self._task, completed=done)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()


def execute(request: BacktestRequest, console: Console) -> tuple[BacktestRun, dict[str, Any], Path]:
    """Run the backtest described by ``request``; returns the run, its result JSON and the output dir.

    Raises ``ConfigError`` (bad config) or ``ValueError`` (bad data, dates or candle files).
    """
    start = parse_date(request.start, "--from") if request.start else None
    end = parse_date(request.end, "--to") if request.end else None
    out_dir = request.out or default_out_dir(request.config)
    settings, files = load_backtest_settings(request.config, request.data, out_dir)
    register_secrets(*settings.secret_values())
    outermost = out_dir  # the outermost folder this command creates (backtests/ on a first run)
    while not outermost.parent.exists():
        outermost = outermost.parent
    created = None if out_dir.exists() else outermost
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        configure_logging(request.log_level, "json", file=out_dir / LOG_FILE, stream=None)
        market = backtest_market(settings, start, end)
    except BaseException:  # refused before it ran (a bad level, window or file): leave nothing behind
        if created is not None:
            shutil.rmtree(created, ignore_errors=True)
        raise
    progress = LazyProgress(console)
    try:
        run = run_backtest(settings, market, on_progress=progress, data=files)
    finally:
        progress.close()
    run.app.store.close()
    result = result_to_json(
        run, config_path=request.config, requested_from=request.start, requested_to=request.end
    )
    write_result(out_dir / RESULT_FILE, result)
    title = f"{request.config.name}: {', '.join(settings.market.symbols)} {settings.market.timeframe}"
    write_equity_chart(
        out_dir / CHART_FILE, run.close_times_ms, run.curve, title=title, quote=settings.bot.quote_currency
    )
    trades = run.report.trades
    write_price_chart(
        out_dir / PRICES_FILE, {s: market.series(s) for s in market.symbols()}, trades, title=title
    )
    write_report_page(out_dir / PAGE_FILE, result, out_dir / CHART_FILE, title=f"spotbot backtest: {title}",
                      prices=out_dir / PRICES_FILE, trades=trades, journal=run.report.journal)  # fmt: skip
    return run, result, out_dir


def report_paths(console: Console, out_dir: Path) -> None:
    written = ", ".join(str(out_dir / name) for name in (RESULT_FILE, CHART_FILE, PRICES_FILE, PAGE_FILE))
    console.print(f"wrote {written} (log {out_dir / LOG_FILE})", highlight=False)


__all__ = ["BacktestRequest", "execute", "print_backtest", "report_paths"]
