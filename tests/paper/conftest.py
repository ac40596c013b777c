"""A tiny world for paper broker tests: hand-made 1m candles, a fake clock, one BTC/USDT market.

Candle ``i`` opens at ``T0 + i`` minutes. "Minute ``m``" is the close of candle ``m - 1`` and the
open of candle ``m``: the moment a strategy has just seen candle ``m - 1`` and acts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import numpy as np
import pytest

from bot.adapters.market import CandleSeries, OfflineMarket
from bot.adapters.paper import PaperBroker
from bot.core.ports import BrokerUpdate
from bot.domain import Balance, MarketRules, Order, OrderPurpose, OrderType, Side
from bot.domain.clock import ms_to_datetime

T0 = 1_704_067_200_000
MINUTE = 60_000
SYMBOL = "BTC/USDT"
RULES = MarketRules(
    symbol=SYMBOL,
    base="BTC",
    quote="USDT",
    tick_size=Decimal("0.01"),
    step_size=Decimal("0.001"),
    min_notional=Decimal(10),
    maker_fee=Decimal("0.001"),
    taker_fee=Decimal("0.002"),
    min_quantity=Decimal("0.001"),
)
Ohlc = tuple[float, float, float, float]


class FakeClock:
    def __init__(self, ms: int) -> None:
        self.ms = ms

    def now(self) -> datetime:
        return ms_to_datetime(self.ms)


def market_of(candles: Sequence[Ohlc], open_times: Sequence[int] | None = None) -> OfflineMarket:
    prices = np.array(candles, dtype=np.float64).reshape(-1, 4)
    times = open_times if open_times is not None else [T0 + i * MINUTE for i in range(len(prices))]
    series = CandleSeries(
        SYMBOL,
        "1m",
        np.array(times, dtype=np.int64),
        np.ascontiguousarray(prices[:, 0]),
        np.ascontiguousarray(prices[:, 1]),
        np.ascontiguousarray(prices[:, 2]),
        np.ascontiguousarray(prices[:, 3]),
        np.ones(len(prices)),
    )
    return OfflineMarket({SYMBOL: series}, {SYMBOL: RULES}, "1m")


@dataclass
class PaperWorld:
    broker: PaperBroker
    clock: FakeClock
    market: OfflineMarket
    _ids: int = 0

    @staticmethod
    def time(minute: float) -> datetime:
        """The moment ``minute`` minutes after the first candle's open."""
        return ms_to_datetime(T0 + int(minute * MINUTE))

    def at(self, minute: float) -> None:
        self.clock.ms = T0 + int(minute * MINUTE)

    def poll(self, minute: float) -> BrokerUpdate:
        self.at(minute)
        return self.broker.poll(self.clock.now())

    def order(
        self,
        side: Side,
        order_type: OrderType,
        quantity: str,
        price: str | None = None,
        stop: str | None = None,
        client_order_id: str | None = None,
        symbol: str = SYMBOL,
    ) -> Order:
        self._ids += 1
        return Order(
            client_order_id=client_order_id or f"cid-{self._ids}",
            intent_id=f"intent-{self._ids}",
            symbol=symbol,
            side=side,
            order_type=order_type,
            purpose=OrderPurpose.STOP if stop else OrderPurpose.ENTRY,
            quantity=Decimal(quantity),
            created_at=self.clock.now(),
            price=Decimal(price) if price is not None else None,
            stop_price=Decimal(stop) if stop is not None else None,
        )

    def place(self, *args: object, **kwargs: object) -> Order:
        return self.broker.place_order(self.order(*args, **kwargs))  # type: ignore[arg-type]

    def balance(self, currency: str) -> Balance:
        return self.broker.balances().get(currency, Balance(currency, Decimal(0)))


MakeWorld = Callable[..., PaperWorld]


@pytest.fixture
def make_world() -> MakeWorld:
    def make(
        candles: Sequence[Ohlc],
        *,
        balances: Mapping[str, str] | None = None,
        slippage_bps: str = "0",
        open_times: Sequence[int] | None = None,
        **broker_options: str,
    ) -> PaperWorld:
        market = market_of(candles, open_times)
        clock = FakeClock(T0 + MINUTE)
        starting = {k: Decimal(v) for k, v in (balances or {"USDT": "10000", "BTC": "0"}).items()}
        broker = PaperBroker(
            market,
            clock,
            timeframe="1m",
            starting_balances=starting,
            slippage_bps=Decimal(slippage_bps),
            **broker_options,
        )
        return PaperWorld(broker, clock, market)

    return make
