"""Settings: a TOML file, ``SPOTBOT_*`` environment variables and a secrets directory, validated.

Use :func:`load_settings`; see :mod:`bot.app.settings.sources` for the sources and their priority, and
``config/paper.toml`` for every key. Secrets (``exchange.api_key``, ``exchange.api_secret``,
``exchange.password``) come only from the environment or the secrets directory.
"""

from bot.app.settings.errors import ConfigError, ConfigProblem
from bot.app.settings.loader import load_settings
from bot.app.settings.models import (
    BotSettings,
    CsvSettings,
    ExchangeSettings,
    LoggingSettings,
    MarketSettings,
    PaperSettings,
    RuleOverride,
    RulesSettings,
    SimSettings,
)
from bot.app.settings.redact import config_hash, redacted_dict
from bot.app.settings.risk_limits import risk_limits
from bot.app.settings.root import Settings
from bot.app.settings.sources import env_name
from bot.app.settings.strategies import STRATEGY_PARAMS, MaCrossoverParams, StrategyParams, StrategySettings
from bot.app.settings.trading import ExecutionSettings, RiskSettings

__all__ = [
    "STRATEGY_PARAMS",
    "BotSettings",
    "ConfigError",
    "ConfigProblem",
    "CsvSettings",
    "ExchangeSettings",
    "ExecutionSettings",
    "LoggingSettings",
    "MaCrossoverParams",
    "MarketSettings",
    "PaperSettings",
    "RiskSettings",
    "RuleOverride",
    "RulesSettings",
    "Settings",
    "SimSettings",
    "StrategyParams",
    "StrategySettings",
    "config_hash",
    "env_name",
    "load_settings",
    "redacted_dict",
    "risk_limits",
]
