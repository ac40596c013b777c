"""The published OpenAPI schema, fuzzed by schemathesis: no request the schema allows (or nearly allows)
makes the API answer 5xx. On SQLite only: what is fuzzed is the HTTP layer, not the database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from bot.adapters.audit import SqlAuditStore
from bot.app.api.routes import create_api
from bot.app.api.service import ApiService, Watched
from bot.app.bootstrap import build_app, finish_app
from bot.app.daemon import Heartbeat
from bot.app.settings import load_settings
from bot.domain.clock import SystemClock

TOKEN = "tok-fuzz-93ab1"


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[schemathesis.BaseSchema]:
    folder: Path = tmp_path_factory.mktemp("api-fuzz")
    config = folder / "bot.toml"
    config.write_text(
        f'[bot]\nname = "fuzz"\ndata_dir = "{folder}"\n[market]\nsymbols = ["BTC/USDT"]\ntimeframe = "5m"\n'
        "[market.sim]\ncandles = 600\n"
    )
    app = build_app(load_settings(config, env={}), max_ticks=500)
    app.replay.run_to_end()
    with SqlAuditStore(app.settings.effective_database_url, venue=app.settings.venue) as store:
        beat = Heartbeat(60.0)
        beat.beat()
        service = ApiService(app.settings, store, Watched.of(app, beat), SystemClock())
        api = create_api(service, token=TOKEN, token_name="fuzz", protect_reads=False)
        yield schemathesis.openapi.from_asgi("/openapi.json", api)
    finish_app(app, "completed")


def test_no_request_makes_the_api_fail_with_a_5xx(api_schema: schemathesis.BaseSchema) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 11  # every endpoint is in the schema, and fuzzed below

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def no_5xx(case: schemathesis.Case) -> None:
            response = case.call(headers={"Authorization": f"Bearer {TOKEN}"})
            assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text}"

        no_5xx()
