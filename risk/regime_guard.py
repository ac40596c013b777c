"""Regime gate: an entry of a gated strategy passes only in the seasons (and BTC trend) its gate allows.

``[regime.gates.<strategy>]`` gives a strategy a :class:`RegimeGate` (e.g. alts only in alt season); the
regime itself (``ctx.regime``, see :mod:`bot.domain.regime`) is computed by the engine from candles for
entries. Every decision carries the regime in its detail, so the audit DB says what the market was.

- an exit always passes (``exit_always_passes``): a regime never traps a position;
- a strategy without a gate passes (detail ``no regime gate; <the regime>``);
- a gated entry is denied with ``regime_unknown`` when what its gate looks at is unknown: the season
  (too few alts with a window of history) for a gate narrower than every season, the trend (no
  ``btc_symbol``, too few candles) for a gate on ``up`` or ``down``; or no regime was computed;
- a gated entry is denied with ``regime_not_allowed`` when the season or the trend is not one its gate
  allows (detail: the season, the index, the counts, the trend and what the gate allows);
- otherwise it passes with the regime and the gate in its detail.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.domain import OrderIntent, Regime, RegimeSpec, RiskContext, Season, Trend, Verdict
from bot.domain.regime import KNOWN_SEASONS
from risk._common import is_exit
from risk.base import GuardOutcome


@dataclass(frozen=True, slots=True)
class RegimeGate:
    """What one strategy's entries need: one of ``seasons``, and BTC's trend ``btc_trend`` (None: any)."""

    seasons: frozenset[Season] = field(default=KNOWN_SEASONS)
    btc_trend: Trend | None = None

    def __post_init__(self) -> None:
        if not self.seasons or not self.seasons <= KNOWN_SEASONS:
            raise ValueError(f"seasons: one or more of {', '.join(sorted(KNOWN_SEASONS))}")

    @property
    def needs_season(self) -> bool:
        return self.seasons != KNOWN_SEASONS

    def describe(self) -> str:
        """``seasons alt_season, neutral and BTC trend any``."""
        seasons = ", ".join(s.value for s in Season if s in self.seasons)
        return f"seasons {seasons} and BTC trend {self.btc_trend.value if self.btc_trend else 'any'}"

    def unknown(self, regime: Regime) -> bool:
        """Whether what this gate looks at is unknown in ``regime``."""
        season_unknown = self.needs_season and regime.season is Season.UNKNOWN
        return season_unknown or (self.btc_trend is not None and regime.btc_trend is None)

    def allows(self, regime: Regime) -> bool:
        trend_ok = self.btc_trend is None or regime.btc_trend is self.btc_trend
        return (not self.needs_season or regime.season in self.seasons) and trend_ok


class RegimeGuard:
    name = "regime"

    def __init__(self, spec: RegimeSpec, gates: Mapping[str, RegimeGate]) -> None:
        self.spec = spec  # how the regime it judges by is computed (the engine reads it from here)
        self.gates = dict(gates)  # strategy name -> its gate

    def check(self, intent: OrderIntent, ctx: RiskContext) -> GuardOutcome:
        if is_exit(intent):
            return GuardOutcome(Verdict.APPROVED, "exit_always_passes")
        regime = ctx.regime
        seen = regime.describe() if regime is not None else "no regime computed"
        gate = self.gates.get(intent.strategy)
        if gate is None:
            return GuardOutcome.approve(f"no regime gate; {seen}")
        allows = f"the {intent.strategy} gate allows {gate.describe()}"
        if regime is None or gate.unknown(regime):
            return GuardOutcome.deny("regime_unknown", f"{seen}; {allows}")
        if not gate.allows(regime):
            return GuardOutcome.deny("regime_not_allowed", f"{seen}; {allows}")
        return GuardOutcome.approve(f"{seen}; {allows}")
