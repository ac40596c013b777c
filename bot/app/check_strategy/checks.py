"""The three checks of one strategy on one symbol's candles (see the package docstring).

Every check starts from the same run: the strategy asked at every close of the whole data, in order,
without a position and holding one (:meth:`CloseCaller.decide_in_order`). Fresh instances come from a
factory, so a stateful strategy shows up as such in the warm-up check and nowhere else.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from bot.adapters.market.offline import OfflineMarket
from bot.app.check_strategy import DEFAULT_SAMPLES
from bot.app.check_strategy.evaluate import (
    CloseCaller,
    Decisions,
    StrategyFactory,
    index_of,
    run_scan,
    series_columns,
)
from bot.app.check_strategy.lookahead import check_lookahead
from bot.app.check_strategy.markets import start_at
from bot.app.check_strategy.results import (
    ERRORS,
    SCAN,
    WARMUP,
    CheckResult,
    Finding,
    Status,
    SymbolReport,
    check_result,
    joined,
)
from bot.domain import timeframe_ms
from bot.domain.series import CandleSeries
from strategies.base import ScansCandidates

NO_SCAN = "no scan (backtests run it at every candle: correct, slower)"


def check_symbol(
    make: StrategyFactory,
    market: OfflineMarket,
    symbol: str,
    *,
    basket: Sequence[str] = (),
    samples: int = DEFAULT_SAMPLES,
) -> SymbolReport:
    """Run every check of the strategy ``make`` builds on ``symbol`` of ``market``; ``basket``: every
    symbol it trades (its view's ``symbols``; default: ``symbol`` alone).

    Raises ``ValueError`` when the strategy cannot be asked at all there (another timeframe, fewer
    candles than its warm-up)."""
    if samples < 1:
        raise ValueError(f"samples: {samples}; allowed: 1 or more")
    started = time.perf_counter()
    caller = CloseCaller(make(), market, symbol, basket)
    strategy, series = caller.strategy, caller.series
    if strategy.timeframe != market.timeframe:
        raise ValueError(
            f"strategy {strategy.name}: timeframe {strategy.timeframe} differs from the candles' "
            f"{market.timeframe}"
        )
    if len(series) < strategy.warmup:
        raise ValueError(
            f"{symbol}: {len(series)} candles; strategy {strategy.name} needs at least its warmup "
            f"({strategy.warmup}) to decide once: give more candles (or an earlier --from)"
        )
    base = caller.decide_in_order()
    checks = (
        check_lookahead(make, market, symbol, base, basket=basket, samples=samples),
        check_warmup(make, market, symbol, base, basket=basket),
        check_scan(make, market, symbol, base),
        check_errors(market.series(symbol), base),
    )
    step = timeframe_ms(market.timeframe)
    return SymbolReport(
        strategy=strategy.name,
        symbol=symbol,
        timeframe=strategy.timeframe,
        warmup=strategy.warmup,
        candles=len(series),
        first_open_ms=int(series.open_time[0]),
        last_close_ms=int(series.open_time[-1]) + step,
        checks=checks,
        elapsed_seconds=time.perf_counter() - started,
    )


# ---------------------------------------------------------------------------------------------- warm-up


def check_warmup(
    make: StrategyFactory, market: OfflineMarket, symbol: str, base: Decisions, *, basket: Sequence[str] = ()
) -> CheckResult:
    """Run again from ``warmup`` and ``2 x warmup`` candles later (a fresh instance each, the data before
    removed) and compare the decisions on the closes the runs share."""
    series = market.series(symbol)
    warmup = make().warmup
    offsets = [k for k in (warmup, 2 * warmup) if k + warmup <= len(series)]
    if not offsets:
        return CheckResult(
            WARMUP,
            Status.SKIPPED,
            f"too few candles to start later: {len(series)}, needs {2 * warmup} (2 x warmup)",
        )
    findings: dict[int, Finding] = {}
    for offset in offsets:
        later = CloseCaller(make(), start_at(market, symbol, offset), symbol, basket)
        run = later.decide_in_order()
        shared = sorted(ms for ms in {*base.notable, *run.notable} if ms >= run.first_open_ms)
        for open_ms in shared:
            differs = base.at(open_ms).differences(run.at(open_ms), "from candle 0", f"from candle {offset}")
            close_ms = int(series.close_time[index_of(series, open_ms)])
            if differs is not None and close_ms not in findings:
                findings[close_ms] = Finding(close_ms, differs)
    closes = len(series) - (offsets[0] + warmup - 1)
    starts = " and ".join(str(k) for k in [0, *offsets])
    summary = f"runs starting at candles {starts} compared on the closes they share (up to {closes})"
    return check_result(WARMUP, summary, findings.values())


# ------------------------------------------------------------------------------------------------- scan


def check_scan(make: StrategyFactory, market: OfflineMarket, symbol: str, base: Decisions) -> CheckResult:
    """Every close where ``on_candles`` acts, flat or holding, must be in the scan's flat or holding."""
    strategy = make()
    if not isinstance(strategy, ScansCandidates):
        return CheckResult(SCAN, Status.SKIPPED, NO_SCAN)
    series = market.series(symbol)
    found = run_scan(make, series_columns(series))
    if isinstance(found, str):
        return CheckResult(SCAN, Status.PROBLEM, f"scan_candidates {found}", count=1)
    kept = {"flat": set(np.asarray(found.flat).tolist()), "holding": set(np.asarray(found.holding).tolist())}
    acting = {"flat": 0, "holding": 0}
    findings = []
    for open_ms, decision in base.notable.items():
        index = index_of(series, open_ms)
        for state, outcome in (("flat", decision.flat), ("holding", decision.holding)):
            if not outcome.acts:
                continue
            acting[state] += 1
            if index not in kept[state]:
                what = f"{state}: on_candles returns {outcome}; scan.{state} leaves it out"
                findings.append(Finding(int(series.close_time[index]), what))
    summary = (
        f"closes where on_candles acts: {acting['flat']} flat, {acting['holding']} holding; scan "
        f"candidates: {len(kept['flat'])} flat, {len(kept['holding'])} holding of {len(series)} candles"
    )
    return check_result(SCAN, summary, findings)


# ----------------------------------------------------------------------------------------------- errors


def check_errors(series: CandleSeries, base: Decisions) -> CheckResult:
    """Every close must get an answer: a list of intents, no exception (the daemon disables a strategy
    at its first failure, for the rest of the run)."""
    found: dict[int, list[str]] = {}
    for open_ms, decision in base.notable.items():
        for state, outcome in (("flat", decision.flat), ("holding", decision.holding)):
            if outcome.error is not None:
                close_ms = int(series.close_time[index_of(series, open_ms)])
                found.setdefault(close_ms, []).append(f"{state}: {outcome}")
    findings = joined(found)
    summary = (
        "a list of intents at every close, flat and holding"
        if not findings
        else "on_candles failed: the daemon disables the strategy at the first failure"
    )
    return check_result(ERRORS, summary, findings)
