"""The test-control API, with JSON-friendly arguments, shared by the HTTP ``/__control`` routes and
the in-process ``FakeExchange``. One method per control; ``POST /__control/<name>`` calls it with the body.
"""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

from tests.fake_exchange.auth import KeyRing
from tests.fake_exchange.faults import Fault, FaultBook
from tests.fake_exchange.market_data import MarketData, interval_ms
from tests.fake_exchange.matching import Engine


class ExchangeState:
    """Everything one fake exchange holds: the engine, market data, faults and the request log."""

    def __init__(self) -> None:
        self.engine = Engine()
        self.market = MarketData(self.engine)
        self.faults = FaultBook()
        self.keys = KeyRing()
        self.stopping = threading.Event()
        self.released = threading.Condition()
        self.releases = 0  # how many times ``release`` was called: held requests wait for the next one
        self._log: list[dict[str, Any]] = []
        self._log_lock = threading.Lock()

    def record(self, entry: dict[str, Any]) -> dict[str, Any]:
        with self._log_lock:
            entry["seq"] = len(self._log) + 1
            self._log.append(entry)
        return entry

    def log(self) -> list[dict[str, Any]]:
        with self._log_lock:
            return [dict(e) for e in self._log]

    def clear_log(self) -> None:
        with self._log_lock:
            self._log.clear()

    def hold(self) -> None:
        """Wait (a ``hold`` fault) until the test releases held requests, or the server stops."""
        with self.released:
            start = self.releases
            while self.releases == start and not self.stopping.is_set():
                self.released.wait(0.1)

    def release(self) -> None:
        with self.released:
            self.releases += 1
            self.released.notify_all()

    def requests(self, path: str, method: str, after: int = 0) -> dict[str, int]:
        """How many ``method path`` requests arrived, and how many of those after the first ``after`` are
        still being processed (held by a ``latency`` fault: they reach the matching engine late)."""
        with self._log_lock:
            rows = [e for e in self._log if e["path"] == path and e["method"] == method]
            return {"total": len(rows), "in_flight": sum(1 for e in rows[after:] if e["status"] is None)}


class Controls:
    NAMES = frozenset(
        {"price", "candles", "balance", "partial", "fees", "clock", "fail", "chaos", "keys", "forget",
         "release", "reset", "clear_faults", "clear_log"}
    )  # fmt: skip

    def __init__(self, state: ExchangeState) -> None:
        self.state = state

    def call(self, name: str, payload: dict[str, Any]) -> Any:
        """Dispatch ``POST /__control/<name>``."""
        if name not in self.NAMES:
            raise KeyError(f"unknown control {name!r}; allowed: {', '.join(sorted(self.NAMES))}")
        return getattr(self, name)(**payload)

    def price(self, symbol: str, price: Any) -> dict[str, Any]:
        """Move the price of ``symbol``: stops trigger and limits it trades through fill."""
        self.state.engine.set_price(symbol, Decimal(str(price)))
        return {"ok": True}

    def candles(self, symbol: str, interval: str, candles: list[list[Any]]) -> dict[str, Any]:
        """Script klines for ``symbol``/``interval``: rows [openTime, o, h, l, c, v]; the last is forming."""
        interval_ms(interval)
        self.state.engine.set_candles(symbol, interval, candles)
        return {"ok": True, "count": len(candles)}

    def balance(self, asset: str, free: Any) -> dict[str, Any]:
        self.state.engine.set_balance(asset, Decimal(str(free)))
        return {"ok": True}

    def partial(self, ratio: Any = None) -> dict[str, Any]:
        """Fill only ``ratio`` of what is left per fill event (None or 0 turns partial fills off)."""
        self.state.engine.set_partial_fills(None if ratio is None else Decimal(str(ratio)))
        return {"ok": True}

    def fees(self, mode: str) -> dict[str, Any]:
        """Where commissions are taken: "received" (Binance: a buy's from the base) or "quote"."""
        self.state.engine.set_fee_mode(mode)
        return {"ok": True}

    def release(self) -> dict[str, Any]:
        """Let every request held by a ``hold`` fault go on to the matching engine (timing checked again)."""
        self.state.release()
        return {"ok": True}

    def forget(self, client_order_id: str) -> dict[str, Any]:
        """The venue no longer knows the orders under ``client_order_id`` (look-ups answer -2013)."""
        return {"ok": True, "forgotten": self.state.engine.forget(client_order_id)}

    def keys(
        self,
        refuse_seconds: float | None = None,
        refuse: bool = False,
        accept: bool = False,
        permissions: dict[str, Any] | None = None,
        add: dict[str, str] | None = None,
        check_signatures: bool | None = None,
    ) -> dict[str, Any]:
        """API keys: ``refuse`` -2015 every signed call (for ``refuse_seconds``, or until ``accept``),
        set the key's ``permissions`` (apiRestrictions flags), ``add`` {key: secret}."""
        ring = self.state.keys
        if refuse or refuse_seconds is not None:
            ring.refuse(refuse_seconds)
        if accept:
            ring.accept()
        if permissions:
            ring.set_permissions(**permissions)
        for api_key, secret in (add or {}).items():
            ring.add(api_key, secret)
        if check_signatures is not None:
            ring.check_signatures = bool(check_signatures)
        return {"ok": True, "restrictions": ring.restrictions()}

    def clock(self, offset_ms: int) -> dict[str, Any]:
        """Shift the server clock: signed requests outside recvWindow then get -1021 for real."""
        self.state.engine.time_offset_ms = int(offset_ms)
        return {"ok": True}

    def fail(
        self, method: str = "*", path: str = "*", kind: str = "status", times: int = 1, **params: Any
    ) -> Any:
        """Apply fault ``kind`` to the next ``times`` requests matching method and path (glob patterns)."""
        self.state.faults.add(Fault(kind, method, path, int(times), params))
        return {"ok": True, "pending": self.state.faults.pending()}

    def chaos(self, seed: int, rate: float, kinds: list[Any] | None = None, path: str = "/api/*") -> Any:
        self.state.faults.chaos(int(seed), float(rate), kinds, path)
        return {"ok": True}

    def reset(self) -> dict[str, Any]:
        """Back to the initial state: default balances and prices, no orders, trades, faults or log."""
        self.state.engine.reset()
        self.state.faults.reset()
        self.state.keys.reset()
        self.state.clear_log()
        return {"ok": True}

    def clear_faults(self) -> dict[str, Any]:
        """Drop every scripted fault still pending and stop chaos (the state of the venue stays)."""
        self.state.faults.reset()
        return {"ok": True}

    def clear_log(self) -> dict[str, Any]:
        self.state.clear_log()
        return {"ok": True}
