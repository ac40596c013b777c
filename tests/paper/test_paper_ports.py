"""The paper broker and the offline market implement the ports (checked by mypy and at run time)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from bot.adapters.market import OfflineMarket, build_offline_market
from bot.adapters.paper import PaperBroker
from bot.core.ports import Broker, MarketData


class FixedClock:
    def now(self) -> datetime:
        return datetime(2024, 1, 1, 0, 5, tzinfo=UTC)


def test_paper_broker_on_the_offline_market_satisfies_the_ports() -> None:
    offline: OfflineMarket = build_offline_market(symbols=["BTC/USDT"], timeframe="5m", candles=20)
    market: MarketData = offline
    broker: Broker = PaperBroker(
        market, FixedClock(), timeframe=offline.timeframe, starting_balances={"USDT": Decimal(100)}
    )
    assert (market.venue, broker.venue) == ("sim", "paper")
    assert broker.balances()["USDT"].free == Decimal(100)
