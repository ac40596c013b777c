"""``spotbot check-strategy`` as a user runs it (a subprocess), on the real ETH/BTC candles."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


PEEKING_STRATEGY = """
from strategies.ma_crossover import MaCrossover, MaCrossoverParams


class PeekingCrossover(MaCrossover):
    Params = MaCrossoverParams

    def on_candles(self, view):
        intents = super().on_candles(view)
        series, stop = view.candles._series, view.candles._stop  # the window's whole series
        if stop < len(series) and series.close[stop] < view.candles[-1].close:
            return []  # skips every signal followed by a falling candle
        return intents
"""


def write_config(directory: Path, kind: str = "ma_crossover") -> Path:
    """The README's crossover on ETH/BTC 5m, or a user's ``kind``, with its params."""
    config = directory / "check.toml"
    config.write_text(
        '[bot]\nname = "check"\nquote_currency = "BTC"\n[bot.starting_balances]\nBTC = "1"\n'
        '[market]\nsymbols = ["ETH/BTC"]\ntimeframe = "5m"\n[market.rules]\nmin_notional = "0.0001"\n'
        f'[[strategies]]\nname = "ma_cross"\nkind = "{kind}"\n[strategies.params]\nfast = 12\nslow = 48\n'
    )
    return config


def spotbot(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "check-strategy", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "160"},
    )


@pytest.mark.slow  # every check on the whole file: about 10 s
def test_the_crossover_passes_every_check_on_the_whole_eth_btc_file(
    tmp_path: Path, shared_data: Path
) -> None:
    done = spotbot("--config", str(write_config(tmp_path)), "--data", str(shared_data / "ETH_BTC-5m.csv"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr == ""
    for shown in ("ma_cross", "ETH/BTC 5m", "5760 candles", "look-ahead", "warm-up", "scan", "errors", "OK"):
        assert shown in done.stdout
    assert "PROBLEM" not in done.stdout
    assert "all checks passed (1 strategy/symbol pair, " in done.stdout


def test_json_reports_each_check_of_the_candles_between_from_and_to(
    tmp_path: Path, shared_data: Path
) -> None:
    done = spotbot(
        "--config", str(write_config(tmp_path)), "--data", str(shared_data),
        "--from", "2018-01-20", "--to", "2018-01-24", "--samples", "20", "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["ok"] is True and result["problems"] == 0 and result["samples"] == 20
    assert result["data"]["requested_from"] == "2018-01-20"
    (one,) = result["results"]
    assert (one["strategy"], one["kind"], one["symbol"], one["warmup"]) == (
        "ma_cross",
        "ma_crossover",
        "ETH/BTC",
        192,
    )
    assert one["candles"] == 4 * 288
    assert one["first_candle_open"] == "2018-01-20T00:00:00+00:00"
    assert one["last_candle_close"] == "2018-01-24T00:00:00+00:00"
    assert list(one["checks"]) == ["look-ahead", "warm-up", "scan", "errors"]
    for check in one["checks"].values():
        assert check["status"] == "ok" and check["problems"] == 0 and check["examples"] == []
        assert check["summary"]


def test_a_user_strategy_reading_the_next_close_fails_the_look_ahead_check_with_exit_1(
    tmp_path: Path, shared_data: Path
) -> None:
    (tmp_path / "peek.py").write_text(PEEKING_STRATEGY)
    config = write_config(tmp_path, kind="peek.py:PeekingCrossover")
    done = spotbot(
        "--config", str(config), "--data", str(shared_data), "--from", "2018-01-20", "--to", "2018-01-24",
        "--samples", "20",
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    look_ahead = done.stdout[done.stdout.index("look-ahead") : done.stdout.index("warm-up")]
    assert "PROBLEM" in look_ahead and "full data: nothing, later candles hidden" in look_ahead
    assert "1 check found a problem (1 strategy/symbol pair, " in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--data", "missing/ETH_BTC-5m.csv"], "--data missing/ETH_BTC-5m.csv: no such file"),
        (
            ["--from", "2018-01-29T20:00"],
            "ETH/BTC: 107 candles; strategy ma_cross needs at least its warmup (192)",
        ),
    ],
)
def test_bad_input_ends_with_one_line_naming_it_and_exit_2(
    tmp_path: Path, shared_data: Path, args: list[str], message: str
) -> None:
    data = [] if "--data" in args else ["--data", str(shared_data)]
    done = spotbot("--config", str(write_config(tmp_path)), *data, *args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith(f"error: check-strategy: {message}")
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert done.stdout == ""
