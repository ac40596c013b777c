"""``spotbot backtest`` on the real ETH/BTC and LTC/BTC candles in ../shared/data, through the CLI."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.adapters.audit.store import SqlAuditStore
from bot.app.cli import app
from bot.app.reporting import RunReport, build_report

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def write_config(
    directory: Path, *, symbols: tuple[str, ...] = ("ETH/BTC", "LTC/BTC"), extra: str = ""
) -> Path:
    """A config trading BTC-quoted pairs from 1 BTC; its market source is left at the default (sim)."""
    config = directory / "bt.toml"
    config.write_text(
        f"""
[bot]
name = "bt"
data_dir = "{directory / "daemon-data"}"
quote_currency = "BTC"
{extra}
[bot.starting_balances]
BTC = "1"
[market]
symbols = {json.dumps(list(symbols))}
timeframe = "5m"
[market.rules]
min_notional = "0.0001"
[[strategies]]
name = "ma_cross"
[strategies.params]
fast = 12
slow = 48
"""
    )
    return config


def backtest(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["backtest", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def report_from(out: Path) -> RunReport:
    with SqlAuditStore(f"sqlite:///{out / 'audit.sqlite'}", venue="paper") as store:
        return build_report(store)


def load_result(out: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((out / "result.json").read_text())
    return loaded


@pytest.mark.slow  # the whole two files: about 25 s
def test_backtest_of_both_files_writes_the_run_reports_numbers_and_a_chart(
    tmp_path: Path, shared_data: Path
) -> None:
    out = tmp_path / "out"
    code, output = backtest(
        "--config", str(write_config(tmp_path)), "--data", str(shared_data), "--out", str(out)
    )
    assert code == 0, output
    result, report = load_result(out), report_from(out)
    metrics = result["metrics"]

    assert result["data"]["candles"] == 5760
    assert metrics["trades"] == len(report.trades) > 0
    assert Decimal(metrics["final_equity"]) == report.final_equity
    assert sum(row["trades"] for row in result["per_symbol"].values()) == metrics["trades"]
    assert set(result["per_symbol"]) == {"ETH/BTC", "LTC/BTC"}
    # accounting identity: final = start + realized + unrealized - fees
    start, final = Decimal(metrics["starting_equity"]), Decimal(metrics["final_equity"])
    assert start == Decimal(1)
    realized, unrealized, fees = (Decimal(metrics[k]) for k in ("realized_pnl", "unrealized_pnl", "fees"))
    assert final == start + realized + unrealized - fees
    assert metrics["total_return"] == pytest.approx(float(final / start - 1))
    assert metrics["max_drawdown"] == pytest.approx(float(report.max_drawdown))
    assert result["risk"]["by_reason"] == report.outcomes.by_reason
    assert result["config"]["hash"] == report.run.config_hash
    assert (out / "equity.png").read_bytes()[:8] == PNG_MAGIC
    assert "Sharpe" in output and "max drawdown" in output
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in page and "Per symbol" in page
    assert f"{metrics['trades']} ({metrics['wins']} won" in page and "LTC/BTC" in page
    assert "intent_decided" not in (out / "backtest.log").read_text()  # WARNING by default


def test_log_level_info_logs_every_decision_and_a_bad_level_is_refused(
    tmp_path: Path, shared_data: Path
) -> None:
    config, out = str(write_config(tmp_path)), tmp_path / "out"
    window = ("--from", "2018-01-12", "--to", "2018-01-13")
    code, output = backtest("--config", config, "--data", str(shared_data), *window, "--out", str(out),
                            "--log-level", "INFO")  # fmt: skip
    assert code == 0, output
    assert "intent_decided" in (out / "backtest.log").read_text()
    had = Path("backtests").is_dir()
    before = set(Path("backtests").glob("*")) if had else set()
    code, output = backtest("--config", config, "--data", str(shared_data), *window, "--log-level", "LOUD")
    assert code == 2
    assert "'LOUD' is not a log level" in output
    assert Path("backtests").is_dir() == had  # a refused backtest leaves no output folder behind,
    assert (set(Path("backtests").glob("*")) if had else set()) == before  # nor backtests/ itself


def test_from_and_to_restrict_the_candles_replayed(tmp_path: Path, shared_data: Path) -> None:
    out = tmp_path / "out"
    config = write_config(tmp_path)
    window = ("--from", "2018-01-12", "--to", "2018-01-14T00:00:00Z")
    code, output = backtest("--config", str(config), "--data", str(shared_data), *window, "--out", str(out))
    assert code == 0, output
    data = load_result(out)["data"]
    assert data["first_candle_open"] == "2018-01-12T00:00:00+00:00"
    assert data["last_candle_close"] == "2018-01-14T00:00:00+00:00"
    assert data["candles"] == 2 * 288
    report = report_from(out)
    assert all("2018-01-12" <= f.occurred_at.isoformat() < "2018-01-14T00:05" for f in report.fills)
    metrics = load_result(out)["metrics"]
    assert metrics["trades"] == len(report.trades)
    assert Decimal(metrics["final_equity"]) == report.final_equity


def test_files_given_one_by_one_are_the_symbols_traded(tmp_path: Path, shared_data: Path) -> None:
    out = tmp_path / "out"
    config = write_config(tmp_path, symbols=("XLM/BTC",))
    files = ("--data", str(shared_data / "ETH_BTC-5m.csv"), "--data", str(shared_data / "LTC_BTC-5m.csv"))
    code, output = backtest(
        "--config", str(config), *files, "--from", "2018-01-12", "--to", "2018-01-13", "--out", str(out)
    )
    assert code == 0, output
    result = load_result(out)
    assert set(result["data"]["files"]) == {"ETH/BTC", "LTC/BTC"}
    assert set(result["per_symbol"]) == {"ETH/BTC", "LTC/BTC"}
    assert result["run"]["audit_db"] == f"sqlite:///{(out / 'audit.sqlite').resolve()}"


def test_a_configured_database_url_is_used_instead_of_the_throwaway_one(
    tmp_path: Path, shared_data: Path
) -> None:
    out = tmp_path / "out"
    db = tmp_path / "mine.sqlite"
    config = write_config(tmp_path, extra=f'database_url = "sqlite:///{db}"')
    window = ("--from", "2018-01-12", "--to", "2018-01-12T06:00")
    code, output = backtest("--config", str(config), "--data", str(shared_data), *window, "--out", str(out))
    assert code == 0, output
    assert db.is_file() and not (out / "audit.sqlite").exists()
    assert load_result(out)["data"]["candles"] == 72


def test_a_data_directory_without_the_configs_files_is_refused(tmp_path: Path) -> None:
    code, output = backtest(
        "--config", str(write_config(tmp_path)), "--data", str(tmp_path), "--out", str(tmp_path)
    )
    assert code == 2
    assert "ETH_BTC-5m.csv" in output


def test_a_window_without_candles_is_refused(tmp_path: Path, shared_data: Path) -> None:
    config = str(write_config(tmp_path))
    code, output = backtest(
        "--config", config, "--data", str(shared_data), "--from", "2020-01-01", "--out", str(tmp_path)
    )
    assert code == 2
    assert "no candles" in output


def test_candle_files_name_the_symbols_even_when_the_configs_own_would_not_fit(
    tmp_path: Path, shared_data: Path
) -> None:
    """A BTC-quoted config that leaves market.symbols at the (USDT) default, and sim start prices for
    them: the files given one by one are what is traded, so neither is held against it."""
    config = tmp_path / "btc.toml"
    config.write_text(
        '[bot]\nname = "bt"\nquote_currency = "BTC"\n[bot.starting_balances]\nBTC = "1"\n'
        '[market.rules]\nmin_notional = "0.0001"\n[[strategies]]\nname = "ma_cross"\n'
    )
    out = tmp_path / "out"
    files = ("--data", str(shared_data / "ETH_BTC-5m.csv"))
    code, output = backtest("--config", str(config), *files, "--to", "2018-01-12", "--out", str(out))
    assert code == 0, output
    assert set(load_result(out)["per_symbol"]) == {"ETH/BTC"}


def test_an_exchange_config_without_candle_files_is_refused_not_replaced_by_a_synthetic_market(
    tmp_path: Path,
) -> None:
    config = tmp_path / "live.toml"
    config.write_text(
        '[market]\nsource = "exchange"\n[exchange]\nid = "binance"\n[[strategies]]\nname = "m"\n'
    )
    code, output = backtest("--config", str(config), "--out", str(tmp_path / "out"))
    assert code == 2
    assert "market.source is 'exchange'" in output and "--data" in output


def test_a_backtest_halted_by_a_breaker_says_so(tmp_path: Path, shared_data: Path) -> None:
    """A run the drawdown breaker halted early used to show only an equity curve gone flat."""
    tight = write_config(tmp_path, symbols=("ETH/BTC",), extra='[risk]\nmax_drawdown = "0.002"\n')
    window = ("--from", "2018-01-12", "--to", "2018-01-16")
    code, output = backtest(
        "--config", str(tight), "--data", str(shared_data), *window, "--out", str(tmp_path / "a")
    )
    assert code == 0, output
    state = load_result(tmp_path / "a")["risk"]["trading_state_at_end"]
    assert (state["state"], state["reason"]) == ("halted", "max_drawdown")
    assert "HALTED (max_drawdown) since" in " ".join(output.split())

    (tmp_path / "loose").mkdir()
    loose = write_config(tmp_path / "loose", symbols=("ETH/BTC",))
    code, output = backtest(
        "--config", str(loose), "--data", str(shared_data), *window, "--out", str(tmp_path / "b")
    )
    assert code == 0, output
    assert load_result(tmp_path / "b")["risk"]["trading_state_at_end"] == {"state": "active"}


def test_the_page_shows_every_trade_and_the_prices_they_were_made_at(
    tmp_path: Path, shared_data: Path
) -> None:
    out = tmp_path / "out"
    window = ("--from", "2018-01-12", "--to", "2018-01-15")
    code, output = backtest("--config", str(write_config(tmp_path)), "--data", str(shared_data), *window,
                            "--out", str(out))  # fmt: skip
    assert code == 0, output
    report = report_from(out)
    page = (out / "report.html").read_text(encoding="utf-8")

    assert (out / "prices.png").read_bytes()[:8] == PNG_MAGIC
    assert page.count("data:image/png;base64,") == 2  # the equity and the prices, embedded
    assert f"<h2>Trades ({len(report.trades)})</h2>" in page and len(report.trades) > 0
    for trade in report.trades:
        assert f"{trade.closed_at:%Y-%m-%d %H:%M}</td>" in page and f"{trade.net_pnl:.8g}</td>" in page


def test_the_shipped_btc_pairs_example_backtests_the_shared_candles(
    tmp_path: Path, shared_data: Path
) -> None:
    """The README's backtest and optimize examples use config/btc-pairs.example.toml: keep it runnable."""
    example = Path(__file__).resolve().parents[2] / "config" / "btc-pairs.example.toml"
    code, output = backtest("--config", str(example), "--data", str(shared_data / "ETH_BTC-5m.csv"),
                            "--data", str(shared_data / "LTC_BTC-5m.csv"), "--from", "2018-01-12",
                            "--to", "2018-01-13", "--out", str(tmp_path / "out"))  # fmt: skip
    assert code == 0, output
    assert set(load_result(tmp_path / "out")["per_symbol"]) <= {"ETH/BTC", "LTC/BTC"}


def test_the_default_config_on_btc_quoted_candles_says_which_configs_fit_not_which_keys_it_never_touched(
    tmp_path: Path, shared_data: Path
) -> None:
    files = ("--data", str(shared_data / "ETH_BTC-5m.csv"), "--data", str(shared_data / "LTC_BTC-5m.csv"))
    code, output = backtest(
        "--config",
        str(Path(__file__).resolve().parents[2] / "config" / "paper.toml"),
        *files,
        "--out",
        str(tmp_path / "bt"),
    )
    assert code == 2
    assert "start_prices" not in output, "the sim source's keys do not matter to a csv backtest"
    assert "quoted in BTC" in output and "trades in USDT" in output
    assert "config/btc-pairs.example.toml" in output
