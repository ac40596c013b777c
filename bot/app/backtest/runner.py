"""Run a backtest in-process: the daemon's own wiring (``build_app``), stepped candle by candle, no scheduler.

The strategy, risk chain, execution policy, paper broker and audit DB are exactly those of a sim run;
only the pacing differs (as fast as possible instead of ``replay_speed`` candles a second).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.adapters.market.offline import OfflineMarket
from bot.app.backtest.curve import FloatArray, equity_curve
from bot.app.backtest.data import (
    DataError,
    DataFiles,
    resolve_data,
    restrict_market,
    symbol_of_file,
    window_ms,
)
from bot.app.backtest.event_replay import event_replay
from bot.app.backtest.metrics import BacktestMetrics, compute_metrics
from bot.app.bootstrap import App, build_app, build_market, finish_app
from bot.app.reporting import RunReport
from bot.app.settings import ConfigError, Settings, load_settings
from bot.domain import TIMEFRAME_SECONDS
from bot.domain.series import IntArray

if TYPE_CHECKING:
    from sqlalchemy import Engine

Progress = Callable[[int, int], None]  # (candles done, candles in all)
AUDIT_DB_NAME = "audit.sqlite"


@dataclass(slots=True)
class BacktestRun:
    settings: Settings
    app: App
    report: RunReport
    metrics: BacktestMetrics
    close_times_ms: IntArray  # every candle close replayed
    curve: FloatArray  # equity at each close
    outcome: str  # "completed" or "failed" (a tick raised: ``error``)
    elapsed_seconds: float
    data: DataFiles | None
    error: BaseException | None = None  # what the failed tick raised
    ticks: int = 0  # closes the engine was ticked at (the rest were quiet: nothing could happen)


def data_overrides(
    config: Path, data: Sequence[Path], *, env: dict[str, str] | None = None
) -> tuple[DataFiles | None, dict[str, Any]]:
    """``--data`` as settings overrides (a CSV market source), and the files it resolved to: one
    directory holds the config's symbols, files given one by one are the symbols traded."""
    if not data:
        return None, {}
    explicit = all(path.is_file() for path in data)
    # Files given one by one name the symbols and make the source csv: the config's own market.symbols
    # and what only its sim source reads (start prices) must not be required to be valid first.
    named = None
    if explicit:
        by_symbol = {symbol_of_file(path)[0]: str(path) for path in data}
        named = {"market": {"symbols": list(by_symbol), "source": "csv", "csv": {"files": by_symbol}}}
    try:
        settings = load_settings(config, env=env, overrides=named)
    except ConfigError as exc:
        raise _other_quote(exc, config, data) or exc from None
    files = resolve_data(data, settings.market.symbols, settings.market.timeframe)
    market: dict[str, Any] = {
        "source": "csv",
        "csv": {"files": {symbol: str(path) for symbol, path in files.files.items()}},
    }
    if files.explicit:
        market["symbols"] = list(files.files)
    return files, {"market": market}


def _other_quote(exc: ConfigError, config: Path, data: Sequence[Path]) -> DataError | None:
    """The one fix for candles quoted in another currency than the config's: a config made for them."""
    wrong_quote = "a symbol quoted in bot.quote_currency"
    if not exc.problems or not all(p.allowed.startswith(wrong_quote) for p in exc.problems):
        return None
    quotes = sorted({symbol_of_file(path)[0].split("/")[1] for path in data})
    ours = exc.problems[0].allowed.removeprefix(wrong_quote).strip(" ()")
    return DataError(
        f"--data: the candles are quoted in {', '.join(quotes)} and {config} trades in {ours}; use a "
        f"config made for {'/'.join(quotes)} markets (config/btc-pairs.example.toml and "
        f"config/strategies/*.toml run on BTC-quoted candles as they are) or set bot.quote_currency, "
        f"bot.starting_balances and market.rules.min_notional for them"
    )


def check_replayable(config: Path, settings: Settings) -> None:
    """A backtest replays offline history: refuse a config that would trade an exchange live."""
    if settings.market.source == "exchange":
        raise DataError(
            f"{config}: market.source is 'exchange' and a backtest replays history: give --data (candle "
            "files, e.g. from spotbot download) or a config with market.source sim or csv"
        )


def load_backtest_settings(
    config: Path, data: Sequence[Path], out_dir: Path, *, env: dict[str, str] | None = None
) -> tuple[Settings, DataFiles | None]:
    """The config with ``--data`` as a CSV source and, unless ``bot.database_url`` is set, an audit DB
    of its own in ``out_dir`` (so backtests never mix with the daemon's DB)."""
    files, overrides = data_overrides(config, data, env=env)
    settings = load_settings(config, env=env, overrides=overrides or None)
    check_replayable(config, settings)
    if settings.bot.database_url is None:
        overrides = {**overrides, "bot": {"database_url": f"sqlite:///{out_dir.resolve() / AUDIT_DB_NAME}"}}
        settings = load_settings(config, env=env, overrides=overrides)
    return settings, files


def backtest_market(settings: Settings, start: datetime | None, end: datetime | None) -> OfflineMarket:
    """The configured offline market (sim or csv), restricted to candles opening in ``[start, end)``."""
    return restrict_market(build_market(settings, window_ms(start, end)), start, end)


def run_backtest(
    settings: Settings,
    market: OfflineMarket,
    *,
    on_progress: Progress | None = None,
    progress_every: int = 250,
    data: DataFiles | None = None,
    extras: bool = True,
    audit_engine: Engine | None = None,
) -> BacktestRun:
    """Replay every candle close of ``market`` through the engine, then report and measure the run
    (``extras=False``: a report without the trade journal and annotations, see
    :func:`bot.app.reporting.build_report`; the metrics are the same). ``audit_engine``: see
    :func:`bot.app.bootstrap.build_app`."""
    started = time.perf_counter()
    app = build_app(settings, market=market, backtest=True, audit_engine=audit_engine)
    replay = event_replay(app, market)
    total = replay.progress.total
    reported = 0

    def report_progress(done: int) -> None:
        nonlocal reported
        if on_progress is not None and done - reported >= progress_every:
            reported = done
            on_progress(min(done, total), total)

    replay.run_to_end(report_progress)
    if on_progress is not None:
        on_progress(total, total)
    outcome = "failed" if replay.error is not None else "completed"
    report = finish_app(app, outcome, decisions=False, extras=extras)
    close_times = app.replay.close_times_ms[:total]
    quote = settings.bot.quote_currency
    curve = equity_curve(close_times, market, report.fills, settings.bot.starting_balances, quote)
    metrics = compute_metrics(
        close_times_ms=close_times,
        timeframe_seconds=TIMEFRAME_SECONDS[settings.market.timeframe],
        curve=curve,
        trades=report.trades,
        open_since=[p.opened_at for p in report.open_positions.values()],
        fees=report.fees,
        risk_by_reason=report.outcomes.by_reason,
    )
    return BacktestRun(
        settings=settings,
        app=app,
        report=report,
        metrics=metrics,
        close_times_ms=close_times,
        curve=curve,
        outcome=outcome,
        elapsed_seconds=time.perf_counter() - started,
        data=data,
        error=replay.error,
        ticks=replay.ticks,
    )
