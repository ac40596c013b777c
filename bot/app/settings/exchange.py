"""The ``[exchange]`` table: the real venue, its keys, and how the bot treats the account on it."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    PlainSerializer,
    PlainValidator,
    SecretStr,
    TypeAdapter,
    ValidationError,
    field_validator,
)

from bot.app.settings.errors import allowed_error
from bot.app.settings.numeric import Amount, FloatSetting, IntSetting
from bot.app.settings.types import Currency, Duration, ExchangeId, Section
from bot.domain.portfolio import RISKY_KEY_PERMISSIONS

SECRET_FIELDS = ("api_key", "api_secret", "password")


_LEFT_AMOUNT = TypeAdapter(Annotated[Amount, Field(gt=0)])
_LEFT_ALLOWED = "'all', or an amount above 0"


def _all_or_amount(value: Any) -> Decimal | Literal["all"]:
    """One clear error for both shapes (a plain union reports a failure per member, tags and all)."""
    if value == "all":
        return "all"
    try:
        return _LEFT_AMOUNT.validate_python(value)
    except ValidationError as exc:
        message = str(exc.errors(include_url=False)[0]["msg"])
        raise allowed_error(f"{_LEFT_ALLOWED} ({message[:1].lower()}{message[1:]})") from None


LeftAlone = Annotated[
    Decimal | Literal["all"],
    PlainValidator(_all_or_amount),
    PlainSerializer(lambda value: value if value == "all" else str(value), return_type=str, when_used="json"),
]


class ExchangeSettings(Section):
    id: ExchangeId | None = Field(
        "binance", description="ccxt exchange id; required with source = 'exchange'."
    )
    api_key: SecretStr | None = Field(
        None, description="API key: only from SPOTBOT_EXCHANGE__API_KEY or the secrets dir, never the file."
    )
    api_secret: SecretStr | None = Field(
        None, description="API secret: only from SPOTBOT_EXCHANGE__API_SECRET or the secrets dir."
    )
    password: SecretStr | None = Field(
        None,
        description="API passphrase (some exchanges): only from SPOTBOT_EXCHANGE__PASSWORD or secrets dir.",
    )
    sandbox: bool = Field(False, description="Use the exchange's test network, if it has one.")
    url: str | None = Field(
        None,
        pattern=r"^https?://[^\s/]+(:\d+)?/?$",
        description="Base URL replacing the exchange's API host (a test or self-hosted exchange).",
    )
    rate_limit: bool = Field(
        True, description="ccxt's client-side rate limiting (off only for a test or self-hosted exchange)."
    )
    monitor_seconds: FloatSetting = Field(
        10.0, ge=1, le=300, description="Seconds between checks of fills, stops and commands."
    )
    timeout_ms: IntSetting = Field(
        10_000, ge=1_000, le=120_000, description="HTTP timeout per request, milliseconds."
    )
    recv_window_ms: IntSetting = Field(
        5000,
        ge=1000,
        le=60000,
        description="Binance recvWindow sent with every signed request: a request older than this never "
        "executes, so an unanswered order is settled by then (plus 1 s). Binance's default and advice: 5000.",
    )
    key_refused_halt_after: Duration = Field(
        timedelta(minutes=5),
        description="How long the venue may refuse the API key (-2015) before the bot halts; new entries "
        "stop at the first refusal.",
    )
    leave_alone: dict[Currency, LeftAlone] = Field(
        default_factory=dict,
        description="Holdings the bot never trades nor counts, per asset: an amount, or 'all' for a base "
        "asset (anything beyond the bot's own position is yours). E.g. {BTC = '0.5', ETH = 'all'}.",
    )
    allow_key_permissions: tuple[Literal[RISKY_KEY_PERMISSIONS], ...] = Field(  # type: ignore[valid-type]
        (),
        description="Live: the bot refuses an API key that may withdraw or trade margin/futures (or "
        "transfer, trade options or portfolio margin) unless that permission is listed here.",
    )

    @field_validator("key_refused_halt_after")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise allowed_error("a duration above zero, e.g. '5m'")
        return value
