"""The Bitcoin Season Index and BTC's trend, computed from the market port's closed candles: checked
against an independent computation on the real candles, at the thresholds, with too little history,
for alts quoted in USDT, and for look-ahead (a candle after the decision's close changes nothing)."""

from __future__ import annotations

import bisect
import csv
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from bot.adapters.market import build_offline_market
from bot.core.regime import RegimeWatch, compute_regime
from bot.domain import RegimeSpec, RetryLater, Season, Trend
from bot.domain.clock import datetime_to_ms
from tests.regime.markets import DAY_MS, T0, day, market, spec

REAL_ALTS = ("ETH/BTC", "LTC/BTC", "ETC/BTC", "XLM/BTC")
FIVE_MINUTES = 300_000


def _closes_by_close_time(path: Path) -> tuple[list[int], list[float]]:
    """(close times, closes) of a candle CSV, read with the csv module alone."""
    with path.open(newline="") as handle:
        rows = [(int(row["timestamp"]) + FIVE_MINUTES, float(row["close"])) for row in csv.DictReader(handle)]
    return [t for t, _ in rows], [c for _, c in rows]


def _last_at_or_before(times: list[int], moment: int) -> int | None:
    index = bisect.bisect_right(times, moment) - 1
    return index if index >= 0 else None


def _expected(files: dict[str, tuple[list[int], list[float]]], close: int, window: int) -> tuple[int, int]:
    """(counted, beating): an alt counts with a candle closed a window before ``close`` and one since."""
    counted = beating = 0
    for times, closes in files.values():
        then, now = _last_at_or_before(times, close - window), _last_at_or_before(times, close)
        if then is None or now is None or now <= then:
            continue
        counted += 1
        beating += closes[now] > closes[then]
    return counted, beating


def _season(counted: int, beating: int, needed: int) -> Season:
    if counted < needed:
        return Season.UNKNOWN
    share = Fraction(beating, counted)
    if share >= Fraction(3, 4):
        return Season.ALT_SEASON
    return Season.BTC_SEASON if share <= Fraction(1, 4) else Season.NEUTRAL


@pytest.mark.parametrize("window", [timedelta(days=3), timedelta(days=1, hours=12)], ids=["3d", "1d12h"])
def test_the_index_and_season_on_the_real_candles_match_an_independent_computation(
    shared_data: Path, window: timedelta
) -> None:
    paths = {symbol: shared_data / f"{symbol.replace('/', '_')}-5m.csv" for symbol in REAL_ALTS}
    files = {symbol: _closes_by_close_time(path) for symbol, path in paths.items()}
    real = build_offline_market(
        symbols=REAL_ALTS, timeframe="5m", csv_files=paths, min_notional=Decimal("0.0001")
    )
    regime_spec = RegimeSpec(basket=REAL_ALTS, timeframe="5m", window=window)
    start = datetime(2018, 1, 10, 6, tzinfo=UTC)
    seen = set()
    for step in range(80):  # every 6 hours over the 20 days, the first days without a window of history
        close = datetime_to_ms(start + timedelta(hours=6 * step))
        counted, beating = _expected(files, close, int(window.total_seconds() * 1000))

        regime = compute_regime(real, regime_spec, close)

        assert (regime.alts_counted, regime.alts_beating) == (counted, beating), step
        assert regime.season is _season(counted, beating, needed=2), step
        assert regime.index == (beating / counted if regime.season is not Season.UNKNOWN else None)
        assert regime.btc_trend is None  # no btc_symbol: no trend
        seen.add(regime.season)
    assert Season.UNKNOWN in seen and len(seen) >= 3, seen  # the data moves through several seasons


def test_on_hourly_candles_built_from_the_5m_ones_the_regime_at_each_hour_is_the_same(
    shared_data: Path,
) -> None:
    paths = {symbol: shared_data / f"{symbol.replace('/', '_')}-5m.csv" for symbol in REAL_ALTS}
    real = build_offline_market(
        symbols=REAL_ALTS, timeframe="5m", csv_files=paths, min_notional=Decimal("0.0001")
    )
    five, hourly = (
        RegimeSpec(basket=REAL_ALTS, timeframe=tf, window=timedelta(days=3)) for tf in ("5m", "1h")
    )
    start = datetime(2018, 1, 10, 6, tzinfo=UTC)
    for step in range(0, 80, 3):
        close = datetime_to_ms(start + timedelta(hours=6 * step))
        assert compute_regime(real, hourly, close) == compute_regime(real, five, close), step


def _four_alts(beating: int) -> dict[str, list[float]]:
    """Four BTC-quoted alts over 5 days; the first ``beating`` of them end above where they were 3 days
    before (the last day's close against day 1's), the others below."""
    return {f"A{i}/BTC": [1.0, 1.0, 1.0, 1.0, 1.1 if i < beating else 0.9] for i in range(4)}


@pytest.mark.parametrize(
    ("beating", "season", "index"),
    [
        (4, Season.ALT_SEASON, 1.0),
        (3, Season.ALT_SEASON, 0.75),  # exactly 75 %: alt season
        (2, Season.NEUTRAL, 0.5),
        (1, Season.BTC_SEASON, 0.25),  # exactly 25 %: BTC season
        (0, Season.BTC_SEASON, 0.0),
    ],
)
def test_the_thresholds_are_inclusive(beating: int, season: Season, index: float) -> None:
    closes = _four_alts(beating)

    regime = compute_regime(market(closes), spec(list(closes)), datetime_to_ms(day(5)))

    assert (regime.season, regime.index, regime.alts_counted) == (season, index, 4)


def test_the_thresholds_are_compared_exactly_not_in_floats() -> None:
    ten = RegimeSpec(basket=tuple(f"A{i}/BTC" for i in range(10)), timeframe="1d",
                     alt_season=Decimal("0.7"), btc_season=Decimal("0.3"))  # fmt: skip
    # 0.7 * 10 is 7.000000000000001 in floats: 7 of 10 would miss alt season
    assert ten.season_of(7, 10) is Season.ALT_SEASON
    assert ten.season_of(3, 10) is Season.BTC_SEASON
    assert ten.season_of(6, 10) is ten.season_of(4, 10) is Season.NEUTRAL


def test_an_alt_without_a_window_of_history_is_not_counted() -> None:
    closes = _four_alts(beating=3)
    closes["A0/BTC"] = [1.0, 1.1]  # listed on day 3: no close 3 days before day 5

    regime = compute_regime(market(closes, {"A0/BTC": 3}), spec(list(closes)), datetime_to_ms(day(5)))

    assert (regime.alts_counted, regime.alts_beating) == (3, 2)
    assert (regime.season, regime.index) == (Season.NEUTRAL, 2 / 3)


def test_too_few_alts_counted_is_an_unknown_season_without_an_index() -> None:
    closes = _four_alts(beating=4)
    late = {"A0/BTC": 3, "A1/BTC": 3, "A2/BTC": 3}
    for symbol in late:
        closes[symbol] = [1.0, 1.1]

    regime = compute_regime(market(closes, late), spec(list(closes)), datetime_to_ms(day(5)))

    assert (regime.alts_counted, regime.alts_needed) == (1, 2)  # half the basket by default
    assert (regime.season, regime.index) == (Season.UNKNOWN, None)
    assert regime.describe().startswith("unknown: 1 of 4 alts have 3d of history (2 needed)")
    lenient = compute_regime(market(closes, late), spec(list(closes), min_alts=1), datetime_to_ms(day(5)))
    assert lenient.season is Season.ALT_SEASON


def test_an_alt_quoted_in_usdt_beats_btc_when_its_return_is_higher() -> None:
    closes = {
        "BTC/USDT": [100.0, 100, 100, 100, 125],  # +25 % over the 3 days to day 5
        "ETH/USDT": [10.0, 10, 10, 10, 13],  # +30 %: beats BTC
        "SOL/USDT": [10.0, 10, 10, 10, 11],  # +10 %: rose, but less than BTC
        "XRP/USDT": [4.0, 4, 4, 4, 5],  # +25 %: a tie does not beat
        "LTC/BTC": [0.01, 0.01, 0.01, 0.01, 0.011],  # quoted in BTC: above its close then
    }
    basket = ["ETH/USDT", "SOL/USDT", "XRP/USDT", "LTC/BTC"]

    regime = compute_regime(market(closes), spec(basket, btc_symbol="BTC/USDT"), datetime_to_ms(day(5)))

    assert (regime.alts_counted, regime.alts_beating) == (4, 2)
    assert regime.season is Season.NEUTRAL


def test_usdt_alts_are_not_counted_while_btc_itself_lacks_the_window() -> None:
    closes = {"BTC/USDT": [100.0, 110], "ETH/USDT": [10.0, 10, 10, 10, 12]}

    regime = compute_regime(
        market(closes, {"BTC/USDT": 3}), spec(["ETH/USDT"], btc_symbol="BTC/USDT"), datetime_to_ms(day(5))
    )

    assert (regime.alts_counted, regime.season) == (0, Season.UNKNOWN)


@pytest.mark.parametrize(
    ("btc", "trend"),
    [
        ([100.0, 101, 102, 103, 104], Trend.UP),  # above its 5-candle SMA
        ([104.0, 103, 102, 101, 100], Trend.DOWN),
        ([100.0, 100, 100, 100, 100], Trend.DOWN),  # at the SMA is not above it
        ([101.0, 102, 103, 104], None),  # fewer candles than the trend needs
    ],
)
def test_btc_trend_is_its_close_against_its_moving_average(btc: list[float], trend: Trend | None) -> None:
    closes = {"BTC/USDT": btc, "ETH/USDT": [10.0, 10, 10, 10, 12]}
    first_days = {"BTC/USDT": 5 - len(btc)}
    regime_spec = spec(["ETH/USDT"], btc_symbol="BTC/USDT", trend_candles=5)

    regime = compute_regime(market(closes, first_days), regime_spec, datetime_to_ms(day(5)))

    assert regime.btc_trend is trend


def test_a_candle_after_the_decisions_close_changes_nothing() -> None:
    closes = _four_alts(beating=3)
    closes["BTC/USDT"] = [100.0, 101, 102, 103, 104]
    regime_spec = spec(list(_four_alts(0)), btc_symbol="BTC/USDT", trend_candles=3)
    future = {symbol: [*prices, 0.001, 1000.0] for symbol, prices in closes.items()}  # days 5 and 6

    now = compute_regime(market(closes), regime_spec, datetime_to_ms(day(5)))
    with_future = compute_regime(market(future), regime_spec, datetime_to_ms(day(5)))

    assert with_future == now and now.season is Season.ALT_SEASON and now.btc_trend is Trend.UP
    assert compute_regime(market(future), regime_spec, datetime_to_ms(day(6))).season is Season.BTC_SEASON


class CountingMarket:
    """The real offline market, counting the look-ups the regime makes (and failing them when told)."""

    def __init__(self, closes: dict[str, list[float]]) -> None:
        self._market = market(closes)
        self.venue = self._market.venue
        self.lookups = 0
        self.failing = False

    def __getattr__(self, name: str) -> object:
        return getattr(self._market, name)

    def closed_candles(self, symbol: str, timeframe: str, *, until_ms: int, limit: int) -> object:
        self.lookups += 1
        if self.failing:
            raise RetryLater("exchange busy")
        return self._market.closed_candles(symbol, timeframe, until_ms=until_ms, limit=limit)


def test_the_regime_is_computed_once_per_close_with_two_lookups_per_alt() -> None:
    closes = _four_alts(beating=3)
    counting = CountingMarket(closes)
    watch = RegimeWatch(counting, spec(list(closes)))  # type: ignore[arg-type]

    first = watch.at(day(5))
    assert watch.at(day(5) + timedelta(hours=6)) is first  # the same daily close: cached
    assert (watch.computations, counting.lookups) == (1, 2 * 4)
    assert first.computed_at == day(5)

    watch.at(day(6))
    assert (watch.computations, counting.lookups) == (2, 2 * 2 * 4)


def test_a_failed_read_is_an_unknown_regime_with_the_error_and_is_tried_again() -> None:
    closes = _four_alts(beating=3)
    counting = CountingMarket(closes)
    watch = RegimeWatch(counting, spec(list(closes)))  # type: ignore[arg-type]
    counting.failing = True

    failed = watch.at(day(5))

    assert (failed.season, failed.index) == (Season.UNKNOWN, None)
    assert "RetryLater: exchange busy" in failed.describe()
    counting.failing = False
    assert watch.at(day(5)).season is Season.ALT_SEASON  # not cached: read again


def test_the_regimes_close_is_the_decision_time_floored_to_its_timeframe() -> None:
    closes = _four_alts(beating=3)
    watch = RegimeWatch(market(closes), spec(list(closes)))

    assert watch.at(day(5) - timedelta(minutes=1)).computed_at == day(4)
    assert datetime_to_ms(watch.at(day(5)).computed_at) == T0 + 5 * DAY_MS
