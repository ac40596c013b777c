"""The settings tables for what the bot may do: [risk] (every limit the guards enforce, mapped 1:1 to
:class:`risk.limits.RiskLimits`) and [execution] (the order policy)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field

from bot.app.settings.numeric import Amount, DecimalSetting, IntSetting
from bot.app.settings.types import Duration, Section, ceiling


class RiskSettings(Section):
    risk_per_trade: Annotated[
        DecimalSetting, ceiling(Decimal("0.02"), "2 % of equity per trade is the hard ceiling")
    ] = Field(
        Decimal("0.01"), gt=0, description="Fraction of equity lost if a trade hits its stop, fees included."
    )
    max_stop_distance: DecimalSetting = Field(
        Decimal("0.10"),
        gt=0,
        lt=1,
        description="Entries whose stop is further than this fraction are denied.",
    )
    slippage_allowance: DecimalSetting = Field(
        Decimal("0.001"), ge=0, lt=Decimal("0.1"), description="Slippage fraction assumed when sizing."
    )
    volatility_target: bool = Field(
        False, description="Divide an entry's size by recent / usual volatility when that is above 1."
    )
    max_leverage: Annotated[
        DecimalSetting, ceiling(Decimal("1.0"), "spot never borrows; 1.0 is the ceiling")
    ] = Field(Decimal("1.0"), gt=0, description="Cap on gross exposure / equity.")
    max_asset_fraction: DecimalSetting = Field(
        Decimal("0.25"), gt=0, le=1, description="Cap on one asset's exposure / equity."
    )
    max_open_positions: IntSetting = Field(5, ge=1, le=1_000, description="Most positions open at once.")
    max_order_notional: Amount | None = Field(
        None, gt=0, description="Largest order value in quote currency; unset means no cap."
    )
    price_band: DecimalSetting = Field(
        Decimal("0.02"),
        gt=0,
        le=Decimal("0.5"),
        description="A limit price within this fraction of the last.",
    )
    stale_after_candles: IntSetting = Field(
        2,
        ge=1,
        le=1_000,
        description="Entries blocked when the last candle is older than this many timeframes.",
    )
    daily_loss_limit: DecimalSetting = Field(
        Decimal("0.03"), gt=0, lt=1, description="Loss from the UTC day's start equity that stops entries."
    )
    max_drawdown: DecimalSetting = Field(
        Decimal("0.10"), gt=0, lt=1, description="Fall from peak equity that halts until a human resumes."
    )
    max_consecutive_losses: IntSetting = Field(
        3, ge=1, le=1_000, description="Losing trades in a row that start the loss cooldown."
    )
    loss_cooldown: Duration = Field(
        timedelta(hours=4), description="No entries this long after max_consecutive_losses, e.g. '4h'."
    )
    max_trades_per_day: IntSetting = Field(20, ge=1, le=100_000, description="Entries sent per UTC day.")
    symbol_cooldown: Duration = Field(
        timedelta(hours=1), description="No new entry on a symbol this long after a stop-out, e.g. '1h'."
    )


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
