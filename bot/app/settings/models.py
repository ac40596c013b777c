"""The settings tables for where the bot runs ([bot], [market], [paper], [logging]; [exchange] is in
:mod:`bot.app.settings.exchange`).

What it may do - [risk] and [execution] - is in :mod:`bot.app.settings.trading`.
Checks that involve several tables (live mode needs API keys, strategies' symbols) live on the root
model in :mod:`bot.app.settings.root`; checks inside one table live here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BeforeValidator, Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode

from bot.app.settings.errors import MISSING, ConfigProblem, allowed_error, problems_error, show_value
from bot.app.settings.exchange import SECRET_FIELDS, ExchangeSettings
from bot.app.settings.numeric import (
    Amount,
    DecimalSetting,
    FloatSetting,
    Increment,
    IntSetting,
    MinNotional,
    Price,
)
from bot.app.settings.types import (
    AbsolutePath,
    BotName,
    Currency,
    DirectoryPath,
    FilePath,
    Section,
    Symbol,
    Timeframe,
    unique,
    upper_case,
)
from bot.domain import MAX_TIME_MS, TIMEFRAME_SECONDS
from bot.domain.secrets import MASK

_DB_URL = re.compile(r"[a-z][a-z0-9+_]*://.*")
_URL_PASSWORD = re.compile(r"(?P<head>://[^:/@\s]*:)(?P<password>[^@\s/]+)@")


def split_symbols_input(value: Any) -> Any:
    """Accept a JSON list or ``"BTC/USDT,ETH/USDT"`` from an environment variable."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        return json.loads(text)
    return [part.strip() for part in text.split(",") if part.strip()]


def url_password(url: str) -> str | None:
    """The password in ``scheme://user:password@host/...``, if any."""
    match = _URL_PASSWORD.search(url)
    return match["password"] if match else None


def redact_url(url: str) -> str:
    """The URL with its password (if any) masked, for logs, reports and the audit DB."""
    return _URL_PASSWORD.sub(lambda m: f"{m['head']}{MASK}@", url)


class BotSettings(Section):
    name: BotName = Field("spotbot", description="Name of this bot instance (logs, audit runs).")
    mode: Literal["paper", "live"] = Field(
        "paper", description="paper: simulated fills; live: real orders (needs market.source = 'exchange')."
    )
    data_dir: DirectoryPath = Field(
        Path("data"),
        description="Where the audit DB and logs go; relative paths are from the working directory.",
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the audit DB; unset means sqlite at {data_dir}/spotbot.sqlite. "
        "A URL with a password must come from SPOTBOT_BOT__DATABASE_URL, not the file.",
    )
    quote_currency: Currency = Field(
        "USDT", description="Currency equity is measured in; every symbol's quote."
    )
    starting_balances: dict[Currency, Amount] = Field(
        default_factory=lambda: {"USDT": Decimal("10000")},
        description="Paper mode only: the simulated account's opening balances (currency -> amount).",
    )

    @field_validator("database_url")
    @classmethod
    def _looks_like_url(cls, value: str | None) -> str | None:
        if value is None:
            return value
        allowed = "an SQLAlchemy URL for sqlite or postgresql, e.g. 'sqlite:////var/lib/spotbot/audit.sqlite'"
        if not _DB_URL.fullmatch(value):
            raise allowed_error(allowed)
        from sqlalchemy.exc import ArgumentError

        from bot.adapters.audit.engine import normalize_url  # the audit store's own list of backends

        try:
            normalize_url(value)
        except (ValueError, ArgumentError):
            raise allowed_error(allowed) from None
        return value

    @property
    def effective_database_url(self) -> str:
        """The audit DB URL to connect to (may contain a password: never log it, use the redacted one)."""
        return self.database_url or f"sqlite:///{self.data_dir / 'spotbot.sqlite'}"

    @property
    def effective_database_url_redacted(self) -> str:
        return redact_url(self.effective_database_url)


class SimSettings(Section):
    seed: IntSetting = Field(
        7, ge=0, description="Random seed of the synthetic market (same seed, same candles)."
    )
    candles: IntSetting = Field(2000, ge=100, le=5_000_000, description="Candles generated per symbol.")
    start: AwareDatetime = Field(
        datetime(2024, 1, 1, tzinfo=UTC), description="Open time of the first candle (with a time zone)."
    )
    start_prices: dict[Symbol, Price] = Field(
        default_factory=dict, description="Optional first price per symbol (default chosen by the market)."
    )


class CsvSettings(Section):
    files: dict[Symbol, AbsolutePath] = Field(
        default_factory=dict,
        description="symbol -> OHLCV CSV file; required with source = 'csv', one per symbol.",
    )


class RuleOverride(Section):
    tick_size: Increment | None = Field(None, description="Price increment.")
    step_size: Increment | None = Field(None, description="Amount increment.")
    min_notional: MinNotional | None = Field(None, description="Smallest order value in quote currency.")


Fee = Annotated[DecimalSetting, Field(ge=0, lt=Decimal("0.01"))]


class RulesSettings(Section):
    """Exchange rules of the offline market (sim/csv); the exchange source reads the real ones."""

    min_notional: MinNotional = Field(Decimal("10"), description="Smallest order value, in quote currency.")
    maker_fee: Fee = Field(Decimal("0.001"), description="Maker fee as a fraction (0.001 = 0.1 %).")
    taker_fee: Fee = Field(Decimal("0.001"), description="Taker fee as a fraction (0.001 = 0.1 %).")
    overrides: dict[Symbol, RuleOverride] = Field(
        default_factory=dict, description="Per-symbol tick_size / step_size / min_notional."
    )


class MarketSettings(Section):
    source: Literal["sim", "csv", "exchange"] = Field(
        "sim", description="sim: synthetic candles; csv: replay files; exchange: the real exchange via ccxt."
    )
    symbols: Annotated[tuple[Symbol, ...], NoDecode, BeforeValidator(split_symbols_input)] = Field(
        ("BTC/USDT", "ETH/USDT", "SOL/USDT"), min_length=1, description="Markets traded, as BASE/QUOTE."
    )
    timeframe: Timeframe = Field("5m", description="Candle timeframe the bot ticks on.")
    replay_speed: FloatSetting = Field(
        100.0,
        ge=0.001,  # slower, and the wait between candles overflows the timer
        le=100_000,
        description="Offline sources: candles replayed per second of wall time.",
    )
    sim: SimSettings = Field(default_factory=SimSettings, description="Synthetic market (source = 'sim').")
    csv: CsvSettings = Field(default_factory=CsvSettings, description="CSV replay (source = 'csv').")
    rules: RulesSettings = Field(default_factory=RulesSettings, description="Offline market rules and fees.")

    @model_validator(mode="after")
    def _consistent(self) -> MarketSettings:
        problems: list[ConfigProblem] = []
        for dupe in unique(self.symbols):
            problems.append(ConfigProblem("symbols", show_value(dupe), "each symbol at most once"))
        known = set(self.symbols)
        checked: list[tuple[str, Iterable[str]]] = [("rules.overrides", self.rules.overrides)]
        if self.source == "sim":  # only the synthetic market reads start prices (a csv backtest ignores them)
            checked.insert(0, ("sim.start_prices", self.sim.start_prices))
        for table, keys in checked:
            for symbol in keys:
                if symbol not in known:
                    problems.append(
                        ConfigProblem(
                            f"{table}.{symbol}", show_value(symbol), "a symbol listed in market.symbols"
                        )
                    )
        if int(self.sim.start.timestamp()) % TIMEFRAME_SECONDS[self.timeframe]:
            problems.append(
                ConfigProblem("sim.start", show_value(self.sim.start), f"a {self.timeframe} candle boundary")
            )
        if self.source == "sim" and self._sim_end_ms() > MAX_TIME_MS:
            allowed = f"a start after which {self.sim.candles} {self.timeframe} candles end by year 9999"
            problems.append(ConfigProblem("sim.start", show_value(self.sim.start), allowed))
        problems.extend(self._csv_problems())
        if problems:
            raise problems_error(problems)
        return self

    def _sim_end_ms(self) -> int:
        return (
            int(self.sim.start.timestamp() * 1000)
            + self.sim.candles * TIMEFRAME_SECONDS[self.timeframe] * 1000
        )

    def _csv_problems(self) -> list[ConfigProblem]:
        files = self.csv.files
        if self.source != "csv":
            return []
        problems = [
            ConfigProblem(f"csv.files.{symbol}", MISSING, "every symbol needs a CSV file with source = 'csv'")
            for symbol in self.symbols
            if symbol not in files
        ]
        for symbol, path in files.items():
            if symbol not in self.symbols:
                problems.append(
                    ConfigProblem(
                        f"csv.files.{symbol}", show_value(path), "a symbol listed in market.symbols"
                    )
                )
            elif not path.is_file():
                problems.append(
                    ConfigProblem(f"csv.files.{symbol}", show_value(path), "an existing CSV file")
                )
        return problems


class PaperSettings(Section):
    slippage_bps: DecimalSetting = Field(
        Decimal("5"),
        ge=0,
        le=500,
        description="Paper fills: adverse slippage of market orders, basis points.",
    )


class ApiSettings(Section):
    enabled: bool = Field(
        False, description="Serve the HTTP API (status, data, halt/resume) beside the daemon."
    )
    host: str = Field(
        "127.0.0.1", min_length=1, description="Address to listen on; loopback unless you mean it."
    )
    port: IntSetting = Field(
        8080, ge=0, le=65535, description="TCP port; 0 picks a free one (printed at start)."
    )
    token: SecretStr | None = Field(
        None,
        description="Bearer token for the write endpoints (halt, resume): only from SPOTBOT_API__TOKEN or "
        "the secrets dir. Without one they are off.",
    )
    token_name: BotName = Field(
        "api", description="Who the token is, in the audit trail: actor api:<token_name>."
    )
    protect_reads: bool = Field(False, description="Ask for the token on the read endpoints too.")


class NotifySettings(Section):
    urls: tuple[SecretStr, ...] = Field(
        (),
        description="apprise URLs to alert (tgram://, discord://, mailto://, json://...): only from "
        "SPOTBOT_NOTIFY__URLS (a JSON list of URLs) or the secrets dir, as they hold tokens.",
    )
    min_interval_s: IntSetting = Field(
        300,
        ge=0,
        le=86_400,
        description="The same alert at most once per this many seconds (repeats are counted).",
    )


class LoggingSettings(Section):
    level: Annotated[Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], upper_case] = Field(
        "INFO", description="Least severe level written."
    )
    format: Literal["console", "json"] = Field(
        "console", description="console: human-readable; json: one object per line."
    )
    file: FilePath | None = Field(None, description="Also write JSON lines to this file.")


__all__ = [
    "SECRET_FIELDS",
    "ApiSettings",
    "BotSettings",
    "ExchangeSettings",
    "LoggingSettings",
    "MarketSettings",
    "NotifySettings",
    "PaperSettings",
    "redact_url",
    "split_symbols_input",
    "url_password",
]
