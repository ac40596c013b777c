"""A real SqlAuditStore and the real CcxtBroker against the fake exchange, for reconciliation tests.

``restart()`` builds what a restarted bot would have: a fresh ccxt client and broker (its trade cursors
seeded from the audit DB) and a Reconciler; its ``gateway`` persists, then sends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from bot.adapters.audit import SqlAuditStore, upgrade
from bot.adapters.exchange import CcxtBroker, CcxtMarketData, ExchangeCaller, RetryPolicy, make_client
from bot.core.order_gateway import OrderGateway
from bot.core.ports import RunInfo
from bot.core.reconcile import Reconciler, stored_trade_cursors
from tests.fake_exchange.fixture import API_KEY, API_SECRET, FakeExchange, fake_exchange
from tests.reconcile.helpers import NOW, SYMBOL, VENUE, Bot, FixedClock

__all__ = ["fake_exchange"]

FAST_RETRIES = RetryPolicy(attempts=3, initial=0.01, maximum=0.05, jitter=0.01)


@pytest.fixture
def store(db_url: str) -> Iterator[SqlAuditStore]:
    upgrade(db_url)
    with SqlAuditStore(db_url, venue=VENUE) as audit_store:
        yield audit_store


@pytest.fixture
def run_id(store: SqlAuditStore) -> int:
    info = RunInfo(
        started_at=NOW, mode="live", venue=VENUE, version="test", config_hash="h", config={"venue": VENUE}
    )
    return store.start_run(info)


@pytest.fixture
def restart(fake_exchange: FakeExchange, store: SqlAuditStore, run_id: int) -> Callable[[], Bot]:
    def start() -> Bot:
        clock = FixedClock()
        client = make_client("binance", api_key=API_KEY, secret=API_SECRET, urls_override=fake_exchange.url)
        caller = ExchangeCaller(client, policy=FAST_RETRIES)
        broker = CcxtBroker(
            client,
            VENUE,
            clock,
            "USDT",
            symbols=(SYMBOL,),
            caller=caller,
            trade_cursors=stored_trade_cursors(store.fills(), VENUE),
        )
        market = CcxtMarketData(client, (SYMBOL,), "1m", clock, caller=caller)
        reconciler = Reconciler(
            broker, store, venue=VENUE, quote="USDT", bot_symbols=(SYMBOL,), clock=clock, rules=market.rules
        )
        return Bot(broker, reconciler, OrderGateway(broker, store, run_id))

    return start
