"""Accounts, orders and a small matching engine driven by a scripted price path.

- A resting limit order fills when the price trades *through* it (buy when price < limit, sell when
  price > limit), at its limit price, as maker. A marketable limit or a market order fills at once at the
  current price, as taker. With ``partial_ratio`` set, each fill event fills only that fraction of what is
  left (rounded down to the step), so orders go PARTIALLY_FILLED first. Market orders always fill fully.
- STOP_LOSS_LIMIT triggers when the price reaches its stop (sell: price <= stop, buy: price >= stop),
  TAKE_PROFIT_LIMIT the other way; once triggered it is a limit order placed at that moment.
- Fees: 0.1 %, charged as Binance does, in the asset received (``fee_mode = "received"``, the default): a
  BUY's commission is taken from the base bought (buying 0.07692 BTC credits 0.07684308 BTC), a SELL's from
  the quote received. ``fee_mode = "quote"`` charges every fee in the quote asset instead (a buy then locks
  notional + fee), like an account whose fees are paid from another balance (BNB). Commissions have 8
  decimals, rounded half up.
- Trade ids and order ids only increase.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tests.fake_exchange.markets import (
    SYMBOLS,
    BinanceError,
    SymbolSpec,
    fmt,
    insufficient_balance,
    spec_for,
)
from tests.fake_exchange.orders import Order, account_json
from tests.fake_exchange.placement import build_order, is_marketable, stop_reached

FEE_RATE = Decimal("0.001")
FEE_MODES = ("received", "quote")
DEFAULT_PRICES = {"BTCUSDT": Decimal("60000"), "ETHUSDT": Decimal("3000")}
DEFAULT_BALANCES = {"USDT": Decimal("10000"), "BTC": Decimal(0), "ETH": Decimal(0)}
EIGHT_DP = Decimal("0.00000001")


def now_ms() -> int:
    return int(time.time() * 1000)


def fee_of(amount: Decimal) -> Decimal:
    """The commission on ``amount`` (a notional in quote, or a quantity in base), 8 decimals."""
    return (amount * FEE_RATE).quantize(EIGHT_DP, rounding=ROUND_HALF_UP)


def new_client_id(prefix: str = "web_") -> str:
    return prefix + secrets.token_hex(11)


class Engine:
    """The exchange's state. Every public method takes the lock; callers get JSON-ready dicts."""

    def __init__(self, clock: Callable[[], int] = now_ms) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.reset()

    def now(self) -> int:
        """Server time in ms: the clock plus ``time_offset_ms`` (to simulate clock skew, -1021)."""
        return self.clock() + self.time_offset_ms

    def reset(self) -> None:
        with self.lock:
            self.balances: dict[str, list[Decimal]] = {
                a: [v, Decimal(0)] for a, v in DEFAULT_BALANCES.items()
            }
            self.prices: dict[str, Decimal] = dict(DEFAULT_PRICES)
            self.orders: dict[int, Order] = {}
            self.trades: list[dict[str, Any]] = []
            self.candles: dict[tuple[str, str], list[list[Any]]] = {}
            self.partial_ratio: Decimal | None = None
            self.fee_mode = "received"
            self.next_order_id = 1000
            self.next_trade_id = 1
            self.time_offset_ms = 0

    # ---- control -------------------------------------------------------------------------------
    def set_balance(self, asset: str, free: Decimal) -> None:
        with self.lock:
            self.balances.setdefault(asset, [Decimal(0), Decimal(0)])[0] = free

    def set_partial_fills(self, ratio: Decimal | None) -> None:
        with self.lock:
            self.partial_ratio = ratio if ratio and Decimal(0) < ratio < Decimal(1) else None

    def forget(self, client_order_id: str) -> int:
        """The venue loses every order under ``client_order_id`` (what a look-up answers for an archived or
        never-placed order: -2013), giving back what they locked. Returns how many it had."""
        with self.lock:
            gone = [o for o in self.orders.values() if o.client_order_id == client_order_id]
            for order in gone:
                if order.is_open:
                    self._close(order, "CANCELED")
                del self.orders[order.order_id]
            return len(gone)

    def set_fee_mode(self, mode: str) -> None:
        if mode not in FEE_MODES:
            raise ValueError(f"unknown fee mode {mode!r}; allowed: {', '.join(FEE_MODES)}")
        with self.lock:
            self.fee_mode = mode

    def set_candles(self, symbol: str, interval: str, candles: list[list[Any]]) -> None:
        with self.lock:
            spec_for(symbol)
            self.candles[(symbol, interval)] = [list(c) for c in candles]

    def set_price(self, symbol: str, price: Decimal) -> None:
        """Move the price path: update forming candles, trigger stops, fill what the price trades through."""
        with self.lock:
            spec_for(symbol)
            self.prices[symbol] = price
            self._touch_forming_candles(symbol, price)
            for order in sorted(self.orders.values(), key=lambda o: o.order_id):
                if order.symbol == symbol and order.is_open:
                    self._on_price(order, price)

    # ---- trading -------------------------------------------------------------------------------
    def place_order(self, params: dict[str, str]) -> dict[str, Any]:
        with self.lock:
            spec = spec_for(params.get("symbol"))
            cid = params.get("newClientOrderId") or new_client_id()
            if any(o.client_order_id == cid and o.is_open for o in self.orders.values()):
                raise BinanceError(-2010, "Duplicate order sent.")
            order = build_order(spec, params, self.next_order_id, cid, self.now(), self.prices[spec.symbol])
            self._reserve(spec, order)
            self.orders[order.order_id] = order
            self.next_order_id += 1
            if order.working:
                self._match_taker(spec, order, self.prices[spec.symbol])
            if order.time_in_force in ("IOC", "FOK") and order.is_open:
                self._close(order, "EXPIRED")
            return order.placement_response(params.get("newOrderRespType", "FULL"), order.time)

    def get_order(self, params: dict[str, str]) -> dict[str, Any]:
        with self.lock:
            order = self._find(params)
            if order is None:
                raise BinanceError(-2013, "Order does not exist.")
            return order.to_json()

    def cancel_order(self, params: dict[str, str]) -> dict[str, Any]:
        with self.lock:
            order = self._find(params)
            if order is None or not order.is_open:
                raise BinanceError(-2011, "Unknown order sent.")
            self._close(order, "CANCELED")
            return order.cancel_response(params.get("newClientOrderId") or new_client_id())

    def open_orders(self, symbol: str | None) -> list[dict[str, Any]]:
        with self.lock:
            if symbol:
                spec_for(symbol)
            return [o.to_json() for o in self._open(symbol)]

    def cancel_all(self, symbol: str | None) -> list[dict[str, Any]]:
        with self.lock:
            spec_for(symbol)
            orders = self._open(symbol)
            if not orders:
                raise BinanceError(-2011, "Unknown order sent.")
            for order in orders:
                self._close(order, "CANCELED")
            return [o.cancel_response(new_client_id()) for o in orders]

    def my_trades(self, params: dict[str, str]) -> list[dict[str, Any]]:
        with self.lock:
            symbol = spec_for(params.get("symbol")).symbol
            limit = min(int(params.get("limit", 500)), 1000)
            rows = [t for t in self.trades if t["symbol"] == symbol]
            if "orderId" in params:
                rows = [t for t in rows if t["orderId"] == int(params["orderId"])]
            if "startTime" in params:
                rows = [t for t in rows if t["time"] >= int(params["startTime"])]
            if "endTime" in params:
                rows = [t for t in rows if t["time"] <= int(params["endTime"])]
            if "fromId" in params:
                return [t for t in rows if t["id"] >= int(params["fromId"])][:limit]
            return rows[-limit:] if "startTime" not in params else rows[:limit]

    def account(self) -> dict[str, Any]:
        with self.lock:
            return account_json(self.balance_rows(), self.now(), fmt(FEE_RATE))

    def balance_rows(self) -> list[dict[str, str]]:
        with self.lock:
            return [
                {"asset": a, "free": fmt(f), "locked": fmt(lk)}
                for a, (f, lk) in sorted(self.balances.items())
            ]

    def state(self) -> dict[str, Any]:
        with self.lock:
            return {
                "balances": {
                    r["asset"]: {"free": r["free"], "locked": r["locked"]} for r in self.balance_rows()
                },
                "prices": {s: str(p) for s, p in self.prices.items()},
                "orders": [o.to_json() for o in sorted(self.orders.values(), key=lambda o: o.order_id)],
                "trades": list(self.trades),
            }

    # ---- internals -----------------------------------------------------------------------------
    def _reserve(self, spec: SymbolSpec, order: Order) -> None:
        if order.side == "BUY":
            price = order.price if order.type != "MARKET" else self.prices[spec.symbol]
            notional = price * order.orig_qty
            asset, amount = spec.quote, notional + self._quote_fee_of_buy(notional)
        else:
            asset, amount = spec.base, order.orig_qty
        free_locked = self.balances.setdefault(asset, [Decimal(0), Decimal(0)])
        if free_locked[0] < amount:
            raise insufficient_balance()
        free_locked[0] -= amount
        free_locked[1] += amount
        order.reserved = amount

    def _on_price(self, order: Order, price: Decimal) -> None:
        spec = SYMBOLS[order.symbol]
        if not order.working:
            if not stop_reached(order, price):
                return
            order.working, order.working_time = True, self.now()
            self._match_taker(spec, order, price)
        elif (order.side == "BUY" and price < order.price) or (order.side == "SELL" and price > order.price):
            self._fill(spec, order, self._fill_qty(spec, order), order.price, maker=True)

    def _match_taker(self, spec: SymbolSpec, order: Order, price: Decimal) -> None:
        if order.type == "MARKET":
            self._fill(spec, order, order.remaining, price, maker=False)
        elif is_marketable(order, price):
            qty = order.remaining if order.time_in_force == "FOK" else self._fill_qty(spec, order)
            self._fill(spec, order, qty, price, maker=False)

    def _fill_qty(self, spec: SymbolSpec, order: Order) -> Decimal:
        if self.partial_ratio is None:
            return order.remaining
        qty = spec.floor_quantity(order.remaining * self.partial_ratio)
        return qty if Decimal(0) < qty < order.remaining else order.remaining

    def _quote_fee_of_buy(self, notional: Decimal) -> Decimal:
        return fee_of(notional) if self.fee_mode == "quote" else Decimal(0)

    def _fill(self, spec: SymbolSpec, order: Order, qty: Decimal, price: Decimal, maker: bool) -> None:
        notional = price * qty
        quote = self.balances.setdefault(spec.quote, [Decimal(0), Decimal(0)])
        base = self.balances.setdefault(spec.base, [Decimal(0), Decimal(0)])
        if order.side == "BUY":
            reserve_price = order.price if order.type != "MARKET" else price
            release = min(order.reserved, reserve_price * qty + self._quote_fee_of_buy(reserve_price * qty))
            quote[1] -= release
            if self.fee_mode == "quote":
                fee, fee_asset = fee_of(notional), spec.quote
                quote[0] += release - notional - fee
                base[0] += qty
            else:  # Binance: the commission comes out of what the buyer receives
                fee, fee_asset = fee_of(qty), spec.base
                quote[0] += release - notional
                base[0] += qty - fee
        else:
            release = qty
            fee, fee_asset = fee_of(notional), spec.quote
            base[1] -= qty
            quote[0] += notional - fee
        order.reserved -= release
        trade_id = self.next_trade_id
        self.next_trade_id += 1
        self.trades.append(order.record_fill(trade_id, price, qty, fee, fee_asset, maker, self.now()))
        order.status = "FILLED" if order.remaining == 0 else "PARTIALLY_FILLED"
        if order.status == "FILLED":
            self._close(order, "FILLED")

    def _close(self, order: Order, status: str) -> None:
        """End an order: give back whatever it still has locked."""
        spec = SYMBOLS[order.symbol]
        asset = spec.quote if order.side == "BUY" else spec.base
        free_locked = self.balances[asset]
        free_locked[1] -= order.reserved
        free_locked[0] += order.reserved
        order.reserved = Decimal(0)
        order.status = status
        order.update_time = self.now()

    def _open(self, symbol: str | None) -> list[Order]:
        return [
            o
            for o in sorted(self.orders.values(), key=lambda o: o.order_id)
            if o.is_open and (symbol is None or o.symbol == symbol)
        ]

    def _find(self, params: dict[str, str]) -> Order | None:
        symbol = spec_for(params.get("symbol")).symbol
        if params.get("orderId"):
            order = self.orders.get(int(params["orderId"]))
            return order if order is not None and order.symbol == symbol else None
        cid = params.get("origClientOrderId")
        if not cid:
            raise BinanceError(
                -1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!"
            )
        matches = [o for o in self.orders.values() if o.client_order_id == cid and o.symbol == symbol]
        return max(matches, key=lambda o: o.order_id) if matches else None

    def _touch_forming_candles(self, symbol: str, price: Decimal) -> None:
        for (sym, _interval), candles in self.candles.items():
            if sym == symbol and candles:
                last = candles[-1]
                last[2] = max(Decimal(str(last[2])), price)
                last[3] = min(Decimal(str(last[3])), price)
                last[4] = price
