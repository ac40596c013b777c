"""The portfolio-risk caps end to end on the real candles (``tight_limits.toml``): ``spotbot backtest``
stores ``cvar`` and ``cluster_exposure`` decisions (approvals, resizes and denials with their figures),
``report`` (plain and ``--json``) shows the latest CVaR decision; a simulated daemon on the same candles
decides the same, and shows the held portfolio's VaR/CVaR in the API's status, ``/metrics`` and
``spotbot status``."""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from rich.console import Console
from typer.testing import CliRunner

from bot.adapters.audit.store import SqlAuditStore
from bot.app.api.metrics import metrics_text
from bot.app.api.service import ApiService, Watched
from bot.app.backtest.runner import backtest_market, data_overrides, load_backtest_settings, run_backtest
from bot.app.bootstrap import build_app, finish_app
from bot.app.cli import app as cli
from bot.app.daemon import Heartbeat
from bot.app.report_json import portfolio_risk_decision_json, portfolio_risk_json
from bot.app.reporting import latest_entry_decision
from bot.app.settings import load_settings
from bot.app.status import print_status, read_status
from bot.domain import RiskDecision, Verdict
from bot.domain.clock import SystemClock

CONFIG = Path(__file__).with_name("tight_limits.toml")
GUARDS = ("cvar", "cluster_exposure")


def decisions(url: str) -> list[RiskDecision]:
    """The portfolio-risk guards' decisions of the DB's latest run, oldest first."""
    with SqlAuditStore(url, venue="paper") as store:
        return [d for d in store.decisions(store.latest_run_id()) if d.guard in GUARDS]


def test_a_backtest_stores_the_caps_decisions_and_report_shows_the_latest_cvar(
    tmp_path: Path, shared_data: Path
):
    out = tmp_path / "out"
    runner = CliRunner()
    args = ["backtest", "--config", str(CONFIG), "--data", str(shared_data), "--to", "2018-01-20"]
    done = runner.invoke(cli, [*args, "--out", str(out)])
    assert done.exit_code == 0, done.output
    url = f"sqlite:///{out / 'audit.sqlite'}"

    decided = decisions(url)
    counts = Counter((d.guard, d.verdict, d.reason) for d in decided)
    for guard, verdict, reason in [
        ("cvar", Verdict.APPROVED, "ok"),
        ("cvar", Verdict.RESIZED, "fit_to_cvar_limit"),
        ("cvar", Verdict.DENIED, "cvar_limit"),
        ("cvar", Verdict.DENIED, "cvar_no_history"),  # the first 2 days: no day of one-day returns yet
        ("cluster_exposure", Verdict.APPROVED, "ok"),
        ("cluster_exposure", Verdict.RESIZED, "fit_to_cluster_limit"),
        ("cluster_exposure", Verdict.DENIED, "cluster_limit"),
    ]:
        assert counts[(guard, verdict, reason)] > 0, (guard, reason, counts)
    for d in decided:
        if d.reason == "fit_to_cvar_limit":
            assert d.quantity_after is not None and d.quantity_before is not None
            assert d.quantity_after < d.quantity_before and f"resized to {d.quantity_after}" in d.detail
            within = re.search(r"resized to [0-9.]+: ([0-9.]+) %", d.detail)
            assert within is not None and float(within.group(1)) <= 2.0  # max_cvar 2 %
        if d.reason == "cvar_limit":
            assert "max_cvar 2.000 %" in d.detail
        if d.guard == "cluster_exposure" and d.reason != "exit_always_passes":
            assert d.detail.startswith("cluster ") and "(correlation > 0.5 over 2d" in d.detail
    assert "cvar:fit_to_cvar_limit" in done.output and "cluster_exposure:cluster_limit" in done.output

    env = {"SPOTBOT_BOT__DATABASE_URL": url}
    shown = runner.invoke(cli, ["report", "--config", str(CONFIG), "--json"], env=env)
    assert shown.exit_code == 0, shown.output
    latest = max((d for d in decided if d.guard == "cvar" and d.reason != "exit_always_passes"),
                 key=lambda d: d.decided_at)  # fmt: skip
    assert json.loads(shown.output)["portfolio_risk"] == portfolio_risk_decision_json(latest)
    plain = runner.invoke(cli, ["report", "--config", str(CONFIG)], env=env)
    assert plain.exit_code == 0, plain.output
    assert "portfolio 1-day CVaR" in plain.output and latest.detail[:40] in " ".join(plain.output.split())


def test_a_daemon_on_the_same_candles_decides_the_same_and_shows_the_portfolio_risk(
    tmp_path: Path, shared_data: Path
) -> None:
    ticks = 1500  # about 5 days: both caps have resized and denied by then
    _, overrides = data_overrides(CONFIG, [shared_data])
    data_dir = tmp_path / "daemon"
    data_dir.mkdir()
    settings = load_settings(CONFIG, overrides={**overrides, "bot": {"data_dir": str(data_dir)}})
    daemon = build_app(settings, max_ticks=ticks)
    daemon.replay.run_to_end()
    assert daemon.replay.error is None

    end = datetime(2018, 1, 10, 4, 55, tzinfo=UTC) + timedelta(minutes=5 * ticks)  # the last close ticked
    live = daemon.engine.status.portfolio_risk
    assert live is not None and live.figures is not None and live.at <= end
    assert live.lookback == timedelta(days=2) and live.figures.samples == 576
    beat = Heartbeat(60.0)
    beat.beat()
    with SqlAuditStore(settings.effective_database_url, venue=settings.venue) as store:
        service = ApiService(settings, store, Watched.of(daemon, beat), SystemClock())
        status = service.status()
        metrics = metrics_text(service).decode()
    assert status["portfolio_risk"] == portfolio_risk_json(live)
    assert status["portfolio_risk"]["historical_95_cvar"] == round(live.figures.historical_95.cvar, 6)
    cvar = float(
        re.search(r'spotbot_portfolio_cvar_ratio\{level="0.95",method="historical"\} (\S+)', metrics)[1]
    )
    assert cvar == live.figures.historical_95.cvar
    assert 'spotbot_portfolio_var_ratio{level="0.99",method="parametric"}' in metrics
    finish_app(daemon, "completed")

    journal = read_status(settings)
    with SqlAuditStore(settings.effective_database_url, venue=settings.venue) as store:
        latest = latest_entry_decision(store, daemon.run_id, "cvar")
    assert latest is not None and journal["portfolio_risk"] == portfolio_risk_decision_json(latest)
    printed = Console(file=io.StringIO(), width=400)
    print_status(printed, {"source": "db", **journal}, "BTC")
    assert f"portfolio risk {latest.detail}" in " ".join(printed.file.getvalue().split())  # type: ignore[attr-defined]
    from_api = Console(file=io.StringIO(), width=400)
    print_status(from_api, {"source": "api", **status, "run": {"id": 1, "status": "running", "mode": "paper",
                 "venue": "paper"}, "last_tick_at": None, "drawdown": None}, "BTC")  # fmt: skip
    assert "1-day VaR / CVaR of equity: historical 95 %" in " ".join(from_api.file.getvalue().split())  # type: ignore[attr-defined]

    (tmp_path / "bt").mkdir()
    bt_settings, _ = load_backtest_settings(CONFIG, [shared_data], tmp_path / "bt")
    backtest = run_backtest(bt_settings, backtest_market(bt_settings, None, end))
    backtest.app.store.close()

    def seen(url: str) -> list[tuple[datetime, str, str, str, Decimal | None, Decimal | None]]:
        return [(d.decided_at, d.guard, d.reason, d.detail, d.quantity_before, d.quantity_after)
                for d in decisions(url)]  # fmt: skip

    in_daemon = seen(settings.effective_database_url)
    reasons = {reason for _, _, reason, *_ in in_daemon}
    assert {"fit_to_cvar_limit", "cluster_limit", "fit_to_cluster_limit"} <= reasons
    assert seen(bt_settings.effective_database_url) == in_daemon  # DESIGN invariant 9


def test_a_backtest_skipping_quiet_closes_decides_the_caps_as_ticking_every_close(tmp_path: Path) -> None:
    """The event replay's parity check (every close vs the closes something can happen at, and shadow
    mode) on a sim market where both caps bind: the same decisions, orders and fills."""
    from tests.backtest.test_event_parity import Scenario, assert_same_run, toml_of

    risk = {"max_cvar": "0.004", "max_cluster_fraction": "0.3", "correlation_threshold": "0",
            "risk_lookback": "12h", "max_asset_fraction": "0.5"}  # fmt: skip
    scenario = Scenario(3, 1100, 7, 0.08, True, toml_of({"risk": risk}) + '[[strategies]]\nname = "ma"\n')
    every, _ = assert_same_run(tmp_path, scenario)
    reasons = Counter((d.guard, d.reason) for d in every["decisions"] if d.guard in GUARDS)
    for reason in ("cvar_no_history", "ok", "fit_to_cvar_limit", "cvar_limit"):
        assert reasons[("cvar", reason)] > 0, reasons
    for reason in ("ok", "fit_to_cluster_limit"):
        assert reasons[("cluster_exposure", reason)] > 0, reasons
