"""The one-day returns the portfolio-risk guards judge by, read from the market port's closed candles
(``bot.core.portfolio_risk``): checked against the CSV files read and windowed by hand, with too little
history, without look-ahead (a later candle changes nothing), read incrementally yet equal to a fresh
read, at most once per close, and a failed read turned into a note."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.adapters.market import build_offline_market
from bot.adapters.market.offline import OfflineMarket
from bot.core.portfolio_risk import ReturnsWatch
from bot.domain import Candle, RetryLater
from bot.domain.clock import datetime_to_ms, ms_to_datetime
from bot.domain.risk import ReturnsSpec
from tests.portfolio_risk.real_candles import ALTS, FIVE_MINUTES, PER_DAY, aligned_closes, closes_by_open_time

SYMBOLS = tuple(f"{base}/BTC" for base in ALTS)
FIRST_OPEN = 1515560100000  # 2018-01-10 04:55 UTC, the first candle of every file
SPEC = ReturnsSpec("5m", timedelta(days=4))  # 1152 one-day returns; 576 needed


def real_market(data: Path, cut_after_ms: int | None = None, tmp: Path | None = None) -> OfflineMarket:
    files = {s: data / f"{s.replace('/', '_')}-5m.csv" for s in SYMBOLS}
    if cut_after_ms is not None and tmp is not None:  # the same files, ending at the close cut_after_ms
        for symbol, path in list(files.items()):
            lines = path.read_text().splitlines()
            kept = [lines[0]] + [x for x in lines[1:] if int(x.split(",")[0]) + FIVE_MINUTES <= cut_after_ms]
            files[symbol] = tmp / path.name
            files[symbol].write_text("\n".join(kept) + "\n")
    return build_offline_market(symbols=SYMBOLS, timeframe="5m", csv_files=files,
                                min_notional=Decimal("0.0001"))  # fmt: skip


def close_after(candles: int) -> datetime:
    """The close of the ``candles``-th candle of the files."""
    return ms_to_datetime(FIRST_OPEN + candles * FIVE_MINUTES)


def test_the_returns_are_the_one_day_windows_of_the_csv_closes_before_the_decision(shared_data: Path):
    at = close_after(3000)
    history = ReturnsWatch(real_market(shared_data), SPEC).at(at + timedelta(minutes=2), SYMBOLS)
    assert history.as_of == at  # the decision time floored to the close
    aligned = aligned_closes(shared_data)
    for base in ALTS:
        closes = aligned[base][:3000]  # the closes up to the decision's, nothing after
        by_hand = [closes[t] / closes[t - PER_DAY] - 1 for t in range(len(closes) - 1152, len(closes))]
        assert history.returns[f"{base}/BTC"] == pytest.approx(by_hand, rel=1e-12)
    assert (history.short, history.needed, history.lookback) == ({}, 576, timedelta(days=4))


def test_a_symbol_counts_once_it_has_half_the_lookback_of_returns(shared_data: Path):
    watch = ReturnsWatch(real_market(shared_data), SPEC)
    early = watch.at(close_after(3 * PER_DAY - 1), SYMBOLS)  # 863 closes: 575 one-day returns
    assert early.returns == {} and early.short == {s: 575 for s in SYMBOLS}
    ready = watch.at(close_after(3 * PER_DAY), SYMBOLS)
    assert set(ready.returns) == set(SYMBOLS) and all(len(r) == 576 for r in ready.returns.values())


def test_a_candle_after_the_decision_changes_nothing(shared_data: Path, tmp_path: Path):
    at = close_after(4000)
    whole = ReturnsWatch(real_market(shared_data), SPEC).at(at, SYMBOLS)
    cut = ReturnsWatch(real_market(shared_data, datetime_to_ms(at), tmp_path), SPEC).at(at, SYMBOLS)
    assert whole == cut


def test_reading_close_by_close_gives_what_a_fresh_read_gives(shared_data: Path):
    market = real_market(shared_data)
    walking = ReturnsWatch(market, SPEC)
    for candles in range(3500, 3800, 7):  # a decision every 7 candles: 6 missed closes each time
        walking.at(close_after(candles), SYMBOLS[:2])
    reads_before = walking.reads
    last = walking.at(close_after(3801), SYMBOLS[:2])
    assert walking.reads == reads_before + 2  # one look-up per symbol for the candles since
    assert last == ReturnsWatch(market, SPEC).at(close_after(3801), SYMBOLS[:2])
    # back in time (a check of an earlier close): read again, the same as a fresh read
    assert walking.at(close_after(3600), SYMBOLS) == ReturnsWatch(market, SPEC).at(close_after(3600), SYMBOLS)


def test_the_returns_are_read_at_most_once_per_close_and_set_of_symbols(shared_data: Path):
    watch = ReturnsWatch(real_market(shared_data), SPEC)
    first = watch.at(close_after(3000), ["ETH/BTC", "LTC/BTC"])
    reads = watch.reads
    assert watch.at(close_after(3000) + timedelta(minutes=3), ["LTC/BTC", "ETH/BTC"]) is first
    assert watch.reads == reads


def test_a_gap_carries_the_last_close_forward(shared_data: Path):
    """ETC/BTC's file ends one candle before the others: its last return uses its last close."""
    end = close_after(5760)
    history = ReturnsWatch(real_market(shared_data), SPEC).at(end, ["ETC/BTC"])
    etc = [c for _, c in sorted(closes_by_open_time(shared_data, "ETC").items())]
    assert len(etc) == 5759
    assert history.returns["ETC/BTC"][-1] == pytest.approx(etc[-1] / etc[-1 - PER_DAY + 1] - 1, rel=1e-12)
    assert history.returns["ETC/BTC"][-2] == pytest.approx(etc[-1] / etc[-1 - PER_DAY] - 1, rel=1e-12)


class FailingMarket:
    """A venue that is down: every candle read raises, as the exchange adapter does after its retries."""

    def closed_candles(self, symbol: str, timeframe: str, *, until_ms: int, limit: int) -> Sequence[Candle]:
        raise RetryLater("venue busy")


def test_a_failed_read_is_a_note_and_is_tried_again_next_time():
    watch = ReturnsWatch(FailingMarket(), SPEC)  # type: ignore[arg-type]
    at = datetime(2018, 1, 20, tzinfo=UTC)
    history = watch.at(at, ["ETH/BTC"])
    assert history.returns == {} and history.note == "returns not read (RetryLater: venue busy)"
    assert watch.at(at, ["ETH/BTC"]) is not history  # not kept: asked again


def test_a_lookback_shorter_than_a_day_holds_one_return_a_close(shared_data: Path):
    """``risk_lookback = "12h"``: 144 one-day returns (each over a whole day), 72 needed."""
    watch = ReturnsWatch(real_market(shared_data), ReturnsSpec("5m", timedelta(hours=12)))
    history = watch.at(close_after(3000), ["ETH/BTC"])
    assert (len(history.returns["ETH/BTC"]), history.needed) == (144, 72)
    tiny = ReturnsWatch(real_market(shared_data), ReturnsSpec("5m", timedelta(0))).at(
        close_after(3000), ["ETH/BTC"]
    )
    assert len(tiny.returns["ETH/BTC"]) == 1  # below one candle: one candle's
