"""A real spot venue through ccxt: orders by our client order id, fills from the account's trades."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from bot.adapters.exchange import answers
from bot.adapters.exchange.convert import first_decimal, to_decimal
from bot.adapters.exchange.errors import CallKind
from bot.adapters.exchange.orders import (
    client_order_id_of,
    fill_from_trade,
    key_permissions,
    order_from_ccxt,
    same_progress,
)
from bot.adapters.exchange.requests import order_request
from bot.adapters.exchange.retry import ExchangeCaller
from bot.core.ports import BrokerUpdate, Clock
from bot.domain import (
    Balance,
    Fill,
    InvalidOrder,
    KeyPermissions,
    Order,
    OrderNotFound,
    OrderStatus,
    OutcomeUnknown,
    RetryLater,
)
from bot.logs import get_logger

log = get_logger(__name__)

_TRADES_PAGE = 1000
# Binance refuses a signed request whose timestamp is more than 1 s ahead of its clock, so a request it
# accepted can be at most that far "young" by our clock: it is dead ``recvWindow`` + 1 s after we sent it
# (the timestamp is never later than when the call failed), whatever our clock's offset.
_AHEAD_TOLERANCE = timedelta(milliseconds=1000)
_SAFETY = timedelta(milliseconds=250)


class CcxtBroker:
    r"""Implements :class:`bot.core.ports.Broker` on a ccxt client (Binance spot first; any ccxt venue).

    - ``place_order`` sends once (never retried here) and returns the order acknowledged as OPEN; what
      happened to it (an immediate fill included) is reported by :meth:`poll`, like the paper broker.
    - :meth:`poll` follows every order it knows (placed, looked up or seen open) and the account's
      trades per symbol from a cursor (the last trade id seen; Binance ``fromId``). Trades of orders whose
      client id does not start with ``id_prefix`` (placed by hand, or by another bot) are skipped.
    - ``quote`` is the account's quote currency: always present in :meth:`balances`, and the fee currency
      when the venue reports none. ``symbols`` are polled for trades even with no order known (restart).
    - ``leave_alone``: per asset, an amount of the account the bot neither trades nor counts (a user's
      long-term holdings): :meth:`balances` reports the rest, taken out of the free balance first.
    - Every answer is checked before it is read (:mod:`bot.adapters.exchange.answers`).
    - The trade cursor moves on as fills are reported, but a fill stays in every poll's report until the
      caller :meth:`acknowledge`\ s it (stored it): a fill the audit DB could not take is not lost.
    """

    def __init__(
        self,
        client: Any,
        venue: str,
        clock: Clock,
        quote: str,
        *,
        symbols: Sequence[str] = (),
        caller: ExchangeCaller | None = None,
        id_prefix: str | None = "sb",
        trade_cursors: Mapping[str, int] | None = None,
        leave_alone: Mapping[str, Decimal] | None = None,
    ) -> None:
        self.venue = venue
        self._client = client
        self._clock = clock
        self._quote = quote
        self._symbols = set(symbols)
        self._caller = caller or ExchangeCaller(client)
        self._id_prefix = id_prefix
        self._orders: dict[str, Order] = {}  # by client order id: the state last reported to the caller
        self._client_ids: dict[str, str] = {}  # exchange order id -> client order id
        self._cursors: dict[str, int] = dict(trade_cursors or {})  # symbol -> last trade id reported
        self._unacknowledged: dict[str, Fill] = {}  # trade id -> a fill reported but not yet stored
        self._unreported: dict[str, Order] = {}  # order changes read by a poll that could not finish
        self._missing: set[str] = set()
        self._leave_alone = dict(leave_alone or {})

    # --- Broker -------------------------------------------------------------------------------

    def place_order(self, order: Order) -> Order:
        market = self._market(order.symbol)
        request = order_request(self._client, market, order)
        raw = self._caller.write(
            "create_order",
            order.symbol,
            lambda: self._client.create_order(
                order.symbol, request.type, order.side.value, request.amount, request.price, request.params
            ),
            CallKind.PLACE,
            answers.order,
        )
        venue_id = str(raw["id"]) if raw.get("id") is not None else None
        # Reported as OPEN with nothing filled whatever the venue says: poll() reports the rest.
        acked = self._remember(replace(order, status=OrderStatus.OPEN, exchange_order_id=venue_id))
        log.info(
            "exchange_order_placed",
            client_order_id=order.client_order_id,
            symbol=order.symbol,
            exchange_order_id=venue_id,
            venue_status=raw.get("status"),
        )
        return acked

    def cancel_order(self, symbol: str, client_order_id: str) -> Order:
        raw = self._caller.write(
            "cancel_order",
            symbol,
            lambda: self._client.cancel_order(None, symbol, {"clientOrderId": client_order_id}),
            CallKind.CANCEL,
            answers.order,
        )
        return self._remember(self._parse(raw, client_order_id))

    def fetch_order(self, symbol: str, client_order_id: str) -> Order:
        raw = self._caller.read(
            "fetch_order",
            symbol,
            lambda: self._client.fetch_order(None, symbol, {"clientOrderId": client_order_id}),
            answers.order,
        )
        return self._remember(self._parse(raw, client_order_id))

    def open_orders(self, symbol: str | None = None) -> Sequence[Order]:
        symbols = [symbol] if symbol is not None else sorted(self._poll_symbols())
        found: list[Order] = []
        for each in symbols:
            for raw in self._fetch_open(each):
                found.append(self._parse(raw, client_order_id_of(raw) or ""))
        return found

    def balances(self) -> dict[str, Balance]:
        """The account's balances, less what is to be left alone (never below zero)."""
        raw = self._caller.read("fetch_balance", None, self._client.fetch_balance, answers.balance)
        result: dict[str, Balance] = {}
        venue_rows = (raw.get("info") or {}).get("balances")
        if isinstance(venue_rows, list):  # Binance: exact strings
            for row in venue_rows:
                free, locked = to_decimal(row.get("free")) or Decimal(0), to_decimal(row.get("locked"))
                if free or locked:
                    result[row["asset"]] = Balance(row["asset"], free, locked or Decimal(0))
        else:
            for currency, free_value in (raw.get("free") or {}).items():
                free = to_decimal(free_value) or Decimal(0)
                locked = to_decimal((raw.get("used") or {}).get(currency)) or Decimal(0)
                if free or locked:
                    result[currency] = Balance(currency, free, locked)
        for asset, amount in self._leave_alone.items():
            if asset in result:
                held = result[asset]
                free = max(Decimal(0), held.free - amount)
                locked = max(Decimal(0), held.locked - max(Decimal(0), amount - held.free))
                result[asset] = Balance(asset, free, locked)
        result.setdefault(self._quote, Balance(self._quote, Decimal(0)))
        return result

    def outcome_deadline(self) -> datetime:
        """Now + ``recvWindow`` + 1 s: Binance refuses a signed request once its timestamp is older than
        ``recvWindow`` when it reaches the matching engine, and accepts none stamped more than 1 s ahead of
        its clock, so a request we sent before now is either done or dead by then."""
        window = timedelta(milliseconds=int(self._client.options.get("recvWindow") or 60_000))
        return self._clock.now() + window + _AHEAD_TOLERANCE + _SAFETY

    def key_permissions(self) -> KeyPermissions | None:
        """What the venue says the API key may do (Binance ``GET /sapi/v1/account/apiRestrictions``), or
        None where the venue has no such call. The first signed call of a start: it finds a bad key."""
        read = getattr(self._client, "sapi_get_account_apirestrictions", None)
        if read is None:
            return None
        return key_permissions(self._caller.read("api_restrictions", None, read, answers.key_permissions))

    def poll(self, now: datetime) -> BrokerUpdate:
        """Order changes and new fills since the last poll, symbol by symbol.

        If a symbol's reads fail (after retries) the poll raises ``RetryLater`` (nothing is to be decided
        on an account that could not be read); what the other symbols reported is kept and reported by the
        next poll that succeeds, and the failed symbol's cursor stays, so nothing is lost. Fatal errors
        propagate.
        """
        deferred: list[str] = []
        for symbol in sorted(self._poll_symbols()):
            try:
                orders, new_fills, cursor, gone = self._poll_symbol(symbol)
            except (RetryLater, OutcomeUnknown) as exc:
                log.warning("exchange_poll_deferred", symbol=symbol, error=str(exc))
                deferred.append(symbol)
                continue
            for order in orders:
                self._unreported[order.client_order_id] = self._remember(order)
            self._unacknowledged.update((fill.trade_id, fill) for fill in new_fills)
            self._missing.update(gone)
            if cursor is not None:
                self._cursors[symbol] = cursor
        if deferred:
            raise RetryLater(f"poll: the account could not be read for {', '.join(deferred)}")
        orders_changed, self._unreported = tuple(self._unreported.values()), {}
        missing, self._missing = tuple(sorted(self._missing)), set()
        reported = tuple(self._unacknowledged.values())  # again, those the caller has not stored yet
        return BrokerUpdate(orders=orders_changed, fills=reported, missing=missing)

    def acknowledge(self, fills: Sequence[Fill]) -> None:
        for fill in fills:
            self._unacknowledged.pop(fill.trade_id, None)

    # --- extras for reconciliation ------------------------------------------------------------

    def track(self, order: Order) -> None:
        """Follow an order known from the audit DB (after a restart) in :meth:`poll`."""
        self._remember(order)

    @property
    def trade_cursors(self) -> dict[str, int]:
        return dict(self._cursors)

    # --- polling ------------------------------------------------------------------------------

    def _poll_symbol(self, symbol: str) -> tuple[list[Order], list[Fill], int | None, list[str]]:
        changed: list[Order] = []
        missing: list[str] = []
        seen: set[str] = set()
        for raw in self._fetch_open(symbol):
            cid = client_order_id_of(raw) or ""
            if not self._is_ours(cid):
                continue
            seen.add(cid)
            order = self._parse(raw, cid)
            previous = self._orders.get(cid)
            if previous is None or not same_progress(previous, order):
                changed.append(order)
        for cid, known in list(self._orders.items()):
            if known.symbol != symbol or cid in seen or known.status.is_terminal:
                continue
            try:
                order = self.fetch_order(symbol, cid)
            except OrderNotFound:
                missing.append(cid)  # the engine decides what a missing order means (a stop is re-placed)
                continue
            if not same_progress(known, order):
                changed.append(order)
                self._orders[cid] = known  # reported by poll() with the rest, once the symbol succeeds
        new_fills, cursor = self._new_fills(symbol)
        return changed, new_fills, cursor, missing

    def _new_fills(self, symbol: str) -> tuple[list[Fill], int | None]:
        cursor = self._cursors.get(symbol)
        fills: list[Fill] = []
        while True:
            params = {"fromId": cursor + 1} if cursor is not None else {}
            trades = self._fetch_trades(symbol, params)
            fresh = [t for t in trades if cursor is None or _trade_number(t) > cursor]
            for trade in sorted(fresh, key=_trade_number):
                cid = self._client_id_of_trade(symbol, trade)
                if cid is not None and self._is_ours(cid):
                    fills.append(
                        fill_from_trade(
                            trade, venue=self.venue, client_order_id=cid, default_fee_currency=self._quote
                        )
                    )
                cursor = max(_trade_number(trade), cursor if cursor is not None else -1)
            if len(trades) < _TRADES_PAGE or not fresh:
                return fills, cursor

    def _client_id_of_trade(self, symbol: str, trade: Any) -> str | None:
        venue_id = str(trade.get("order"))
        if venue_id not in self._client_ids:
            raw = self._caller.read(
                "fetch_order", symbol, lambda: self._client.fetch_order(venue_id, symbol), answers.order
            )
            cid = client_order_id_of(raw)
            if cid is None:
                return None
            self._client_ids[venue_id] = cid
        return self._client_ids[venue_id]

    def _fetch_trades(self, symbol: str, params: dict[str, Any]) -> list[Any]:
        def fetch() -> Any:
            return self._client.fetch_my_trades(symbol, None, _TRADES_PAGE, params)

        return list(self._caller.read("fetch_my_trades", symbol, fetch, answers.trades))

    def _fetch_open(self, symbol: str) -> list[Any]:
        def fetch() -> Any:
            return self._client.fetch_open_orders(symbol)

        return list(self._caller.read("fetch_open_orders", symbol, fetch, answers.orders))

    # --- helpers ------------------------------------------------------------------------------

    def _poll_symbols(self) -> set[str]:
        return self._symbols | {o.symbol for o in self._orders.values() if not o.status.is_terminal}

    def _is_ours(self, client_order_id: str) -> bool:
        return self._id_prefix is None or client_order_id.startswith(self._id_prefix)

    def _parse(self, raw: Any, client_order_id: str) -> Order:
        known = self._orders.get(client_order_id)
        return order_from_ccxt(raw, known=known, client_order_id=client_order_id, now=self._clock.now())

    def _remember(self, order: Order) -> Order:
        self._orders[order.client_order_id] = order
        if order.exchange_order_id is not None:
            self._client_ids[order.exchange_order_id] = order.client_order_id
        return order

    def _market(self, symbol: str) -> Any:
        markets = self._caller.read("load_markets", None, self._client.load_markets, answers.markets)
        market = markets.get(symbol)
        if market is None:
            raise InvalidOrder(f"{self.venue} has no market {symbol!r}")
        return market


def _trade_number(trade: Any) -> int:
    value = first_decimal(trade.get("id"))
    return int(value) if value is not None else -1
