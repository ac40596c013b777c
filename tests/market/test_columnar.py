"""The columnar copy of a candle CSV: a window read from it is the CSV's window, and only a current copy
is used (issue 11: a backtest reads only its --from/--to window)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from bot.adapters.market import columnar
from bot.adapters.market.columnar import columnar_path, is_current, read_window, write_columnar
from bot.adapters.market.csv_replay import load_csv_series
from bot.app.cli import app
from tests.backtest.test_backtest_command import write_config

DAY_MS = 86_400_000


@pytest.fixture
def eth_csv(shared_data: Path, tmp_path: Path) -> Path:
    """A private copy of the real ETH/BTC candles (the copy is written beside it, never in shared data)."""
    folder = tmp_path / "candles"
    folder.mkdir()
    return Path(shutil.copy(shared_data / "ETH_BTC-5m.csv", folder))


def test_a_window_read_from_the_copy_is_the_csvs_window_and_reads_only_overlapping_row_groups(
    eth_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(columnar, "ROW_GROUP", 500)
    whole = load_csv_series(eth_csv, "ETH/BTC", "5m")
    write_columnar(eth_csv, "ETH/BTC", "5m")
    lo = int(whole.open_time[0]) + 3 * DAY_MS + 7 * 300_000  # not on a row group's edge
    hi = lo + DAY_MS

    window = read_window(eth_csv, "ETH/BTC", "5m", lo, hi)

    assert window is not None
    keep = (whole.open_time >= lo) & (whole.open_time < hi)
    assert len(window.series) == 288
    for name in ("open_time", "open", "high", "low", "close", "volume"):
        assert np.array_equal(getattr(window.series, name), getattr(whole, name)[keep]), name
    assert window.median_close == whole.median_close()  # the whole file's: the rules do not move
    assert window.groups == 12 and window.groups_read == 2  # candles 871..1158: groups 500.. and 1000..


def test_open_ended_windows_read_to_the_files_ends(eth_csv: Path) -> None:
    whole = load_csv_series(eth_csv, "ETH/BTC", "5m")
    write_columnar(eth_csv, "ETH/BTC", "5m")
    middle = int(whole.open_time[2000])

    head = read_window(eth_csv, "ETH/BTC", "5m", None, middle)
    tail = read_window(eth_csv, "ETH/BTC", "5m", middle, None)

    assert head is not None and tail is not None
    assert np.array_equal(np.concatenate([head.series.close, tail.series.close]), whole.close)


def test_a_copy_that_no_longer_matches_its_csv_is_not_used(eth_csv: Path) -> None:
    write_columnar(eth_csv, "ETH/BTC", "5m")
    assert is_current(eth_csv, "5m")

    with eth_csv.open("a") as handle:  # the CSV grew after the copy was written
        handle.write("1517288100000,0.1,0.1,0.1,0.1,1\n")

    assert not is_current(eth_csv, "5m")
    assert read_window(eth_csv, "ETH/BTC", "5m", None, None) is None
    assert read_window(eth_csv, "ETH/BTC", "1h", None, None) is None  # another timeframe's file
    columnar_path(eth_csv).write_bytes(b"not parquet")
    assert read_window(eth_csv, "ETH/BTC", "5m", None, None) is None


def test_a_backtest_window_gives_the_same_result_from_the_copy_as_from_the_csv(
    eth_csv: Path, tmp_path: Path
) -> None:
    config = str(write_config(tmp_path, symbols=("ETH/BTC",)))
    window = ("--from", "2018-01-13", "--to", "2018-01-16")

    def backtest(out: Path) -> dict[str, object]:
        result = CliRunner().invoke(app, ["backtest", "--config", config, "--data", str(eth_csv.parent),
                                          *window, "--out", str(out), "--log-level", "INFO"])  # fmt: skip
        assert result.exit_code == 0, result.output
        loaded: dict[str, object] = json.loads((out / "result.json").read_text())
        return loaded

    from_csv = backtest(tmp_path / "csv")
    write_columnar(eth_csv, "ETH/BTC", "5m")
    from_copy = backtest(tmp_path / "copy")

    assert "candles_read_from_columnar_copy" in (tmp_path / "copy" / "backtest.log").read_text()
    assert "candles_read_from_columnar_copy" not in (tmp_path / "csv" / "backtest.log").read_text()
    for key in ("metrics", "data", "per_symbol", "risk"):
        assert from_copy[key] == from_csv[key], key
    assert json.loads(json.dumps(from_copy["metrics"]))["trades"] > 0


def test_a_copy_is_replaced_whole_never_seen_half_written(
    eth_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_columnar(eth_csv, "ETH/BTC", "5m")
    before = columnar_path(eth_csv).read_bytes()

    def crash(*_args: object, **_kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with eth_csv.open("a") as handle:
        handle.write("1517288100000,0.1,0.1,0.1,0.1,1\n")
    with pytest.raises(OSError, match="disk full"):
        write_columnar(eth_csv, "ETH/BTC", "5m")

    assert columnar_path(eth_csv).read_bytes() == before  # the old copy, untouched (and now stale)
    assert [p.name for p in eth_csv.parent.iterdir()] == sorted([eth_csv.name, columnar_path(eth_csv).name])
