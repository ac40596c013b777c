"""The HTTP API over a real daemon run's journal (FastAPI's test client): what a user or a dashboard reads,
and the two commands, guarded by the token."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bot.adapters.audit import SqlAuditStore
from bot.adapters.exchange.request_stats import RequestStats
from bot.app.api.routes import create_api
from bot.app.api.service import ApiService, Watched
from bot.app.bootstrap import App, build_app, finish_app
from bot.app.daemon import Heartbeat
from bot.app.settings import load_settings
from bot.domain import TradingState
from bot.domain.clock import SystemClock

TOKEN = "tok-canary-5d1e9b"  # never in an answer
EXCHANGE_KEY = "key-canary-a77f02"


@dataclass
class World:
    app: App
    url: str
    store: SqlAuditStore

    def client(
        self,
        *,
        token: str | None = TOKEN,
        protect_reads: bool = False,
        heartbeat: Heartbeat | None = None,
        requests: RequestStats | None = None,
    ) -> TestClient:
        beat = heartbeat or Heartbeat(60.0)
        beat.beat()
        watched = replace(Watched.of(self.app, beat), exchange_requests=requests)
        service = ApiService(self.app.settings, self.store, watched, SystemClock())
        return TestClient(create_api(service, token=token, token_name="ops", protect_reads=protect_reads))


@pytest.fixture
def world(tmp_path: Path, db_url: str) -> Iterator[World]:
    config = tmp_path / "bot.toml"
    config.write_text(
        f'[bot]\nname = "apibot"\ndata_dir = "{tmp_path}"\ndatabase_url = "{db_url}"\n'
        '[market]\nsymbols = ["BTC/USDT", "ETH/USDT"]\ntimeframe = "5m"\n'
        "[market.sim]\ncandles = 1500\nseed = 3\n"
    )
    settings = load_settings(config, env={"SPOTBOT_EXCHANGE__API_KEY": EXCHANGE_KEY})
    app = build_app(settings, max_ticks=1200)
    app.replay.run_to_end()
    assert app.replay.error is None
    with SqlAuditStore(db_url, venue=settings.venue) as store:
        yield World(app, db_url, store)
    finish_app(app, "completed")


def get(client: TestClient, path: str, **params: Any) -> Any:
    answer = client.get(path, params=params)
    assert answer.status_code == 200, answer.text
    assert TOKEN not in answer.text and EXCHANGE_KEY not in answer.text
    return answer.json()


def test_health_ready_and_status_answer_from_the_run(world: World) -> None:
    client = world.client()
    assert get(client, "/health") == {"status": "ok"}
    ready = get(client, "/ready")
    assert ready["ready"] is True and ready["checks"]["database"]["ok"] is True

    status = get(client, "/api/v1/status")
    fills = world.store.fills(world.app.run_id)
    assert status["run_id"] == world.app.run_id and status["bot"] == "apibot"
    assert status["ticks"] == world.app.engine.status.ticks > 0
    assert status["equity"] == f"{world.app.engine.status.equity.normalize():f}"
    assert len(fills) > 0
    stops = {o["symbol"]: o["stop_price"] for o in status["working_orders"] if o["purpose"] == "stop"}
    assert all(p["stop_price"] == stops[p["symbol"]] for p in status["open_positions"])  # each with its stop
    assert status["cash"] == f"{world.app.engine.status.cash.normalize():f}"


def test_ready_is_503_naming_a_stale_tick(world: World) -> None:
    answer = world.client(heartbeat=Heartbeat(-1.0)).get("/ready")  # the last tick is "too old" at once

    assert answer.status_code == 503
    assert answer.json()["failing"] == ["tick"]


def test_records_are_paged_and_filtered(world: World) -> None:
    client = world.client()
    fills = world.store.fills(world.app.run_id)

    first = get(client, "/api/v1/fills", limit=3)
    second = get(client, "/api/v1/fills", limit=3, offset=3)
    btc = get(client, "/api/v1/fills", symbol="BTC/USDT", limit=500)
    later = get(client, "/api/v1/fills", since=fills[len(fills) // 2].occurred_at.isoformat(), limit=500)

    assert first["total"] == len(fills) and len(first["items"]) == 3
    assert [f["trade_id"] for f in first["items"] + second["items"]] == [f.trade_id for f in fills[:6]]
    assert btc["total"] == sum(f.symbol == "BTC/USDT" for f in fills) and {
        f["symbol"] for f in btc["items"]
    } == {"BTC/USDT"}
    assert later["total"] == sum(f.occurred_at >= fills[len(fills) // 2].occurred_at for f in fills)
    decisions = get(client, "/api/v1/decisions", symbol="ETH/USDT", limit=5)
    assert decisions["items"] and {d["symbol"] for d in decisions["items"]} == {"ETH/USDT"}
    assert get(client, "/api/v1/trades")["total"] >= 1
    assert get(client, "/api/v1/orders")["total"] >= len({f.client_order_id for f in fills})
    assert get(client, "/api/v1/equity", limit=2)["items"][0]["equity"]
    assert client.get("/api/v1/fills", params={"limit": 501}).status_code == 422


def test_config_masks_every_secret(world: World) -> None:
    config = get(world.client(), "/api/v1/config")
    assert config["exchange"]["api_key"] == "**********"
    assert config["bot"]["name"] == "apibot"


def test_halt_and_resume_need_the_token_and_leave_the_same_audit_rows_as_the_cli(world: World) -> None:
    client = world.client()
    assert client.post("/api/v1/halt", json={}).status_code == 401
    assert client.post("/api/v1/halt", json={}, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert world.client(token=None).post("/api/v1/halt", json={}).status_code == 403

    auth = {"Authorization": f"Bearer {TOKEN}"}
    halted = client.post("/api/v1/halt", json={"flatten": True, "reason": "checking"}, headers=auth)
    assert halted.status_code == 200 and TOKEN not in halted.text
    event = world.store.latest_trading_state("apibot")
    assert event is not None
    assert (event.state, event.reason, event.actor, event.flatten) == (
        TradingState.HALTED,
        "checking",
        "api:ops",
        True,
    )
    assert event.run_id == world.app.run_id  # on the latest run, as spotbot halt records it
    assert get(client, "/api/v1/status")["trading_state"]["state"] == "halted"

    assert client.post("/api/v1/resume", json={}, headers=auth).status_code == 200
    event = world.store.latest_trading_state("apibot")
    assert event is not None and (event.state, event.reason) == (TradingState.ACTIVE, "resumed")


def test_reads_can_be_protected_by_the_token_too(world: World) -> None:
    client = world.client(protect_reads=True)
    assert client.get("/api/v1/status").status_code == 401
    assert client.get("/api/v1/status", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert client.get("/health").status_code == 200  # probes stay open


def test_the_openapi_schema_is_published_and_cors_is_off(world: World) -> None:
    client = world.client()
    schema = get(client, "/openapi.json")
    assert {"/health", "/ready", "/api/v1/status", "/api/v1/halt", "/api/v1/resume"} <= set(schema["paths"])
    answer = client.get("/api/v1/status", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in {k.lower() for k in answer.headers}


def test_metrics_parse_with_prometheus_text_parser_and_match_the_run(world: World) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    answer = world.client().get("/metrics")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(answer.text)
        for s in family.samples
    }
    status = world.app.engine.status
    assert samples[("spotbot_equity", (("quote", "USDT"),))] == pytest.approx(float(status.equity))
    assert samples[("spotbot_ticks_total", ())] == status.ticks
    assert samples[("spotbot_cash", (("quote", "USDT"),))] == pytest.approx(float(status.cash))
    assert samples[("spotbot_exposure_ratio", ())] == pytest.approx(
        float(status.positions_value / status.equity)
    )
    assert samples[("spotbot_fills_total", ())] == len(world.store.fills(world.app.run_id))
    assert samples[("spotbot_trading_state", (("state", "active"),))] == 1
    fees = sum(f.fee_in_quote for f in world.store.fills(world.app.run_id))
    assert samples[("spotbot_fees_total", (("quote", "USDT"),))] == pytest.approx(float(fees))
    by_status = world.store.order_status_counts(world.app.run_id)
    assert {k[1][0][1]: v for k, v in samples.items() if k[0] == "spotbot_orders"} == by_status
    _, by_reason = world.store.intent_outcome_counts(world.app.run_id)
    decisions = {f"{dict(k[1])['guard']}:{dict(k[1])['reason']}": v
                 for k, v in samples.items() if k[0] == "spotbot_risk_decisions_total"}  # fmt: skip
    assert decisions == by_reason
    assert ("spotbot_tick_duration_seconds_count", ()) in samples


def test_metrics_count_the_exchange_requests_by_outcome_with_their_latency(world: World) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    stats = RequestStats()
    stats.record("create_order", "ok", 0.07)
    stats.record("create_order", "OutcomeUnknown", 12.0)
    stats.record("fetch_balance", "ok", 0.2)
    text = world.client(requests=stats).get("/metrics").text
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }

    assert (
        samples[("spotbot_exchange_requests_total", (("operation", "create_order"), ("outcome", "ok")))] == 1
    )
    key = ("spotbot_exchange_requests_total", (("operation", "create_order"), ("outcome", "OutcomeUnknown")))
    assert samples[key] == 1
    assert samples[("spotbot_exchange_request_seconds_count", (("operation", "create_order"),))] == 2
    assert (
        samples[("spotbot_exchange_request_seconds_bucket", (("le", "0.1"), ("operation", "create_order")))]
        == 1
    )


class Boom:
    """A strategy with a bug: it raises at its first candle."""

    name, timeframe, warmup = "boom", "5m", 1

    def on_candles(self, view: object) -> list[object]:
        raise ZeroDivisionError("a user's bug")


def test_status_names_a_strategy_disabled_by_its_own_error_with_file_and_line(
    tmp_path: Path, db_url: str
) -> None:
    from rich.console import Console

    from bot.app.status import print_status, status_from_service

    config = tmp_path / "bot.toml"
    config.write_text(
        f'[bot]\nname = "boombot"\ndata_dir = "{tmp_path}"\ndatabase_url = "{db_url}"\n'
        '[market]\nsymbols = ["BTC/USDT"]\ntimeframe = "5m"\n[market.sim]\ncandles = 100\n'
    )
    app = build_app(load_settings(config, env={}), max_ticks=50, strategies=[Boom()])  # type: ignore[list-item]
    app.replay.run_to_end()
    assert app.replay.error is None, "the daemon went on"
    with SqlAuditStore(db_url, venue=app.settings.venue) as store:
        world = World(app, db_url, store)
        status = get(world.client(), "/api/v1/status")
    finish_app(app, "completed")
    why = status["disabled_strategies"]["boom"]
    assert "test_api.py, line" in why and "ZeroDivisionError: a user's bug" in why
    console = Console(record=True, width=300)
    print_status(console, status_from_service(status), "USDT")
    shown = console.export_text()
    assert "strategy disabled" in shown and "boom: " in shown
