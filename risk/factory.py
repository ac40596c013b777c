"""Builds the risk chain in its documented order (see ``risk.chain``); the one place that order lives."""

from __future__ import annotations

from decimal import Decimal

from bot.domain.risk import ReturnsSpec
from risk.balance_guard import SpotBalanceGuard
from risk.breakers import (
    DailyLossBreaker,
    DrawdownBreaker,
    LossStreakBreaker,
    SymbolCooldown,
    TradesPerDayBreaker,
)
from risk.chain import RiskChain
from risk.concentration import ConcentrationGuard, MaxOpenPositionsGuard
from risk.exposure_guard import GrossExposureGuard
from risk.limits import MAX_LEVERAGE, RiskLimits
from risk.portfolio_guards import ClusterGuard, CvarGuard
from risk.regime_guard import RegimeGuard
from risk.sanity import MaxNotionalGuard, PriceBandGuard, StaleDataGuard
from risk.sizing import RiskPositionSizer
from risk.stop_guard import MandatoryStopGuard
from risk.trading_state_guard import TradingStateGuard
from risk.volatility import VolatilityScaler


def build_chain(
    limits: RiskLimits, regime: RegimeGuard | None = None, *, timeframe: str | None = None
) -> RiskChain:
    """The chain every intent passes, from validated limits (order and reasons: ``risk.chain``).

    ``regime``: the market regime gate of ``[regime]``, if configured (without it the chain has no
    ``regime`` guard, and no intent a decision of it). Likewise ``cluster_exposure`` and ``cvar`` are in
    the chain only with ``max_cluster_fraction`` / ``max_cvar`` set; their returns come from
    ``timeframe`` candles (the market's: an engine refuses such a guard built without it).
    """
    cluster, cvar = limits.max_cluster_fraction, limits.max_cvar
    spec = ReturnsSpec(timeframe, limits.risk_lookback) if timeframe is not None else None
    return RiskChain(
        [
            # 1-2. state-level denials first, so a halted or tripped bot does no work
            TradingStateGuard(),
            DailyLossBreaker(limits.daily_loss_limit),
            DrawdownBreaker(limits.max_drawdown),
            LossStreakBreaker(limits.max_consecutive_losses, limits.loss_cooldown),
            TradesPerDayBreaker(limits.max_trades_per_day),
            SymbolCooldown(limits.symbol_cooldown),
            # 3. the market regime: as cheap, and a denial that names the market, not a number
            *([regime] if regime is not None else []),
            # 4. sanity of the data and prices before anything is computed from them
            StaleDataGuard(limits.stale_after_candles),
            PriceBandGuard(limits.price_band),
            # 5-6. a valid stop, then sizing from it
            MandatoryStopGuard(limits.max_stop_distance),
            RiskPositionSizer(limits.risk_per_trade, limits.slippage_allowance),
            # 7. caps that resize down need a quantity
            VolatilityScaler(limits.volatility_target),
            MaxNotionalGuard(limits.max_order_notional),
            GrossExposureGuard(limits.max_leverage),
            ConcentrationGuard(limits.max_asset_fraction),
            *([ClusterGuard(cluster, limits.correlation_threshold, spec)] if cluster is not None else []),
            MaxOpenPositionsGuard(limits.max_open_positions),
            # the costliest cap last, so it judges the size every other cap has left
            *([CvarGuard(cvar, spec)] if cvar is not None else []),
            # 8. last: certifies the final quantity against the balance and the exchange rules
            SpotBalanceGuard(market_slippage=limits.slippage_allowance),
        ]
    )


def default_chain(
    risk_per_trade: Decimal,
    max_stop_distance: Decimal,
    slippage_allowance: Decimal,
    max_leverage: Decimal = MAX_LEVERAGE,
) -> RiskChain:
    """``build_chain`` with these values and every other limit at its ``RiskLimits`` default.

    Raises ValueError (naming the parameter) on a bad value. Kept for existing callers; new code should
    build ``RiskLimits`` and call ``build_chain``.
    """
    return build_chain(
        RiskLimits(
            risk_per_trade=risk_per_trade,
            max_stop_distance=max_stop_distance,
            slippage_allowance=slippage_allowance,
            max_leverage=max_leverage,
        )
    )
