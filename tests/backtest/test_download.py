"""``spotbot download`` against the fake Binance server: pages, increments, the forming candle, gaps."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from bot.adapters.exchange import ExchangeCaller, make_client
from bot.adapters.market.columnar import read_window
from bot.adapters.market.csv_replay import load_csv_series
from bot.app.cli import app
from bot.app.download import download, existing_timestamps, find_gaps
from bot.domain.clock import ms_to_datetime
from tests.fake_exchange.fixture import FakeExchange, candles_ending_now, fake_exchange

__all__ = ["fake_exchange"]  # the fixture, imported for pytest

HOUR = 3_600_000


def random_walk(count: int, seed: int, start: float = 60_000.0) -> list[str]:
    rng = random.Random(seed)
    price, closes = start, []
    for _ in range(count):
        price *= 1 + rng.gauss(0, 0.004)
        closes.append(f"{price:.2f}")
    return closes


def scripted(count: int, seed: int = 1) -> list[list[Any]]:
    """``count`` hourly candles, the last one forming (it contains the server's now)."""
    return candles_ending_now(random_walk(count, seed), interval="1h")


def caller_for(fx: FakeExchange) -> ExchangeCaller:
    return ExchangeCaller(make_client("binance", urls_override=fx.url))


def klines_requests(fx: FakeExchange) -> list[dict[str, Any]]:
    return fx.log(path="/api/v3/klines")


def test_first_download_pages_through_every_closed_candle_and_skips_the_forming_one(
    fake_exchange: FakeExchange, tmp_path: Path
) -> None:
    candles = scripted(2500)
    fake_exchange.set_candles("BTCUSDT", "1h", candles)
    [result] = download(
        caller_for(fake_exchange),
        ["BTC/USDT"],
        "1h",
        since_ms=candles[0][0],
        until_ms=None,
        directory=tmp_path,
    )
    assert result.path == tmp_path / "BTC_USDT-1h.csv"
    assert result.fetched == result.total == 2499
    assert existing_timestamps(result.path) == [c[0] for c in candles[:-1]]  # not the forming one
    assert len(klines_requests(fake_exchange)) == 3  # 1000 + 1000 + 499
    series = load_csv_series(result.path, "BTC/USDT", "1h")  # the format the backtest reads
    assert len(series) == 2499 and series.close[-1] == float(candles[-2][4])
    assert result.gaps == []


def test_second_download_fetches_only_the_new_candles(fake_exchange: FakeExchange, tmp_path: Path) -> None:
    candles = scripted(1200)
    fake_exchange.set_candles("BTCUSDT", "1h", candles[:-5])  # five hours ago: the newest is closed now
    caller = caller_for(fake_exchange)
    [first] = download(caller, ["BTC/USDT"], "1h", since_ms=candles[0][0], until_ms=None, directory=tmp_path)
    assert first.fetched == 1195

    fake_exchange.set_candles("BTCUSDT", "1h", candles)  # four more have closed, one is forming
    fake_exchange.clear_log()
    [second] = download(caller, ["BTC/USDT"], "1h", since_ms=candles[0][0], until_ms=None, directory=tmp_path)
    assert second.fetched == 4 and second.total == 1199
    [request] = klines_requests(fake_exchange)
    assert int(request["params"]["startTime"]) == candles[-6][0] + HOUR
    assert existing_timestamps(second.path) == [c[0] for c in candles[:-1]]
    copy = read_window(second.path, "BTC/USDT", "1h", candles[-6][0], None)  # the columnar copy kept up
    assert copy is not None and copy.series.open_time.tolist() == [c[0] for c in candles[-6:-1]]

    fake_exchange.clear_log()
    [third] = download(caller, ["BTC/USDT"], "1h", since_ms=candles[0][0], until_ms=None, directory=tmp_path)
    assert third.fetched == 0 and klines_requests(fake_exchange) == []  # nothing closed since


def test_to_stops_before_the_given_time(fake_exchange: FakeExchange, tmp_path: Path) -> None:
    candles = scripted(50)
    fake_exchange.set_candles("ETHUSDT", "1h", candles)
    until = candles[10][0]
    [result] = download(
        caller_for(fake_exchange),
        ["ETH/USDT"],
        "1h",
        since_ms=candles[0][0],
        until_ms=until,
        directory=tmp_path,
    )
    assert existing_timestamps(result.path) == [c[0] for c in candles[:10]]


def test_an_interrupted_half_written_line_is_dropped_and_refetched(
    fake_exchange: FakeExchange, tmp_path: Path
) -> None:
    candles = scripted(30)
    fake_exchange.set_candles("BTCUSDT", "1h", candles)
    path = tmp_path / "BTC_USDT-1h.csv"
    rows = "".join(f"{c[0]},{c[1]},{c[2]},{c[3]},{c[4]},{c[5]}\n" for c in candles[:10])
    path.write_text(f"timestamp,open,high,low,close,volume\n{rows}{candles[10][0]},6000")
    [result] = download(
        caller_for(fake_exchange),
        ["BTC/USDT"],
        "1h",
        since_ms=candles[0][0],
        until_ms=None,
        directory=tmp_path,
    )
    assert result.fetched == 19
    assert existing_timestamps(path) == [c[0] for c in candles[:-1]]


def test_gaps_are_kept_and_reported(fake_exchange: FakeExchange, tmp_path: Path) -> None:
    candles = scripted(1500)
    del candles[1100:1103]  # the exchange has no candles for three hours
    fake_exchange.set_candles("BTCUSDT", "1h", candles)
    [result] = download(
        caller_for(fake_exchange),
        ["BTC/USDT"],
        "1h",
        since_ms=candles[0][0],
        until_ms=None,
        directory=tmp_path,
    )
    assert result.total == 1496
    [gap] = result.gaps
    assert (gap.after_open_ms, gap.before_open_ms, gap.missing) == (candles[1099][0], candles[1100][0], 3)
    assert find_gaps([0, HOUR, 4 * HOUR, 5 * HOUR, 7 * HOUR], HOUR)[1].missing == 1


def test_download_command_then_backtest_on_the_downloaded_files(
    fake_exchange: FakeExchange, tmp_path: Path
) -> None:
    btc, eth = scripted(700, seed=1), candles_ending_now(random_walk(700, 2, start=3000.0), interval="1h")
    del btc[300:302]
    fake_exchange.set_candles("BTCUSDT", "1h", btc)
    fake_exchange.set_candles("ETHUSDT", "1h", eth)
    since = ms_to_datetime(btc[0][0]).isoformat()
    runner = CliRunner()
    args = ["download", "--symbols", "BTC/USDT,ETH/USDT", "--timeframe", "1h", "--since", since]
    result = runner.invoke(app, [*args, "--dir", str(tmp_path / "candles"), "--url", fake_exchange.url])
    assert result.exit_code == 0, result.output
    output = result.output
    assert "BTC/USDT: +697 candles" in output and "ETH/USDT: +699 candles" in output
    assert "gaps: 1 (2 candles missing)" in output and "gaps: 0 (0 candles missing)" in output
    gap_start = ms_to_datetime(btc[300][0] - 2 * HOUR).isoformat()
    assert f"{gap_start} .. " in output  # the first missing candle

    config = tmp_path / "usdt.toml"
    config.write_text(
        '[bot]\nname = "dl"\n[bot.starting_balances]\nUSDT = "10000"\n'
        '[market]\nsymbols = ["BTC/USDT", "ETH/USDT"]\ntimeframe = "1h"\n'
        '[[strategies]]\nname = "ma"\n[strategies.params]\nfast = 5\nslow = 20\n'
    )
    out = tmp_path / "bt"
    args = ["backtest", "--config", str(config), "--data", str(tmp_path / "candles"), "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert (out / "result.json").is_file() and (out / "equity.png").is_file()


def test_an_unknown_symbol_is_refused_by_name(fake_exchange: FakeExchange, tmp_path: Path) -> None:
    args = ["download", "--symbols", "DOGE/USDT", "--since", "2024-01-01", "--dir", str(tmp_path)]
    result = CliRunner().invoke(app, [*args, "--url", fake_exchange.url])
    assert result.exit_code == 2
    assert "DOGE/USDT" in result.output
