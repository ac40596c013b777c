"""What Binance checks before it runs a signed request, and what an API key may do.

Binance's documented rules (rest-api.md "Timing security", "SIGNED endpoint security"; errors.md):

- a signed request carries ``X-MBX-APIKEY``: a missing or malformed key is -2014 "API-key format invalid.";
  an unknown or revoked key, a key used from an IP outside its whitelist, a key without the permission
  for the action, or a temporarily banned key is -2015 "Invalid API-key, IP, or permissions for action."
  (answered with HTTP 401 in practice);
- ``signature`` is HMAC-SHA256 of the query string concatenated with the body, keyed by the secret:
  a mismatch is -1022 "Signature for this request is not valid.";
- ``timestamp`` more than 1 s ahead of the server's clock, or older than ``recvWindow`` (default 5000,
  at most 60000) is -1021. The age is checked when the request arrives and again just before it reaches
  the matching engine (CHANGELOG 2025-05-22 / 2025-08-12): a request delayed past its window never
  executes. ccxt sends ``recvWindow=10000`` unless told otherwise.

``GET /sapi/v1/account/apiRestrictions`` answers what the key may do (a USER_DATA endpoint).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from tests.fake_exchange.markets import BinanceError

API_KEY = "spotbot-fake-api-key"
API_SECRET = "spotbot-fake-api-secret"
DEFAULT_RECV_WINDOW = 5000
MAX_RECV_WINDOW = 60000
_KEY_FORMAT = re.compile(r"[\x21-\x7e]{1,128}")
_SIGNATURE_PARAM = re.compile(r"&?signature=[0-9a-fA-F]*")

# What a freshly made Binance key may do once "Enable Spot & Margin Trading" is ticked.
DEFAULT_PERMISSIONS: dict[str, Any] = {
    "ipRestrict": False,
    "enableReading": True,
    "enableSpotAndMarginTrading": True,
    "enableWithdrawals": False,
    "enableInternalTransfer": False,
    "enableMargin": False,
    "enableFutures": False,
    "permitsUniversalTransfer": False,
    "enableVanillaOptions": False,
    "enableFixApiTrade": False,
    "enableFixReadOnly": False,
    "enablePortfolioMarginTrading": False,
}


def key_refused() -> BinanceError:
    return BinanceError(-2015, "Invalid API-key, IP, or permissions for action.", status=401)


@dataclass
class KeyRing:
    """The API keys the venue knows (key -> secret), each with its permissions, and refusals in force.

    ``refuse(seconds)`` makes every signed request answer -2015 for a while (a temporary ban, a
    changed IP whitelist; ``seconds=None``: until ``accept()``, like a revoked key).
    """

    secrets: dict[str, str] = field(default_factory=lambda: {API_KEY: API_SECRET})
    permissions: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_PERMISSIONS))
    refused_until: float | None = None  # time.monotonic() deadline; inf: until accept()
    check_signatures: bool = True
    created_ms: int = 1_698_645_219_000
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self._lock:
            self.secrets = {API_KEY: API_SECRET}
            self.permissions = dict(DEFAULT_PERMISSIONS)
            self.refused_until = None
            self.check_signatures = True

    def add(self, api_key: str, secret: str) -> None:
        with self._lock:
            self.secrets[api_key] = secret

    def refuse(self, seconds: float | None) -> None:
        with self._lock:
            self.refused_until = float("inf") if seconds is None else time.monotonic() + seconds

    def accept(self) -> None:
        with self._lock:
            self.refused_until = None

    def set_permissions(self, **flags: Any) -> None:
        unknown = set(flags) - set(DEFAULT_PERMISSIONS)
        if unknown:
            raise ValueError(
                f"unknown key permission(s) {sorted(unknown)}; allowed: {sorted(DEFAULT_PERMISSIONS)}"
            )
        with self._lock:
            self.permissions.update(flags)

    def restrictions(self) -> dict[str, Any]:
        """GET /sapi/v1/account/apiRestrictions."""
        with self._lock:
            return {"createTime": self.created_ms, **self.permissions}

    def check(self, headers: Any, query: str, body: str, params: dict[str, str]) -> None:
        """Key, ban and signature checks of a signed request (the timing checks are :func:`check_timing`)."""
        api_key = headers.get("X-MBX-APIKEY")
        if not api_key or not _KEY_FORMAT.fullmatch(api_key):
            raise BinanceError(-2014, "API-key format invalid.", status=401)
        with self._lock:
            secret = self.secrets.get(api_key)
            refused = self.refused_until is not None and time.monotonic() < self.refused_until
            verify = self.check_signatures
        if secret is None or refused:
            raise key_refused()
        if not params.get("signature"):
            raise BinanceError(
                -1102, "Mandatory parameter 'signature' was not sent, was empty/null, or malformed."
            )
        if verify and not hmac.compare_digest(signature(secret, query, body), params["signature"].lower()):
            raise BinanceError(-1022, "Signature for this request is not valid.")

    def may_trade(self) -> None:
        with self._lock:
            allowed = bool(self.permissions.get("enableSpotAndMarginTrading"))
        if not allowed:
            raise key_refused()


def signature(secret: str, query: str, body: str) -> str:
    """Binance's signature: HMAC-SHA256(secret, query string + body) without the signature itself."""
    payload = _SIGNATURE_PARAM.sub("", query + body).lstrip("&")
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def check_timing(params: dict[str, str], server_now_ms: int) -> None:
    """-1021 unless ``timestamp`` is within ``recvWindow`` of the server's time (and not 1 s ahead of it)."""
    if not params.get("timestamp"):
        raise BinanceError(
            -1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed."
        )
    window = float(params.get("recvWindow") or DEFAULT_RECV_WINDOW)
    if window > MAX_RECV_WINDOW:
        raise BinanceError(-1131, "recvWindow must be less than 60000")
    timestamp = int(params["timestamp"])
    if timestamp - server_now_ms > 1000:
        raise BinanceError(-1021, "Timestamp for this request was 1000ms ahead of the server's time.")
    if server_now_ms - timestamp > window:
        raise BinanceError(-1021, "Timestamp for this request is outside of the recvWindow.")
