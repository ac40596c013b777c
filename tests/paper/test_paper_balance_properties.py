"""Property: whatever orders are sent, balances never go negative and every unit is accounted for."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.adapters.market import OfflineMarket, SyntheticSymbol, generate_synthetic
from bot.adapters.paper import PaperBroker
from bot.domain import Fill, Liquidity, MarketRules, Order, OrderPurpose, OrderRejected, OrderType, Side
from bot.domain.clock import ms_to_datetime

T0 = 1_704_067_200_000
MINUTE = 60_000
CANDLES = 120
START = {"USDT": Decimal(1000), "BTC": Decimal(2)}
RULES = MarketRules(
    symbol="BTC/USDT",
    base="BTC",
    quote="USDT",
    tick_size=Decimal("0.01"),
    step_size=Decimal("0.001"),
    min_notional=Decimal(10),
    maker_fee=Decimal("0.001"),
    taker_fee=Decimal("0.002"),
    min_quantity=Decimal("0.001"),
)

sides = st.sampled_from([Side.BUY, Side.SELL])
quantities = st.integers(min_value=50, max_value=3_000).map(lambda steps: Decimal(steps) * RULES.step_size)
offsets = st.floats(min_value=-0.03, max_value=0.03)
actions = st.one_of(
    st.tuples(st.just("limit"), sides, quantities, offsets),
    st.tuples(st.just("market"), sides, quantities),
    st.tuples(st.just("stop"), quantities, st.floats(min_value=0.001, max_value=0.05)),
    st.tuples(st.just("stop_limit"), quantities, st.floats(0.001, 0.05), st.floats(0.0, 0.02)),
    st.tuples(st.just("cancel"), st.integers(min_value=0, max_value=50)),
    st.tuples(st.just("advance"), st.integers(min_value=1, max_value=8)),
)


class Clock:
    def __init__(self) -> None:
        self.ms = T0 + MINUTE

    def now(self) -> datetime:
        return ms_to_datetime(self.ms)


def _market(seed: int) -> OfflineMarket:
    spec = SyntheticSymbol("BTC/USDT", 100.0, daily_volatility=0.6)
    series = generate_synthetic(spec, timeframe="1m", candles=CANDLES, start_ms=T0, seed=seed).series
    return OfflineMarket({"BTC/USDT": series}, {"BTC/USDT": RULES}, "1m")


def _price(reference: float, offset: float) -> Decimal:
    return RULES.round_price_down(Decimal(repr(reference * (1 + offset))))


def _order(
    n: int,
    side: Side,
    kind: OrderType,
    qty: Decimal,
    clock: Clock,
    price: Decimal | None = None,
    stop_price: Decimal | None = None,
) -> Order:
    stops = (OrderType.STOP_MARKET, OrderType.STOP_LIMIT)
    purpose = OrderPurpose.STOP if kind in stops else OrderPurpose.ENTRY
    return Order(f"c{n}", f"i{n}", "BTC/USDT", side, kind, purpose, qty, clock.now(), price, stop_price)


def _check_locks(broker: PaperBroker) -> None:
    balances = broker.balances()
    for balance in balances.values():
        assert balance.free >= 0, balance
        assert balance.locked >= 0, balance
    open_orders = broker.open_orders()
    quote_locked = sum(
        (o.price * o.quantity * (1 + RULES.maker_fee) for o in open_orders if o.side is Side.BUY and o.price),
        Decimal(0),
    )
    base_locked = sum((o.quantity for o in open_orders if o.side is Side.SELL), Decimal(0))
    assert balances["USDT"].locked == quote_locked
    assert balances["BTC"].locked == base_locked


def _check_conservation(broker: PaperBroker, fills: list[Fill], last_price: Decimal) -> None:
    signed = {Side.BUY: 1, Side.SELL: -1}
    base = START["BTC"] + sum((signed[f.side] * f.quantity for f in fills), Decimal(0))
    quote = START["USDT"] - sum((signed[f.side] * f.notional + f.fee for f in fills), Decimal(0))
    balances = broker.balances()
    assert balances["BTC"].total == base
    assert balances["USDT"].total == quote
    fees = sum((f.fee for f in fills), Decimal(0))
    trading_pnl = sum((signed[f.side] * (last_price - f.price) * f.quantity for f in fills), Decimal(0))
    value = balances["USDT"].total + balances["BTC"].total * last_price
    assert value == START["USDT"] + START["BTC"] * last_price + trading_pnl - fees
    for fill in fills:
        rate = RULES.maker_fee if fill.liquidity is Liquidity.MAKER else RULES.taker_fee
        assert fill.fee == fill.notional * rate
    assert len({f.trade_id for f in fills}) == len(fills)
    assert len({f.client_order_id for f in fills}) == len(fills)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(min_value=0, max_value=10_000), script=st.lists(actions, max_size=40))
def test_random_order_flows_never_overdraw_and_conserve_value(
    seed: int, script: list[tuple[Any, ...]]
) -> None:
    market = _market(seed)
    clock = Clock()
    broker = PaperBroker(market, clock, timeframe="1m", starting_balances=START, slippage_bps=Decimal(7))
    fills: list[Fill] = []
    placed: list[str] = []
    for n, action in enumerate(script):
        reference = market.current_price("BTC/USDT", clock.ms) or 100.0
        try:
            if action[0] == "limit":
                _, side, qty, offset = action
                order = _order(n, side, OrderType.LIMIT, qty, clock, price=_price(reference, offset))
            elif action[0] == "market":
                order = _order(n, action[1], OrderType.MARKET, action[2], clock)
            elif action[0] == "stop":
                stop = _price(reference, -action[2])
                order = _order(n, Side.SELL, OrderType.STOP_MARKET, action[1], clock, stop_price=stop)
            elif action[0] == "stop_limit":
                stop = _price(reference, -action[2])
                limit = _price(reference, -action[2] - action[3])
                order = _order(
                    n, Side.SELL, OrderType.STOP_LIMIT, action[1], clock, price=limit, stop_price=stop
                )
            elif action[0] == "cancel":
                if placed:
                    broker.cancel_order("BTC/USDT", placed[action[1] % len(placed)])
                continue
            else:
                clock.ms += action[1] * MINUTE
                fills.extend(broker.poll(clock.now()).fills)
                _check_locks(broker)
                continue
            broker.place_order(order)
            placed.append(order.client_order_id)
        except OrderRejected:
            pass
        _check_locks(broker)
    clock.ms = T0 + (CANDLES + 5) * MINUTE
    fills.extend(broker.poll(clock.now()).fills)
    _check_locks(broker)
    last_close = Decimal(repr(float(market.series("BTC/USDT").close[-1])))
    _check_conservation(broker, fills, last_close)
