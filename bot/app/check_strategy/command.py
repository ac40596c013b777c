"""``spotbot check-strategy``: load the config and candles as ``spotbot backtest`` does, check every
strategy on every symbol it trades, and describe the outcome as one JSON-ready dict (the console table
and ``--json`` both show it)."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.adapters.market.offline import OfflineMarket
from bot.app.backtest.data import DataError, DataFiles, parse_date
from bot.app.backtest.runner import backtest_market, data_overrides
from bot.app.check_strategy import DEFAULT_SAMPLES
from bot.app.check_strategy.checks import check_symbol
from bot.app.check_strategy.results import CheckResult, Status, SymbolReport
from bot.app.settings import Settings, StrategySettings, load_settings
from bot.domain.clock import ms_to_datetime
from bot.domain.secrets import register_secrets
from strategies.base import Strategy

OnPair = Callable[[str, str], None]  # (strategy name, symbol) about to be checked


@dataclass(frozen=True, slots=True)
class CheckRequest:
    config: Path
    data: Sequence[Path] = ()
    start: str | None = None  # --from
    end: str | None = None  # --to (exclusive)
    samples: int = DEFAULT_SAMPLES


def strategy_from_settings(entry: StrategySettings) -> Strategy:
    """The strategy of one ``[[strategies]]`` entry, built exactly as the bootstrap builds it (a built-in
    kind or a user's class: :mod:`bot.app.strategy_kinds`); the one place to change with it."""
    return entry.build()


def load_inputs(request: CheckRequest) -> tuple[Settings, DataFiles | None, OfflineMarket]:
    """The config with ``--data`` as its CSV source, and the offline market in ``[--from, --to)``, as a
    backtest loads them. Raises ``ConfigError`` or ``ValueError`` (``DataError``) naming what is wrong."""
    start = parse_date(request.start, "--from") if request.start else None
    end = parse_date(request.end, "--to") if request.end else None
    files, overrides = data_overrides(request.config, request.data)
    settings = load_settings(request.config, overrides=overrides or None)
    register_secrets(*settings.secret_values())
    if settings.market.source == "exchange":
        raise DataError(
            f"{request.config}: market.source is 'exchange' and the checks need candle history: give "
            "--data (candle files or a directory, e.g. from spotbot download) or a config with market.source "
            "sim or csv"
        )
    return settings, files, backtest_market(settings, start, end)


def execute(request: CheckRequest, on_pair: OnPair | None = None) -> dict[str, Any]:
    """Check every configured strategy on each of its symbols; the outcome as :func:`result_json`."""
    started = time.perf_counter()
    settings, files, market = load_inputs(request)
    reports: list[tuple[StrategySettings, SymbolReport]] = []
    for entry in settings.strategies:
        make = functools.partial(strategy_from_settings, entry)
        for symbol in entry.symbols:
            if on_pair is not None:
                on_pair(entry.name, symbol)
            report = check_symbol(make, market, symbol, basket=entry.symbols, samples=request.samples)
            reports.append((entry, report))
    return result_json(request, settings, files, reports, time.perf_counter() - started)


def _iso(ms: int) -> str:
    return ms_to_datetime(ms).isoformat()


def check_json(check: CheckResult) -> dict[str, Any]:
    return {
        "status": check.status.value,
        "summary": check.summary,
        "problems": check.count,
        "examples": [{"close_time": _iso(f.close_ms), "what": f.what} for f in check.findings],
    }


def result_json(
    request: CheckRequest,
    settings: Settings,
    files: DataFiles | None,
    reports: Sequence[tuple[StrategySettings, SymbolReport]],
    elapsed: float,
) -> dict[str, Any]:
    results = [
        {
            "strategy": report.strategy,
            "kind": entry.kind,
            "symbol": report.symbol,
            "timeframe": report.timeframe,
            "warmup": report.warmup,
            "candles": report.candles,
            "first_candle_open": _iso(report.first_open_ms),
            "last_candle_close": _iso(report.last_close_ms),
            "ok": report.ok,
            "checks": {check.name: check_json(check) for check in report.checks},
            "elapsed_seconds": round(report.elapsed_seconds, 3),
        }
        for entry, report in reports
    ]
    problems = sum(c.status is Status.PROBLEM for _, report in reports for c in report.checks)
    return {
        "config": str(request.config),
        "data": {
            "source": settings.market.source,
            "files": {s: str(p) for s, p in files.files.items()} if files is not None else {},
            "requested_from": request.start,
            "requested_to": request.end,
        },
        "samples": request.samples,
        "ok": problems == 0,
        "problems": problems,
        "results": results,
        "elapsed_seconds": round(elapsed, 3),
    }
