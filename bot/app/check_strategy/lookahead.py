"""The look-ahead check: a decision at a candle close must not change when the later candles are not there.

Two ways, both compared with the run on the whole data (what a backtest shows):

- **every close, later candles hidden**: a fresh instance asked in order at every close of a market
  whose later candles are NaN until their close (:class:`HiddenFuture`): what a live bot would have had.
  Complete, and the same sequence of calls, so a stateful strategy compares too.
- **sampled closes, data cut after them**: at each close where the strategy decided or its scan says it
  might (evenly thinned to ``samples`` if more) and ``samples`` others drawn with a fixed seed, a fresh
  instance is asked on a market that *ends* at that candle, and another on the whole data: this catches
  what hiding cannot (a strategy reading the data's length, or failing once the next candle is missing).
  A scan's verdict on the candle (kept or left out, flat and holding) is compared too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from bot.adapters.market.offline import OfflineMarket
from bot.app.check_strategy.evaluate import (
    CloseCaller,
    Decision,
    Decisions,
    StrategyFactory,
    index_of,
    run_scan,
    series_columns,
)
from bot.app.check_strategy.markets import HiddenFuture, cut_after
from bot.app.check_strategy.results import LOOKAHEAD, CheckResult, Finding, check_result, joined
from bot.domain.series import CandleSeries
from strategies.base import Candidates, ScansCandidates

SAMPLE_SEED = 20240101  # the closes sampled are the same at every run
STATES = ("flat", "holding")


def sample_closes(size: int, first: int, focus: Iterable[int], samples: int) -> tuple[list[int], int]:
    """Candles to ask again: every one in ``focus`` from ``first`` on (evenly thinned to ``samples`` if
    more) and up to ``samples`` others from ``first`` on, drawn with a fixed seed. Returns them sorted,
    and how many came from ``focus``."""
    wanted = np.unique(np.fromiter(focus, dtype=np.int64))
    wanted = wanted[(wanted >= first) & (wanted < size)]
    chosen = wanted
    if chosen.size > samples:
        chosen = chosen[np.unique(np.linspace(0, chosen.size - 1, samples).round().astype(np.int64))]
    others = np.setdiff1d(np.arange(first, size, dtype=np.int64), wanted)
    drawn = np.random.default_rng(SAMPLE_SEED).choice(others, size=min(samples, others.size), replace=False)
    return sorted({*chosen.tolist(), *drawn.tolist()}), int(chosen.size)


def check_lookahead(
    make: StrategyFactory,
    market: OfflineMarket,
    symbol: str,
    base: Decisions,
    *,
    basket: Sequence[str] = (),
    samples: int,
) -> CheckResult:
    series = market.series(symbol)
    found = _Found()
    hidden_closes = _hidden_future(make, market, symbol, basket, base, found)
    probe = make()
    scan = _ScanProbe(make, series) if isinstance(probe, ScansCandidates) else None
    focus = [index_of(series, open_ms) for open_ms in base.notable]
    if scan is not None:
        focus += scan.candidates()
    picked, focused = sample_closes(len(series), probe.warmup - 1, focus, samples)
    for index in picked:
        close_ms = int(series.close_time[index])
        cut = cut_after(market, symbol, index)
        whole = CloseCaller(make(), market, symbol, basket).decide(index)
        after = CloseCaller(make(), cut, symbol, basket).decide(index)
        found.decision(close_ms, whole, after, "data cut after it")
        if scan is not None:
            scan_differs = scan.differences(cut.series(symbol), index)
            if scan_differs is not None:
                found.note(close_ms, scan_differs)
    why = "where it decided or its scan might" if scan is not None else "where it decided"
    summary = (
        f"{hidden_closes} closes asked again with the later candles hidden; {len(picked)} with the data "
        f"cut right after them ({focused} {why}, {len(picked) - focused} others)"
        f"{', the scan too' if scan is not None else ''}"
    )
    return check_result(LOOKAHEAD, summary, found.findings())


def _hidden_future(
    make: StrategyFactory,
    market: OfflineMarket,
    symbol: str,
    basket: Sequence[str],
    base: Decisions,
    found: _Found,
) -> int:
    """Ask at every close with the later candles hidden; note the differences in ``found``. Returns how
    many closes were asked."""
    series = market.series(symbol)
    hidden = HiddenFuture(market)
    caller = CloseCaller(make(), hidden.market(), symbol, basket)
    run = caller.decide_in_order(market_at=hidden.at)
    for open_ms in sorted({*base.notable, *run.notable}):
        close_ms = int(series.close_time[index_of(series, open_ms)])
        found.decision(close_ms, base.at(open_ms), run.at(open_ms), "later candles hidden")
    return max(0, len(series) - caller.first_index)


class _Found:
    """What differed at each close; a difference seen both ways (hidden, cut) is said once."""

    def __init__(self) -> None:
        self._decisions: dict[int, dict[tuple[str, str, str], list[str]]] = {}
        self._notes: dict[int, list[str]] = {}

    def decision(self, close_ms: int, whole: Decision, other: Decision, label: str) -> None:
        for state, mine, theirs in whole.differing(other):
            key = (state, str(mine), str(theirs))
            self._decisions.setdefault(close_ms, {}).setdefault(key, []).append(label)

    def note(self, close_ms: int, what: str) -> None:
        self._notes.setdefault(close_ms, []).append(what)

    def findings(self) -> list[Finding]:
        whats: dict[int, list[str]] = {}
        for close_ms, differing in self._decisions.items():
            for (state, mine, theirs), labels in differing.items():
                whats.setdefault(close_ms, []).append(
                    f"{state}: full data: {mine}, {' and '.join(labels)}: {theirs}"
                )
        for close_ms, notes in self._notes.items():
            whats.setdefault(close_ms, []).extend(notes)
        return joined(whats)


class _ScanProbe:
    """The scan's verdict on one candle (kept in flat / in holding) on the whole data and on a cut."""

    def __init__(self, make: StrategyFactory, series: CandleSeries) -> None:
        self._make = make
        self._whole = run_scan(make, series_columns(series))

    def candidates(self) -> list[int]:
        """Every candle the whole data's scan keeps, flat or holding (none if it failed)."""
        if isinstance(self._whole, str):
            return []
        both = np.union1d(np.asarray(self._whole.flat), np.asarray(self._whole.holding))
        return [int(index) for index in both]

    def differences(self, cut: CandleSeries, index: int) -> str | None:
        whole, after = self._whole, run_scan(self._make, series_columns(cut))
        if isinstance(whole, str) or isinstance(after, str):
            if whole == after:
                return None
            return f"scan: full data: {_verdict(whole)}, data cut after it: {_verdict(after)}"
        parts = []
        for state in STATES:
            kept, kept_after = _kept(whole, state, index), _kept(after, state, index)
            if kept != kept_after:
                parts.append(
                    f"scan.{state}: full data: {_word(kept)}, data cut after it: {_word(kept_after)}"
                )
        return "; ".join(parts) or None


def _kept(found: Candidates, state: str, index: int) -> bool:
    return bool((np.asarray(getattr(found, state)) == index).any())


def _word(kept: bool) -> str:
    return "kept" if kept else "left out"


def _verdict(scan: Candidates | str) -> str:
    return scan if isinstance(scan, str) else "ran"
