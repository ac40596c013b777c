"""Builds the risk chain in its documented order (see ``risk.chain``); the one place that order lives."""

from __future__ import annotations

from decimal import Decimal

from risk.balance_guard import SpotBalanceGuard
from risk.chain import RiskChain
from risk.exposure_guard import MAX_LEVERAGE, GrossExposureGuard
from risk.sizing import RiskPositionSizer
from risk.stop_guard import MandatoryStopGuard


def default_chain(
    risk_per_trade: Decimal,
    max_stop_distance: Decimal,
    slippage_allowance: Decimal,
    max_leverage: Decimal = MAX_LEVERAGE,
) -> RiskChain:
    """The chain every intent passes. Raises ValueError (naming the parameter) on a bad value.

    ``risk_per_trade``: fraction of equity a stop-out may lose, in (0, 0.02].
    ``max_stop_distance``: how far below the entry the stop may be, as a fraction in (0, 1).
    ``slippage_allowance``: worst-case slippage assumed on entry and stop fills, in [0, 0.1).
    ``max_leverage``: gross exposure / equity cap, in (0, 1]; spot never borrows.
    """
    return RiskChain(
        [
            # 1. TradingStateGuard: REDUCING / HALTED deny entries; exits pass       -- next issue
            # 2. circuit breakers: daily loss, drawdown from peak, consecutive losses,
            #    trades per day; they halt entries, exits pass                       -- next issue
            # 3. PriceBandGuard / fat-finger: limit and stop prices near the last price -- next issue
            MandatoryStopGuard(max_stop_distance),
            RiskPositionSizer(risk_per_trade, slippage_allowance),
            # Exposure caps resize down, so they sit after sizing and before the balance check.
            GrossExposureGuard(max_leverage),
            # per-asset concentration, max open positions                            -- next issue
            SpotBalanceGuard(market_slippage=slippage_allowance),  # last: certifies the final quantity
        ]
    )
