"""Taking in what the venue did: order changes and fills from a broker poll (or a reconciliation),
applied to the orders and positions, with their consequences for trading: a closed round trip feeds the
breakers (and its price range goes to the trade journal), an order the bot cannot account for stops
entries, the status counters move.

One service, used by the engine (every tick and monitor run) and by the intent pipeline (right after a
send: a market or marketable order may fill on arrival, and the next intent must see it).
"""

from __future__ import annotations

from datetime import datetime

from bot.core.engine_status import ZERO, EngineStatus
from bot.core.excursions import ExcursionRecorder
from bot.core.execution import OrderExecutor, SyncResult
from bot.core.ports import Broker
from bot.core.positions import PositionBook
from bot.core.trading_control import TradingControl
from bot.domain import TradingState, TradingStatus


class VenueSync:
    def __init__(
        self,
        *,
        broker: Broker,
        executor: OrderExecutor,
        book: PositionBook,
        control: TradingControl,
        status: EngineStatus,
        excursions: ExcursionRecorder | None = None,
    ) -> None:
        self._broker = broker
        self._excursions = excursions  # each closed round trip's price range, for the trade journal
        self._executor = executor
        self._book = book
        self._control = control
        self._status = status

    def poll(self, now: datetime) -> None:
        """Poll the broker and take in every change since the last poll."""
        result = self._executor.apply_update(self._broker.poll(now), now)
        self.take_in(result, now)
        status = self._status
        status.fills += len(result.fills)
        status.fees += sum((fill.fee_in_quote for fill in result.fills), ZERO)
        status.trades = self._book.trade_count
        status.open_positions = self._book.open_count
        if result.fills:
            last = result.fills[-1]
            status.last_event = f"{last.side.value} {last.quantity} {last.symbol} @ {last.price}"

    def take_in(self, result: SyncResult, now: datetime) -> None:
        """Closed round trips feed the breakers; an order the bot cannot account for stops entries."""
        for closed in result.closed:
            self._control.account.on_trade_closed(closed.trade, stopped_out=closed.stopped_out)
        if self._excursions is not None and result.closed:
            self._excursions.record(closed.trade for closed in result.closed)
        for anomaly in result.anomalies:  # the venue ran an order the bot cannot account for
            self._control.impose(TradingStatus(TradingState.REDUCING, anomaly, now))
            self._status.trading_state = self._control.state.value
