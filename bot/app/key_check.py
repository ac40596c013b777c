"""Key hygiene at a live start: the venue must accept the API key, and the key must not be able to do
what a trading bot's key never needs (DESIGN: secrets; issue "live on a real venue's terms", item 12).

Binance answers what a key may do (``GET /sapi/v1/account/apiRestrictions``). A key that may withdraw,
transfer, or trade margin, futures, options or portfolio margin is refused unless each such permission is
named in ``exchange.allow_key_permissions``; a key without spot trading is refused; a key not limited
to an IP whitelist is allowed with a warning. This is the first signed call of a start, so it is also
where a wrong key or secret shows: one line and exit 3, never a traceback.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

from bot.domain import AccessRefused, FatalBrokerError, KeyPermissions, RetryLater
from bot.domain.failures import CredentialsRefused, ExitError
from bot.logs import get_logger

log = get_logger(__name__)


class ReadsKeyPermissions(Protocol):
    venue: str

    def key_permissions(self) -> KeyPermissions | None: ...


def check_api_key(broker: ReadsKeyPermissions, allowed: Collection[str]) -> KeyPermissions | None:
    """Read the key's permissions and refuse to trade with a key the venue refuses or that may do too much."""
    try:
        permissions = broker.key_permissions()
    except FatalBrokerError as exc:
        raise CredentialsRefused(f"{broker.venue} refused the API credentials: {exc}", halt=True) from None
    except AccessRefused as exc:
        why = "-2015: a wrong or revoked key, an IP outside its whitelist, or a temporary ban"
        raise CredentialsRefused(f"{broker.venue} refused the API key ({why}): {exc}") from None
    except RetryLater as exc:
        raise ExitError(
            f"could not read the API key's permissions from {broker.venue} at start: {exc}"
        ) from None
    if permissions is None:
        log.warning("api_key_permissions_unknown", venue=broker.venue,
                    advice="make sure the key can trade spot only and cannot withdraw")  # fmt: skip
        return None
    if not permissions.spot_trading:
        raise CredentialsRefused(
            f"the API key may not trade spot on {broker.venue}: enable spot trading for it"
        )
    refused = sorted(permissions.risky - set(allowed))
    if refused:
        names = ", ".join(refused)
        raise CredentialsRefused(
            f"the API key may also use {names}: refusing to trade with it. Give the key spot trading only, "
            f"or accept the risk with exchange.allow_key_permissions = {refused!r}"
        )
    log.info("api_key_checked", venue=broker.venue, ip_restricted=permissions.ip_restricted,
             allowed=sorted(permissions.risky))  # fmt: skip
    if not permissions.ip_restricted:
        log.warning("api_key_not_ip_restricted", venue=broker.venue,
                    advice="restrict the key to this server's IP address at the exchange")  # fmt: skip
    return permissions
