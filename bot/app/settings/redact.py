"""Secret-free views of the settings: for the audit DB's runs table, ``spotbot config check`` and reports."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from bot.app.settings.models import SECRET_FIELDS, redact_url
from bot.app.settings.root import Settings
from bot.domain.secrets import MASK


def redacted_dict(settings: Settings) -> dict[str, Any]:
    """The effective settings as JSON-safe data, every secret replaced by ``"**********"``.

    Decimals, paths and datetimes become strings (pydantic's JSON mode); the audit DB URL loses its
    password; and any string that happens to contain a secret value is masked too.
    """
    data = settings.model_dump(mode="json")
    if data["bot"]["database_url"] is not None:
        data["bot"]["database_url"] = redact_url(data["bot"]["database_url"])
    masked: dict[str, Any] = _mask_values(data, settings.secret_values())
    return masked


def config_hash(settings: Settings) -> str:
    """sha256 (hex) of the canonical redacted JSON, without the credentials.

    Two runs with the same hash traded with the same configuration; changing or rotating an API key
    (or running paper without keys), or the HTTP API's table, does not change it.
    """
    data = redacted_dict(settings)
    for name in SECRET_FIELDS:
        data["exchange"].pop(name, None)
    data.pop("api", None)  # how the daemon is watched, not how it trades
    data.pop("notify", None)
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def _mask_values(value: Any, secrets: tuple[str, ...]) -> Any:
    if not secrets:
        return value
    if isinstance(value, str):
        for secret in sorted(secrets, key=len, reverse=True):
            value = value.replace(secret, MASK)
        return value
    if isinstance(value, dict):
        return {key: _mask_values(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [_mask_values(item, secrets) for item in value]
    return value
