"""Settings: a TOML file, ``SPOTBOT_*`` environment variables and a secrets directory, validated.

Use :func:`load_settings`; see :mod:`bot.settings.sources` for the sources and their priority, and
``config/paper.toml`` for every key. Secrets (``exchange.api_key``, ``exchange.api_secret``,
``exchange.password``) come only from the environment or the secrets directory.
"""

from bot.settings.errors import ConfigError, ConfigProblem
from bot.settings.loader import load_settings
from bot.settings.models import (
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
from bot.settings.redact import config_hash, redacted_dict
from bot.settings.risk_limits import risk_limits
from bot.settings.root import Settings
from bot.settings.sources import env_name
from bot.settings.strategies import STRATEGY_PARAMS, MaCrossoverParams, StrategyParams, StrategySettings
from bot.settings.trading import ExecutionSettings, RiskSettings

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
