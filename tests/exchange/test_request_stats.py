"""Every request the exchange adapter makes is counted by how it ended (for /metrics): against the fake
Binance, a 503 retried and then answered counts as one RetryLater and one ok."""

from __future__ import annotations

from bot.adapters.exchange import ExchangeCaller, make_client
from bot.adapters.exchange.retry import RetryPolicy
from tests.fake_exchange.fixture import FakeExchange, fake_exchange

__all__ = ["fake_exchange"]  # the fixture, imported for pytest


def test_requests_are_counted_by_operation_and_outcome(fake_exchange: FakeExchange) -> None:
    client = make_client("binance", urls_override=fake_exchange.url)
    caller = ExchangeCaller(client, policy=RetryPolicy(initial=0.01, maximum=0.01, jitter=0.0))
    fake_exchange.fail("GET", "/api/v3/time", "status", times=1, status=503)

    caller.read("fetch_time", None, client.fetch_time)
    caller.read("fetch_time", None, client.fetch_time)

    assert caller.stats.outcomes() == {("fetch_time", "RetryLater"): 1, ("fetch_time", "ok"): 2}
    latency = caller.stats.latencies()["fetch_time"]
    assert sum(latency.counts) == 3 and latency.total_s > 0
