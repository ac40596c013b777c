"""The checks through their Python API: the real crossover passes, each planted flaw is caught by the
check meant for it (and only by it)."""

from __future__ import annotations

import re

import pytest

from bot.adapters.market.offline import OfflineMarket
from bot.app.check_strategy.checks import NO_SCAN, check_symbol
from bot.app.check_strategy.evaluate import StrategyFactory
from bot.app.check_strategy.lookahead import sample_closes
from bot.app.check_strategy.markets import cut_after
from bot.app.check_strategy.results import ERRORS, LOOKAHEAD, SCAN, WARMUP, CheckResult, Status, SymbolReport
from tests.check_strategy.planted import (
    OTHER,
    SYMBOL,
    CountsCalls,
    Crossover,
    ForgetsExits,
    PeeksCarefully,
    PeeksNaively,
    ReadsItsBasketAndHours,
    RollsTheScan,
    WithoutScan,
    eth_btc,
)
from tests.conftest import shared_data_dir


@pytest.fixture(scope="module")
def market() -> OfflineMarket:
    """The first candles of the real ETH/BTC file (the ``shared_data`` fixture's, loaded once)."""
    data = shared_data_dir()
    if not (data / "ETH_BTC-5m.csv").is_file():
        pytest.skip(f"real candle data not found at {data} (set SPOTBOT_SHARED_DATA)")
    return eth_btc(data)


def check(make: StrategyFactory, market: OfflineMarket, samples: int = 60) -> SymbolReport:
    return check_symbol(make, market, SYMBOL, samples=samples)


def by_name(report: SymbolReport) -> dict[str, CheckResult]:
    return {result.name: result for result in report.checks}


def statuses(report: SymbolReport) -> dict[str, Status]:
    return {result.name: result.status for result in report.checks}


def test_the_real_crossover_passes_every_check(market: OfflineMarket) -> None:
    report = check(Crossover, market)
    assert statuses(report) == {
        LOOKAHEAD: Status.OK,
        WARMUP: Status.OK,
        SCAN: Status.OK,
        ERRORS: Status.OK,
    }, report
    assert report.ok
    assert "where it decided" in by_name(report)[LOOKAHEAD].summary


@pytest.mark.parametrize("peeker", [PeeksNaively, PeeksCarefully])
def test_a_strategy_peeking_at_the_next_candle_through_its_window_is_caught(
    market: OfflineMarket, peeker: StrategyFactory
) -> None:
    report = check(peeker, market)
    lookahead = by_name(report)[LOOKAHEAD]
    assert lookahead.status is Status.PROBLEM and not report.ok
    assert lookahead.count >= len(lookahead.findings) > 0
    assert [f.close_ms for f in lookahead.findings] == sorted(f.close_ms for f in lookahead.findings)
    whats = " ".join(finding.what for finding in lookahead.findings)
    assert "later candles hidden" in whats and "data cut after it" in whats  # each way finds it
    assert by_name(report)[WARMUP].status is Status.OK  # an exception at the end compares by its type


def test_an_unguarded_peek_is_reported_as_its_exception_and_as_a_failure_at_the_last_close(
    market: OfflineMarket,
) -> None:
    report = check(PeeksNaively, market)
    assert "raised IndexError" in by_name(report)[LOOKAHEAD].findings[0].what
    errors = by_name(report)[ERRORS]  # and live, where the newest candle is always the last, it fails
    assert errors.status is Status.PROBLEM and errors.count == 1
    assert errors.findings[0].close_ms == int(market.series(SYMBOL).close_time[-1])
    assert (
        "flat: raised IndexError" in errors.findings[0].what and "planted.py, line" in errors.findings[0].what
    )


def test_reading_other_symbols_and_a_longer_timeframe_as_of_the_close_is_no_look_ahead(
    market: OfflineMarket,
) -> None:
    both = eth_btc(shared_data_dir(), with_ltc=True)
    report = check_symbol(ReadsItsBasketAndHours, both, SYMBOL, basket=(SYMBOL, OTHER), samples=60)
    assert report.ok, report
    entries = re.search(r"acts: (\d+) flat", by_name(report)[SCAN].summary)
    plain = re.search(r"acts: (\d+) flat", by_name(check(Crossover, market))[SCAN].summary)
    assert entries and plain and 0 < int(entries[1]) < int(plain[1])  # it entered, fewer times


def test_a_scan_reading_the_next_close_with_np_roll_is_caught(market: OfflineMarket) -> None:
    report = check(RollsTheScan, market)
    lookahead, scan = by_name(report)[LOOKAHEAD], by_name(report)[SCAN]
    assert lookahead.status is Status.PROBLEM
    assert any(
        finding.what.startswith("scan.flat: full data: left out, data cut after it: kept")
        for finding in lookahead.findings
    )
    assert scan.status is Status.PROBLEM  # and the entries it drops are missed by backtests
    assert by_name(report)[WARMUP].status is Status.OK


def test_a_strategy_counting_its_calls_is_caught_by_the_warm_up_check_alone(market: OfflineMarket) -> None:
    report = check(CountsCalls, market)
    assert statuses(report) == {
        LOOKAHEAD: Status.OK,
        WARMUP: Status.PROBLEM,
        SCAN: Status.OK,
        ERRORS: Status.OK,
    }
    warmup = by_name(report)[WARMUP]
    assert "from candle 0: entry buy limit" in warmup.findings[0].what
    assert "from candle 80: nothing" in warmup.findings[0].what


def test_a_scan_dropping_the_exits_on_candles_makes_is_caught(market: OfflineMarket) -> None:
    report = check(ForgetsExits, market)
    assert statuses(report) == {
        LOOKAHEAD: Status.OK,
        WARMUP: Status.OK,
        SCAN: Status.PROBLEM,
        ERRORS: Status.OK,
    }
    scan = by_name(report)[SCAN]
    assert scan.findings[0].what.startswith("holding: on_candles returns exit sell market")
    assert scan.findings[0].what.endswith("scan.holding leaves it out")


def test_a_strategy_without_a_scan_is_reported_as_such_and_passes(market: OfflineMarket) -> None:
    report = check(WithoutScan, market)
    scan = by_name(report)[SCAN]
    assert scan.status is Status.SKIPPED and scan.summary == NO_SCAN
    assert report.ok


def test_too_few_candles_for_a_later_start_skip_the_warm_up_check(market: OfflineMarket) -> None:
    short = cut_after(market, SYMBOL, 149)  # warmup 80: a start 80 candles later has none left
    report = check(Crossover, short)
    assert by_name(report)[WARMUP].status is Status.SKIPPED and report.ok


def test_fewer_candles_than_the_warm_up_are_refused_naming_both(market: OfflineMarket) -> None:
    with pytest.raises(
        ValueError, match=r"ETH/BTC: 50 candles; strategy planted needs at least its warmup \(80\)"
    ):
        check(Crossover, cut_after(market, SYMBOL, 49))


def test_the_closes_sampled_are_every_decided_one_and_as_many_others_the_same_each_time() -> None:
    picked, on_decisions = sample_closes(1000, 79, [100, 300, 500], samples=10)
    assert on_decisions == 3 and {100, 300, 500} <= set(picked) and len(picked) == 13
    assert min(picked) >= 79 and picked == sorted(picked)
    assert sample_closes(1000, 79, [100, 300, 500], samples=10) == (picked, 3)
    thinned, on_decisions = sample_closes(1000, 79, list(range(100, 900)), samples=10)
    assert on_decisions == 10 and len(thinned) == 20
