"""Build the pure :class:`risk.limits.RiskLimits` from the validated ``[risk]`` table."""

from __future__ import annotations

from bot.app.settings.root import Settings
from risk.limits import RiskLimits


def risk_limits(settings: Settings) -> RiskLimits:
    """The risk chain's limits: every ``[risk]`` key, by the same name, into the frozen value.

    The settings already validated each key (a ConfigError names it) against the table derived from
    ``RiskLimits``' own declarations; ``RiskLimits`` checks again, against the same declarations.
    """
    table = settings.risk
    return RiskLimits(**{name: getattr(table, name) for name in RiskLimits.field_names()})
