"""The shipped ``config/regime.example.toml`` on the real candles: a backtest records a ``regime`` decision
for every entry (approvals and both kinds of denial, with the regime in their detail) and ``report``
shows the latest; a simulated daemon on the same candles decides the same, and shows its regime in the
API's status, ``/metrics`` and ``spotbot status``."""

from __future__ import annotations

import io
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
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
from bot.app.report_json import regime_decision_json
from bot.app.reporting import latest_regime_decision
from bot.app.settings import load_settings
from bot.app.status import print_status, read_status
from bot.domain import RiskDecision, Verdict
from bot.domain.clock import SystemClock
from tests.settings.helpers import REPO

EXAMPLE = REPO / "config" / "regime.example.toml"
GATED = "alts_in_alt_season"


def regime_decisions(url: str) -> list[tuple[RiskDecision, str]]:
    """Every ``regime`` decision of the DB's latest run, with its intent's strategy."""
    with SqlAuditStore(url, venue="paper") as store:
        run_id = store.latest_run_id()
        strategy = {i.intent_id: i.strategy for i in store.intents(run_id)}
        return [(d, strategy[d.intent_id]) for d in store.decisions(run_id) if d.guard == "regime"]


def test_a_backtest_of_the_example_records_the_regime_of_every_entry_and_report_shows_it(
    tmp_path: Path, shared_data: Path
) -> None:
    out = tmp_path / "out"
    runner = CliRunner()
    done = runner.invoke(
        cli, ["backtest", "--config", str(EXAMPLE), "--data", str(shared_data), "--out", str(out)]
    )
    assert done.exit_code == 0, done.output
    url = f"sqlite:///{out / 'audit.sqlite'}"

    decided = regime_decisions(url)
    counts = Counter((d.verdict, d.reason) for d, _ in decided)
    assert counts[(Verdict.APPROVED, "ok")] > 0
    assert counts[(Verdict.DENIED, "regime_not_allowed")] > 0  # outside alt season
    assert counts[(Verdict.DENIED, "regime_unknown")] > 0  # the first 3 days: no window of history yet
    for decision, strategy in decided:
        if decision.reason == "exit_always_passes":
            continue
        if strategy == GATED:
            season = "alt_season" if decision.verdict is Verdict.APPROVED else decision.detail.split(":")[0]
            assert decision.detail.startswith(f"{season}: ") and f"the {GATED} gate allows" in decision.detail
            assert (decision.verdict is Verdict.APPROVED) == (season == "alt_season")
        else:
            assert (decision.verdict, decision.detail[:16]) == (Verdict.APPROVED, "no regime gate; ")
    assert "regime:regime_not_allowed" in done.output  # the backtest's table of denials by reason

    shown = runner.invoke(cli, ["report", "--config", str(EXAMPLE), "--json"],
                          env={"SPOTBOT_BOT__DATABASE_URL": url})  # fmt: skip
    assert shown.exit_code == 0, shown.output
    latest = max((d for d, _ in decided if d.reason != "exit_always_passes"), key=lambda d: d.decided_at)
    assert '"regime": {' in shown.output
    assert regime_decision_json(latest) == json.loads(shown.output)["regime"]
    plain = runner.invoke(cli, ["report", "--config", str(EXAMPLE)], env={"SPOTBOT_BOT__DATABASE_URL": url})
    assert plain.exit_code == 0, plain.output
    assert "market regime" in plain.output and latest.detail.split(";")[0][:30] in " ".join(
        plain.output.split()
    )


def test_a_daemon_on_the_same_candles_decides_the_same_and_shows_its_regime(
    tmp_path: Path, shared_data: Path
) -> None:
    env = {"SPOTBOT_REGIME__WINDOW": "1d"}  # a shorter window: the regime is known after one day
    ticks = 600
    _, overrides = data_overrides(EXAMPLE, [shared_data], env=env)
    data_dir = tmp_path / "daemon"
    data_dir.mkdir()
    settings = load_settings(EXAMPLE, env=env, overrides={**overrides, "bot": {"data_dir": str(data_dir)}})
    daemon = build_app(settings, max_ticks=ticks)
    daemon.replay.run_to_end()
    assert daemon.replay.error is None

    first_open = datetime(2018, 1, 10, 4, 55, tzinfo=UTC)
    end = first_open + timedelta(minutes=5 * ticks)  # the last close the daemon ticked
    live = daemon.engine.status.regime
    assert live is not None and live.computed_at <= end
    beat = Heartbeat(60.0)
    beat.beat()
    with SqlAuditStore(settings.effective_database_url, venue=settings.venue) as store:
        service = ApiService(settings, store, Watched.of(daemon, beat), SystemClock())
        status = service.status()
        metrics = metrics_text(service).decode()
    assert status["regime"]["season"] == live.season.value and status["regime"]["detail"] == live.describe()
    assert f'spotbot_regime_season{{season="{live.season.value}"}} 1.0' in metrics
    finish_app(daemon, "completed")

    journal = read_status(settings)
    with SqlAuditStore(settings.effective_database_url, venue=settings.venue) as store:
        latest = latest_regime_decision(store, daemon.run_id)
    assert latest is not None and journal["regime"] == regime_decision_json(latest)
    printed = Console(file=io.StringIO(), width=300)
    print_status(printed, {"source": "db", **journal}, "BTC")
    assert f"market regime {latest.detail}" in " ".join(printed.file.getvalue().split())  # type: ignore[attr-defined]

    (tmp_path / "bt").mkdir()
    bt_settings, _ = load_backtest_settings(EXAMPLE, [shared_data], tmp_path / "bt", env=env)
    backtest = run_backtest(bt_settings, backtest_market(bt_settings, None, end))
    backtest.app.store.close()

    def seen(url: str) -> list[tuple[datetime, str, str, str]]:
        return [(d.decided_at, d.verdict.value, d.reason, d.detail) for d, _ in regime_decisions(url)]

    in_daemon = seen(settings.effective_database_url)
    assert len(in_daemon) > 10 and seen(bt_settings.effective_database_url) == in_daemon  # DESIGN invariant 9
