"""The root :class:`Settings` and the checks that span several tables."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from bot.app.settings.errors import MISSING, ConfigProblem, problems_error, show_value
from bot.app.settings.models import (
    ApiSettings,
    BotSettings,
    ExchangeSettings,
    LoggingSettings,
    MarketSettings,
    NotifySettings,
    PaperSettings,
    split_symbols_input,
    url_password,
)
from bot.app.settings.regime import RegimeSettings, regime_problems
from bot.app.settings.sources import ENV_DELIMITER, ENV_PREFIX, build_sources, env_name
from bot.app.settings.strategies import DEFAULT_KIND, AnyStrategy
from bot.app.settings.trading import ExecutionSettings, RiskSettings, RiskTable
from bot.app.settings.types import split_symbol, unique

OFFLINE_SOURCES = ("sim", "csv")


def _market_defaults(market: Any) -> tuple[Any, Any]:
    """The symbols and timeframe a strategy inherits, from the (possibly still raw) market table."""
    fields = MarketSettings.model_fields
    symbols: Any = fields["symbols"].default
    timeframe: Any = fields["timeframe"].default
    if isinstance(market, MarketSettings):
        return market.symbols, market.timeframe
    if isinstance(market, dict):
        symbols = split_symbols_input(market.get("symbols", symbols))
        timeframe = market.get("timeframe", timeframe)
    return symbols, timeframe


class Settings(BaseSettings):
    """Everything the bot is configured with. Built by :func:`bot.app.settings.load_settings`."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=ENV_DELIMITER,
        case_sensitive=False,
        extra="forbid",
        frozen=True,
        validate_default=True,
    )

    bot: BotSettings = Field(default_factory=BotSettings, description="The bot instance.")
    market: MarketSettings = Field(
        default_factory=MarketSettings, description="Market data source and symbols."
    )
    exchange: ExchangeSettings = Field(
        default_factory=ExchangeSettings, description="The real exchange (ccxt)."
    )
    paper: PaperSettings = Field(default_factory=PaperSettings, description="Paper broker.")
    # At least one; checked in _strategy_problems (pydantic's own min_length also fires, confusingly,
    # when every entry is invalid).
    strategies: tuple[AnyStrategy, ...] = Field(
        description="Strategies to run; default: one ma_crossover on all symbols."
    )
    risk: RiskTable = Field(default_factory=RiskSettings, description="Risk limits enforced by the guards.")
    execution: ExecutionSettings = Field(default_factory=ExecutionSettings, description="Order placement.")
    logging: LoggingSettings = Field(default_factory=LoggingSettings, description="Log level, format, file.")
    api: ApiSettings = Field(default_factory=ApiSettings, description="The HTTP API served by the daemon.")
    notify: NotifySettings = Field(default_factory=NotifySettings, description="Alerts (apprise).")
    regime: RegimeSettings | None = Field(
        None, description="Market regime filter gating entries per strategy."
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return build_sources(settings_cls, init_settings, file_secret_settings)

    @model_validator(mode="before")
    @classmethod
    def _inherit_strategy_defaults(cls, data: Any) -> Any:
        """Strategies default to the market's symbols and timeframe, and there is one by default.

        Done on the raw input so that the validated, frozen strategies are complete: the engine never
        has to ask "and if the strategy did not say?".
        """
        if not isinstance(data, dict):
            return data
        symbols, timeframe = _market_defaults(data.get("market"))
        strategies = data.get("strategies", [{"name": DEFAULT_KIND}])
        if isinstance(strategies, dict):  # SPOTBOT_STRATEGIES__0__... : the list cannot be patched by index
            allowed = "a list; from the environment, set SPOTBOT_STRATEGIES to the whole list as JSON"
            raise problems_error([ConfigProblem("strategies", "(a table)", allowed)])
        if isinstance(strategies, list | tuple):
            strategies = [
                {"symbols": symbols, "timeframe": timeframe, **entry} if isinstance(entry, dict) else entry
                for entry in strategies
            ]
        return {**data, "strategies": strategies}

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        problems = self._live_problems() + self._symbol_problems() + self._strategy_problems()
        problems += regime_problems(
            self.regime,
            strategies=[s.name for s in self.strategies],
            market_symbols=self.market.symbols,
            market_timeframe=self.market.timeframe,
            offline=self.market.source in OFFLINE_SOURCES,
        )
        if self.notify.urls and self.logging.level in ("ERROR", "CRITICAL"):
            # the alerts are picked from the log, and trading state changes are logged at WARNING
            allowed = "WARNING or lower while notify.urls is set (alerts come from the log's events)"
            problems.append(ConfigProblem("logging.level", show_value(self.logging.level), allowed))
        if problems:
            raise problems_error(problems)
        return self

    def _live_problems(self) -> list[ConfigProblem]:
        problems: list[ConfigProblem] = []
        quote = self.bot.quote_currency
        if self.exchange.leave_alone.get(quote) == "all":
            allowed = f"an amount: 'all' is for a base asset, and {quote} is what the bot trades with"
            problems.append(ConfigProblem(f"exchange.leave_alone.{quote}", "'all'", allowed))
        source = self.market.source
        if self.bot.mode == "live" and source != "exchange":
            problems.append(
                ConfigProblem(
                    "bot.mode", "'live'", f"live mode needs market.source = 'exchange' (it is '{source}')"
                )
            )
        if self.bot.mode == "live":
            for name in ("api_key", "api_secret"):
                secret = getattr(self.exchange, name)
                variable = env_name(f"exchange.{name}")
                if secret is None or not secret.get_secret_value():
                    problems.append(
                        ConfigProblem(
                            f"exchange.{name}",
                            MISSING,
                            f"required in live mode: set the environment variable {variable} "
                            "(or a file of that name in the secrets directory)",
                        )
                    )
        if source == "exchange" and not self.exchange.id:
            problems.append(
                ConfigProblem("exchange.id", MISSING, "a ccxt exchange id, required with source = 'exchange'")
            )
        return problems

    def _symbol_problems(self) -> list[ConfigProblem]:
        quote = self.bot.quote_currency
        return [
            ConfigProblem(
                "market.symbols", show_value(symbol), f"a symbol quoted in bot.quote_currency ({quote})"
            )
            for symbol in self.market.symbols
            if split_symbol(symbol)[1] != quote
        ]

    def _strategy_problems(self) -> list[ConfigProblem]:
        if not self.strategies:
            return [ConfigProblem("strategies", "[]", "at least one [[strategies]] entry")]
        problems = [
            ConfigProblem("strategies", show_value(name), "strategy names must be unique")
            for name in unique([strategy.name for strategy in self.strategies])
        ]
        market = self.market
        for index, strategy in enumerate(self.strategies):
            where = f"strategies[{index}]"
            for symbol in strategy.symbols:
                if symbol not in market.symbols:
                    allowed = f"one of market.symbols ({', '.join(market.symbols)})"
                    problems.append(ConfigProblem(f"{where}.symbols", show_value(symbol), allowed))
            for symbol in unique(strategy.symbols):
                problems.append(
                    ConfigProblem(f"{where}.symbols", show_value(symbol), "each symbol at most once")
                )
            if market.source in OFFLINE_SOURCES and strategy.timeframe != market.timeframe:
                allowed = f"market.timeframe ({market.timeframe}): offline sources replay one timeframe"
                problems.append(ConfigProblem(f"{where}.timeframe", show_value(strategy.timeframe), allowed))
        return problems

    # ------------------------------------------------------------------ what the bootstrap reads

    @property
    def effective_database_url(self) -> str:
        """The audit DB URL (``bot.database_url`` or sqlite in ``bot.data_dir``); may hold a password."""
        return self.bot.effective_database_url

    @property
    def effective_database_url_redacted(self) -> str:
        """The audit DB URL with its password masked: safe for logs and the console."""
        return self.bot.effective_database_url_redacted

    @property
    def venue(self) -> str:
        """Where orders go, for the audit DB: the exchange id when live; ``"paper-<id>"`` for paper
        trading on a real exchange's data (its balances resume from these fills after a restart);
        ``"paper"`` on an offline market.

        Paper fills must never share a venue with real ones: fills are unique on (venue, trade id).
        """
        exchange = self.exchange.id or "exchange"
        if self.bot.mode == "live":
            return exchange
        return f"paper-{exchange}" if self.market.source == "exchange" else "paper"

    def secret_values(self) -> tuple[str, ...]:
        """Every secret this configuration holds, for ``bot.app.logging_setup.register_secrets``."""
        values = [
            secret.get_secret_value()
            for secret in (
                self.exchange.api_key,
                self.exchange.api_secret,
                self.exchange.password,
                self.api.token,
            )
            if secret is not None
        ]
        values.extend(url.get_secret_value() for url in self.notify.urls)
        values.append(url_password(self.effective_database_url) or "")
        return tuple(value for value in values if value)
