"""The settings tables for what the bot may do: [risk] (every limit the guards enforce, derived from
:class:`risk.limits.RiskLimits`, where each limit's default, bounds and description are declared) and
[execution] (the order policy)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from bot.app.settings.declared import settings_model
from bot.app.settings.numeric import DecimalSetting, IntSetting
from bot.app.settings.types import Section
from risk.limits import RiskLimits

RiskSettings = settings_model(
    "RiskSettings",
    RiskLimits,
    base=Section,
    module=__name__,
    doc="[risk]: every limit the guards enforce, derived from (and mapped 1:1 to) RiskLimits.",
)
if TYPE_CHECKING:  # a generated model is no type to mypy; typed access is risk_limits(settings)
    RiskTable = Section
else:
    RiskTable = RiskSettings


class ExecutionSettings(Section):
    entry_order: Literal["limit", "market"] = Field("limit", description="Order type for entries.")
    entry_timeout_candles: IntSetting = Field(
        3,
        ge=1,
        le=1_000,
        description="Candles an unfilled entry limit order may rest before it is cancelled.",
    )
    exit_order: Literal["market", "limit"] = Field(
        "market", description="Exits: market = a marketable limit capped at max_slippage; limit = rest first."
    )
    entry_offset: DecimalSetting = Field(
        Decimal(0), ge=0, lt=Decimal("0.1"), description="Entry limits rest this fraction below the price."
    )
    max_reprices: IntSetting = Field(
        2, ge=0, le=20, description="Re-placements of an unfilled entry at the current price."
    )
    on_unfilled: Literal["cancel", "marketable"] = Field(
        "cancel", description="After the last reprice: cancel, or one capped marketable limit."
    )
    max_slippage: DecimalSetting = Field(
        Decimal("0.005"),
        gt=0,  # 0 caps a marketable exit at the last price itself: in a falling market it never fills
        lt=Decimal("0.1"),
        description="Worst price move a marketable order accepts.",
    )
    stop_order: Literal["stop_market", "stop_limit"] = Field(
        "stop_market", description="Protective stop type (stop_limit: limit below the stop)."
    )
    stop_limit_slippage: DecimalSetting = Field(
        Decimal("0.005"),
        ge=0,  # a gapped stop-limit is chased like an exit (capped at max_slippage), so 0 works
        lt=Decimal("0.1"),
        description="stop_limit: its limit below the stop price.",
    )
    trailing_stop: DecimalSetting | None = Field(
        None, gt=0, lt=Decimal("0.5"), description="Trail the stop this far below the last price."
    )
    take_profit_r: DecimalSetting | None = Field(
        None, gt=0, le=100, description="Take profit at entry + R x (entry - stop)."
    )
