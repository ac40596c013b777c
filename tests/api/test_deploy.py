"""deploy/: the compose file wires the bot's API to Prometheus, and every metric the Grafana dashboard
plots is one the bot serves (a renamed metric would leave a panel silently empty)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from bot.adapters.exchange.request_stats import RequestStats
from tests.api.test_api import World, world

__all__ = ["world"]  # the fixture, imported for pytest

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def test_compose_runs_the_bot_postgres_prometheus_and_grafana_and_prometheus_scrapes_the_bot() -> None:
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"bot", "postgres", "prometheus", "grafana"} <= set(services)
    port = services["bot"]["environment"]["SPOTBOT_API__PORT"]
    assert services["bot"]["environment"]["SPOTBOT_BOT__DATABASE_URL"].startswith("postgresql+psycopg://")
    scrape = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())["scrape_configs"][0]
    assert scrape["static_configs"][0]["targets"] == [f"bot:{port}"] and scrape["metrics_path"] == "/metrics"


def test_every_metric_on_the_grafana_dashboard_is_served(world: World) -> None:
    dashboard = json.loads((DEPLOY / "grafana" / "dashboards" / "spotbot.json").read_text())
    plotted = {
        re.sub(r"_bucket$", "", name)
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"spotbot_[a-z_]+", target["expr"])
    }
    on_an_exchange = RequestStats()  # the exchange request metrics exist only on an exchange
    on_an_exchange.record("fetch_balance", "ok", 0.1)
    served = world.client(requests=on_an_exchange).get("/metrics").text
    names = {re.sub(r"_(bucket|count|sum|created)$", "", line.split("{")[0].split(" ")[0])
             for line in served.splitlines() if line.startswith("spotbot_")}  # fmt: skip
    assert plotted and plotted <= names, plotted - names
