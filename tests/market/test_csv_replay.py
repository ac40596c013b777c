"""CSV replay: real Binance candles in, clear errors (file and line) for bad files, gaps kept as gaps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.adapters.market import CsvFormatError, load_csv_series

HEADER = "timestamp,open,high,low,close,volume\n"
T0 = 1_515_560_100_000
FIVE_MINUTES = 300_000


def _write(tmp_path: Path, body: str, name: str = "ETH_BTC-5m.csv") -> Path:
    path = tmp_path / name
    path.write_text(body)
    return path


def _row(i: int, o: str = "1.0", h: str = "1.2", lo: str = "0.9", c: str = "1.1", v: str = "5") -> str:
    return f"{T0 + i * FIVE_MINUTES},{o},{h},{lo},{c},{v}\n"


def test_real_eth_btc_candles_replay_with_the_timeframe_from_the_file_name(shared_data: Path) -> None:
    series = load_csv_series(shared_data / "ETH_BTC-5m.csv", "ETH/BTC")
    assert series.symbol == "ETH/BTC"
    assert series.timeframe == "5m"
    assert len(series) == 5760
    first = series.candle(0)
    assert (first.open_time, first.open, first.high, first.low, first.close, first.volume) == (
        1515560100000,
        0.0984,
        0.0994766,
        0.09828605,
        0.0994766,
        1820.544474,
    )
    assert first.close_time == 1515560400000


def test_gaps_are_kept_and_never_filled(shared_data: Path) -> None:
    path = shared_data / "XRP_ETH-5m.csv"
    rows = path.read_text().strip().splitlines()[1:]
    series = load_csv_series(path, "XRP/ETH", "5m")
    assert len(series) == len(rows)
    assert np.any(np.diff(series.open_time) > FIVE_MINUTES), "this file has real gaps"


def test_a_gap_is_tolerated(tmp_path: Path) -> None:
    path = _write(tmp_path, HEADER + _row(0) + _row(3))
    series = load_csv_series(path, "ETH/BTC")
    assert series.open_time.tolist() == [T0, T0 + 3 * FIVE_MINUTES]


def test_configured_timeframe_is_used_when_the_name_has_none(tmp_path: Path) -> None:
    path = _write(tmp_path, HEADER + _row(0) + _row(1), name="candles.csv")
    assert load_csv_series(path, "ETH/BTC", "5m").timeframe == "5m"
    with pytest.raises(ValueError, match="no timeframe configured"):
        load_csv_series(path, "ETH/BTC")


def test_configured_timeframe_must_agree_with_the_file_name(tmp_path: Path) -> None:
    path = _write(tmp_path, HEADER + _row(0))
    with pytest.raises(ValueError, match=r"'1m' differs from '5m'"):
        load_csv_series(path, "ETH/BTC", "1m")


def test_bad_header_names_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "time,open,high,low,close,volume\n" + _row(0))
    with pytest.raises(CsvFormatError) as caught:
        load_csv_series(path, "ETH/BTC")
    assert str(caught.value).startswith(f"{path}:1: header is")
    assert "expected 'timestamp,open,high,low,close,volume'" in str(caught.value)


def test_bad_number_names_file_line_and_column(tmp_path: Path) -> None:
    path = _write(tmp_path, HEADER + _row(0) + _row(1) + _row(2, c="1.1x"))
    with pytest.raises(CsvFormatError, match=r":4: close '1.1x' is not a number") as caught:
        load_csv_series(path, "ETH/BTC")
    assert caught.value.path == path
    assert caught.value.line == 4


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        (f"{T0 + FIVE_MINUTES},1,2,0.5\n", "4 fields; expected 6"),
        ("abc,1,2,0.5,1,1\n", "timestamp 'abc' is not an integer"),
        (_row(1, o="-1"), "open '-1' is out of range"),
        (_row(1, v="nan"), "volume 'nan' is out of range"),
        (_row(1, h="1.05"), "inconsistent candle"),
        (_row(1, lo="1.05"), "inconsistent candle"),
        (_row(0), "is not after the previous row's"),
        (f"{T0 + 60_000},1.0,1.2,0.9,1.1,5\n", "must be a multiple of 300000 ms"),
    ],
)
def test_bad_rows_are_reported_with_their_line(tmp_path: Path, row: str, problem: str) -> None:
    path = _write(tmp_path, HEADER + _row(0) + row)
    with pytest.raises(CsvFormatError, match=":3: ") as caught:
        load_csv_series(path, "ETH/BTC")
    assert problem in str(caught.value)


def test_empty_files_are_errors(tmp_path: Path) -> None:
    with pytest.raises(CsvFormatError, match=":1: empty file"):
        load_csv_series(_write(tmp_path, ""), "ETH/BTC")
    with pytest.raises(CsvFormatError, match=":2: no candles"):
        load_csv_series(_write(tmp_path, HEADER), "ETH/BTC")


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot read candle file"):
        load_csv_series(tmp_path / "NOPE_BTC-5m.csv", "NOPE/BTC")
