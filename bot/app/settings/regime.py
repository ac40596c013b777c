"""[regime]: the market regime filter (the Bitcoin Season Index and BTC's trend) and its gates.

The section is optional; without it no guard looks at the regime. With it, ``basket`` is required and
each ``[regime.gates.<strategy name>]`` table gates that strategy's entries::

    [regime]
    basket = ["ETH/USDT", "SOL/USDT", "XRP/USDT", "ADA/USDT"]
    btc_symbol = "BTC/USDT"
    [regime.gates.alts]
    seasons = ["alt_season", "neutral"]
    btc_trend = "up"

Checks inside the table live here; those against other tables (a gate names a strategy; offline, the
basket and ``btc_symbol`` are market symbols and the timeframe one the market serves; the window spans at
least a candle) are :func:`regime_problems`, called from the root model.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta
from decimal import Decimal
from typing import Literal

from pydantic import Field, field_validator, model_validator

from bot.app.settings.errors import MISSING, ConfigProblem, allowed_error, problems_error, show_value
from bot.app.settings.numeric import DecimalSetting, IntSetting
from bot.app.settings.types import (
    Duration,
    Section,
    StrategyName,
    Symbol,
    Timeframe,
    format_duration,
    split_symbol,
    unique,
)
from bot.domain import RegimeSpec, Season, Trend, timeframe_ms
from bot.domain.regime import BTC
from risk.regime_guard import RegimeGate, RegimeGuard

SeasonName = Literal["alt_season", "btc_season", "neutral"]
ALL_SEASONS: tuple[SeasonName, ...] = ("alt_season", "btc_season", "neutral")


class RegimeGateSettings(Section):
    """``[regime.gates.<strategy name>]``: when that strategy may enter."""

    seasons: tuple[SeasonName, ...] = Field(
        ALL_SEASONS, description="Seasons its entries pass in (default: all three)."
    )
    btc_trend: Literal["up", "down", "any"] = Field(
        "any", description="BTC's trend its entries need: up, down or any (up/down need btc_symbol)."
    )

    @field_validator("seasons")
    @classmethod
    def _once_each(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise allowed_error(f"at least one of {', '.join(ALL_SEASONS)}")
        if unique(value):
            raise allowed_error(f"each season at most once, from {', '.join(ALL_SEASONS)}")
        return value

    def gate(self) -> RegimeGate:
        trend = None if self.btc_trend == "any" else Trend(self.btc_trend)
        return RegimeGate(frozenset(Season(s) for s in self.seasons), trend)


class RegimeSettings(Section):
    basket: tuple[Symbol, ...] = Field(
        (), description="The alts whose share beating BTC is the index (required)."
    )
    btc_symbol: Symbol | None = Field(
        None,
        description="BTC against the alts' quote (e.g. BTC/USDT): needed for alts not quoted in BTC and for "
        "BTC's trend.",
    )
    timeframe: Timeframe | None = Field(
        None, description="Candles the regime is computed from (default: market.timeframe)."
    )
    window: Duration = Field(
        timedelta(days=90), description="How far back an alt's return is measured, e.g. '90d'."
    )
    alt_season: DecimalSetting = Field(
        Decimal("0.75"), gt=0, le=1, description="Alt season at or above this share of alts beating BTC."
    )
    btc_season: DecimalSetting = Field(
        Decimal("0.25"), ge=0, lt=1, description="BTC season at or below this share."
    )
    min_alts: IntSetting | None = Field(
        None,
        ge=1,
        description="Alts with a window of history needed for a known season (default: half the basket).",
    )
    trend_candles: IntSetting = Field(
        50, ge=2, le=1000, description="BTC's trend: its close against its SMA over this many candles."
    )
    gates: dict[StrategyName, RegimeGateSettings] = Field(
        default_factory=dict, description="Per strategy name: the seasons and BTC trend its entries need."
    )

    @field_validator("window")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise allowed_error("a duration above zero, e.g. '90d'")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> RegimeSettings:
        if not self.basket:  # required; checked after the keys' own checks, so a bad value is one problem
            allowed = "required: at least one alt symbol, e.g. ['ETH/BTC']"
            raise problems_error([ConfigProblem("basket", MISSING, allowed)])
        problems = [
            ConfigProblem("basket", show_value(dupe), "each symbol at most once")
            for dupe in unique(self.basket)
        ]
        btc = split_symbol(self.btc_symbol)[0] if self.btc_symbol else BTC
        for symbol in self.basket:
            base, quote = split_symbol(symbol)
            if base == btc:
                problems.append(ConfigProblem("basket", show_value(symbol), f"an alt: not {btc} itself"))
            elif quote != btc and self.btc_symbol is None:
                allowed = (
                    f"an alt quoted in {btc}, or set btc_symbol (e.g. '{btc}/{quote}') to compare returns"
                )
                problems.append(ConfigProblem("basket", show_value(symbol), allowed))
            elif quote != btc and self.btc_symbol is not None and quote != split_symbol(self.btc_symbol)[1]:
                allowed = f"quoted in {btc} or in btc_symbol's quote ({split_symbol(self.btc_symbol)[1]})"
                problems.append(ConfigProblem("basket", show_value(symbol), allowed))
        if self.alt_season <= self.btc_season:
            allowed = f"above btc_season ({self.btc_season})"
            problems.append(ConfigProblem("alt_season", show_value(self.alt_season), allowed))
        if self.min_alts is not None and self.min_alts > len(self.basket):
            allowed = f"at most the basket's size ({len(self.basket)})"
            problems.append(ConfigProblem("min_alts", show_value(self.min_alts), allowed))
        if self.btc_symbol is None:
            problems.extend(
                ConfigProblem(
                    f"gates.{name}.btc_trend", show_value(gate.btc_trend), "any, unless btc_symbol is set"
                )
                for name, gate in self.gates.items()
                if gate.btc_trend != "any"
            )
        if problems:
            raise problems_error(problems)
        return self

    def spec(self, market_timeframe: str) -> RegimeSpec:
        return RegimeSpec(
            basket=self.basket,
            timeframe=self.timeframe or market_timeframe,
            window=self.window,
            btc_symbol=self.btc_symbol,
            alt_season=self.alt_season,
            btc_season=self.btc_season,
            min_alts=self.min_alts,
            trend_candles=self.trend_candles,
        )

    def guard(self, market_timeframe: str) -> RegimeGuard:
        """The risk chain's ``regime`` guard for these settings."""
        return RegimeGuard(self.spec(market_timeframe), {name: g.gate() for name, g in self.gates.items()})


def regime_problems(
    regime: RegimeSettings | None,
    *,
    strategies: Collection[str],
    market_symbols: Collection[str],
    market_timeframe: str,
    offline: bool,
) -> list[ConfigProblem]:
    """What is wrong with ``[regime]`` against the other tables (keys from the root)."""
    if regime is None:
        return []
    problems = [
        ConfigProblem(
            f"regime.gates.{name}", "(a table)", f"a gate of a strategy: one of {', '.join(strategies)}"
        )
        for name in regime.gates
        if name not in strategies
    ]
    timeframe = regime.timeframe or market_timeframe
    if regime.window < timedelta(milliseconds=timeframe_ms(timeframe)):
        allowed = f"at least one {timeframe} candle (the regime's timeframe)"
        problems.append(ConfigProblem("regime.window", repr(format_duration(regime.window)), allowed))
    if not offline:
        return problems
    symbols = ", ".join(market_symbols)
    listed = f"a symbol of market.symbols ({symbols}): offline, the regime reads the market's candles"
    problems.extend(
        ConfigProblem("regime.basket", show_value(symbol), listed)
        for symbol in regime.basket
        if symbol not in market_symbols
    )
    if regime.btc_symbol is not None and regime.btc_symbol not in market_symbols:
        problems.append(ConfigProblem("regime.btc_symbol", show_value(regime.btc_symbol), listed))
    if regime.timeframe is not None and not _built_offline(regime.timeframe, market_timeframe):
        allowed = (
            f"market.timeframe ({market_timeframe}) or a whole multiple of it up to 1d: offline, longer "
            "candles are built from the market's"
        )
        problems.append(ConfigProblem("regime.timeframe", show_value(regime.timeframe), allowed))
    return problems


def _built_offline(timeframe: str, market_timeframe: str) -> bool:
    """Whether an offline market serves ``timeframe``: its own, or one it builds from it (whole multiples
    up to a day, :mod:`bot.adapters.market.resample`)."""
    step, base = timeframe_ms(timeframe), timeframe_ms(market_timeframe)
    return step == base or (step % base == 0 and step <= timeframe_ms("1d"))
