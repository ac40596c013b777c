"""Per-request fault injection: scripted rules for the next N matching requests, and seeded chaos.

A scripted rule matches by method and path (glob patterns) and, with ``where={"type": "STOP_LOSS_LIMIT"}``,
only requests whose parameters have those values (e.g. only the stop's placement, not the entry's).

Kinds (extra keyword arguments in brackets):
- ``status``: answer an HTTP status without processing [status=503, body (dict → JSON, str → text;
  default: Binance's -1003 JSON for 418/429, an HTML page otherwise), retry_after (seconds, header
  Retry-After; default 1 for 418/429)].
- ``code``: a Binance error JSON without processing [code=-1021, msg (Binance's text), status=400, or
  401 for -2015 and -2014 as Binance answers them].
- ``raw``: a non-JSON body without processing [status=200, body="<html>...</html>"].
- ``truncate``: process the request (an order IS created), then answer HTTP 200 with the JSON body cut
  short [keep=N characters, default half]: what a broken proxy or a dropped stream delivers.
- ``latency``: the request reaches the matching engine late [seconds=0.5]: it is checked on arrival,
  waits, has its timestamp checked again against ``recvWindow`` (refused with -1021 if too old, as Binance
  does since 2025-08), then executes, whether or not the client is still waiting for the answer.
- ``hold``: like ``latency``, but the request waits until the test calls ``release`` (an event, not a
  delay): the test decides whether it reaches the matching engine before or after its recvWindow.
- ``drop``: close the connection before processing (the request never reached the engine).
- ``drop_after_accept``: process the request (an order IS created or filled), then close the connection
  without an answer: the client sees a network error, the outcome is unknown.
"""

from __future__ import annotations

import fnmatch
import random
import threading
from dataclasses import dataclass, field
from typing import Any

KINDS = ("status", "code", "raw", "truncate", "latency", "hold", "drop", "drop_after_accept")
IMMEDIATE_KINDS = frozenset({"status", "code", "raw"})
DEFAULT_MESSAGES = {
    -1000: "An unknown error occurred while processing the request.",
    -1001: "Internal error; unable to process your request. Please try again.",
    -1003: "Too many requests; current limit of IP(127.0.0.1) is 6000 requests per minute.",
    -1007: "Timeout waiting for response from backend server. Send status unknown; execution status unknown.",
    -1015: "Too many new orders; current limit is 100 orders per 10 SECOND.",
    -1021: "Timestamp for this request is outside of the recvWindow.",
    -1022: "Signature for this request is not valid.",
    -2014: "API-key format invalid.",
    -2015: "Invalid API-key, IP, or permissions for action.",
}
DEFAULT_STATUS = {-2014: 401, -2015: 401}


@dataclass
class Fault:
    """One fault to apply to a request; ``respond()`` gives (status, headers, body) for immediate kinds."""

    kind: str
    method: str = "*"
    path: str = "*"
    times: int = 1
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; allowed: {', '.join(KINDS)}")

    def matches(self, method: str, path: str, params: dict[str, str] | None = None) -> bool:
        where = self.params.get("where") or {}
        given = params or {}
        return (
            fnmatch.fnmatchcase(method.upper(), self.method.upper())
            and fnmatch.fnmatchcase(path, self.path)
            and all(given.get(key) == str(value) for key, value in where.items())
        )

    @property
    def seconds(self) -> float:
        return float(self.params.get("seconds", 0.5))

    def respond(self) -> tuple[int, dict[str, str], bytes, str]:
        """(HTTP status, headers, body bytes, content type) for ``status``, ``code`` and ``raw``."""
        import json

        headers: dict[str, str] = {}
        if self.kind == "code":
            code = int(self.params.get("code", -1021))
            msg = self.params.get("msg") or DEFAULT_MESSAGES.get(code, "Fault injected by the fake exchange.")
            body = json.dumps({"code": code, "msg": msg}).encode()
            status = int(self.params.get("status", DEFAULT_STATUS.get(code, 400)))
            return status, headers, body, "application/json"
        if self.kind == "raw":
            text = str(self.params.get("body", "<html><body>Bad Gateway</body></html>"))
            return int(self.params.get("status", 200)), headers, text.encode(), "text/html"
        status = int(self.params.get("status", 503))
        retry_after = self.params.get("retry_after", 1 if status in (418, 429) else None)
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        payload = self.params.get("body")
        if payload is None and status in (418, 429):
            payload = {"code": -1003, "msg": DEFAULT_MESSAGES[-1003]}
        if payload is None:
            return status, headers, f"<html><body>{status}</body></html>".encode(), "text/html"
        if isinstance(payload, str):
            return status, headers, payload.encode(), "text/plain"
        return status, headers, json.dumps(payload).encode(), "application/json"

    def truncated(self, text: str) -> bytes:
        """The first ``keep`` characters of an answer (``truncate``): never the whole of it."""
        keep = int(self.params.get("keep", len(text) // 2))
        return text[: max(0, min(keep, len(text) - 1))].encode()


class FaultBook:
    """Scripted faults (first match wins, each used ``times`` times) and an optional seeded chaos mode."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._rules: list[Fault] = []
            self._rng = random.Random(0)
            self._rate = 0.0
            self._chaos_kinds: list[dict[str, Any]] = []
            self._chaos_path = "/api/*"

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._rules.append(fault)

    def chaos(self, seed: int, rate: float, kinds: list[Any] | None = None, path: str = "/api/*") -> None:
        """Give each request matching ``path`` a fault with probability ``rate``; ``rate=0`` turns it off.

        ``kinds`` items are kind names (defaults apply) or dicts ``{"kind": ..., **params}``.
        """
        chosen = [k if isinstance(k, dict) else {"kind": k} for k in (kinds or ["status", "latency"])]
        for entry in chosen:
            Fault(entry["kind"])  # validates the name
        with self._lock:
            self._rng = random.Random(seed)
            self._rate = float(rate)
            self._chaos_kinds = chosen
            self._chaos_path = path

    def take(self, method: str, path: str, params: dict[str, str] | None = None) -> Fault | None:
        """The fault for this request, if any (consuming one use of a scripted rule)."""
        with self._lock:
            for rule in self._rules:
                if rule.matches(method, path, params):
                    rule.times -= 1
                    if rule.times <= 0:
                        self._rules.remove(rule)
                    return rule
            if self._rate <= 0 or not fnmatch.fnmatchcase(path, self._chaos_path):
                return None
            if self._rng.random() >= self._rate:
                return None
            entry = dict(self._rng.choice(self._chaos_kinds))
            return Fault(entry.pop("kind"), method, path, 1, entry)

    def pending(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                {"kind": r.kind, "method": r.method, "path": r.path, "times": r.times} for r in self._rules
            ]
