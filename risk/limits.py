"""Every configurable risk limit in one frozen value: what ``[risk]`` in the config becomes.

This class is the one definition of each limit: its name, default, bounds and one-line description
(:func:`bot.domain.params.param`). The settings layer derives its ``[risk]`` table from these fields
(``bot.app.settings.trading``) and builds this; the chain factory reads only this; each guard checks its own
limit against the same declaration (:func:`check_limit`). Values are checked again here (ValueError
naming the field, the value and what is allowed) so the pure core can never run with limits the README
says are impossible, e.g. more than 2 % risk per trade or leverage above 1.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import timedelta
from decimal import Decimal
from typing import TypeVar

from bot.domain.params import check_params, param, param_of

MAX_RISK_PER_TRADE = Decimal("0.02")  # hard ceiling (DESIGN invariant 2), whatever the settings say
MAX_LEVERAGE = Decimal("1.0")  # spot never borrows (DESIGN invariant 4)
ZERO = Decimal(0)
ONE = Decimal(1)
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class RiskLimits:
    # --- sizing and stops
    risk_per_trade: Decimal = param(
        Decimal("0.01"),
        "Fraction of equity lost if a trade hits its stop, fees included.",
        gt=ZERO,
        le=MAX_RISK_PER_TRADE,
        why="2 % of equity per trade is the hard ceiling",
    )
    max_stop_distance: Decimal = param(
        Decimal("0.10"), "Entries whose stop is further than this fraction are denied.", gt=ZERO, lt=ONE
    )
    slippage_allowance: Decimal = param(
        Decimal("0.001"), "Slippage fraction assumed when sizing.", ge=ZERO, lt=Decimal("0.1")
    )
    volatility_target: bool = param(
        False, "Divide an entry's size by recent / usual volatility when that is above 1."
    )
    # --- exposure (spot never borrows)
    max_leverage: Decimal = param(
        Decimal("1.0"),
        "Cap on gross exposure / equity.",
        gt=ZERO,
        le=MAX_LEVERAGE,
        why="spot never borrows; 1.0 is the ceiling",
    )
    max_asset_fraction: Decimal = param(
        Decimal("0.25"), "Cap on one asset's exposure / equity.", gt=ZERO, le=ONE
    )
    max_open_positions: int = param(5, "Most positions open at once.", ge=1, le=1_000)
    # --- sanity ("fat finger")
    max_order_notional: Decimal | None = param(
        None, "Largest order value in quote currency; unset means no cap.", gt=ZERO, money=True
    )
    price_band: Decimal = param(
        Decimal("0.02"), "A limit price within this fraction of the last.", gt=ZERO, le=Decimal("0.5")
    )
    stale_after_candles: int = param(
        2, "Entries blocked when the last candle is older than this many timeframes.", ge=1, le=1_000
    )
    # --- circuit breakers
    daily_loss_limit: Decimal = param(
        Decimal("0.03"), "Loss from the UTC day's start equity that stops entries.", gt=ZERO, lt=ONE
    )
    max_drawdown: Decimal = param(
        Decimal("0.10"), "Fall from peak equity that halts until a human resumes.", gt=ZERO, lt=ONE
    )
    max_consecutive_losses: int = param(
        3, "Losing trades in a row that start the loss cooldown.", ge=1, le=1_000
    )
    loss_cooldown: timedelta = param(
        timedelta(hours=4),
        "No entries this long after max_consecutive_losses, e.g. '4h'.",
        ge=timedelta(0),
    )
    max_trades_per_day: int = param(20, "Entries sent per UTC day.", ge=1, le=100_000)
    symbol_cooldown: timedelta = param(
        timedelta(hours=1),
        "No new entry on a symbol this long after a stop-out, e.g. '1h'.",
        ge=timedelta(0),
    )

    # --- portfolio risk (risk.portfolio_guards): 1-day CVaR and clusters of correlated assets
    max_cvar: Decimal | None = param(
        None,
        "Cap on the portfolio's 1-day 95 % CVaR (historical) with the entry, fraction of equity; unset: off.",
        gt=ZERO,
        le=ONE,
    )
    max_cluster_fraction: Decimal | None = param(
        None,
        "Cap on a cluster of correlated assets' exposure / equity; unset: off.",
        gt=ZERO,
        le=ONE,
    )
    correlation_threshold: Decimal = param(
        Decimal("0.8"),
        "Assets whose one-day returns correlate above this count as one cluster.",
        ge=ZERO,
        lt=ONE,
    )
    risk_lookback: timedelta = param(
        timedelta(days=30),
        "Span of the one-day returns behind CVaR and correlations, e.g. '30d' (at least one candle's).",
        ge=timedelta(0),  # a duration's format bounds it to 365d
    )

    def __post_init__(self) -> None:
        check_params(self)

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


def check_limit(name: str, value: _T) -> _T:
    """``value`` if it is a valid ``name`` limit, else ValueError naming it: how a guard constructed on
    its own (tests, tools) is held to the same bounds as :class:`RiskLimits`."""
    param_of(RiskLimits, name).check(value)
    return value
