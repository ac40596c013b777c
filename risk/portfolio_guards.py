"""The portfolio-risk caps: 1-day CVaR (``[risk] max_cvar``) and clusters of correlated assets
(``max_cluster_fraction``, ``correlation_threshold``), both over ``risk_lookback``.

Both judge by ``ctx.returns`` (:class:`bot.domain.risk.ReturnHistory`: the one-day returns of the held
symbols and the entry's, aligned, ending at the decision's close), which the engine computes for
entries only while one of them is on. **Exits always pass.** What is held is each occupied symbol's
exposure as the other caps count it (:func:`risk._common.exposure`: the position at the last price plus
resting entry buys at their limit); the entry adds its quantity at its price. A symbol counts once it
has half the lookback's one-day returns (``ReturnHistory.needed``).

``CvarGuard`` [cvar]: the portfolio's 1-day **historical 95 %** CVaR with the entry at its size, a
fraction of equity (:mod:`risk.var`), must stay within ``max_cvar``. Historical, because crypto's tails
are fatter than the normal's; 95 %, because the 99 % tail of a month of one-day windows is one or two
bad days. Above the cap the entry is resized to the largest size within it (``fit_to_cvar_limit``) or
denied (``cvar_limit``: already above without the entry, or what fits is below the exchange minimums).
The search: the historical CVaR is the mean of the worst ``k`` outcomes, each linear in the entry's size
``q``, so CVaR(q) is convex (a maximum of linear functions) and the sizes within the cap are an
interval; it holds 0 (checked first), so it is ``[0, b]`` and bisection finds ``b``. CVaR(q) is not
monotone in general (a coin moving against the portfolio lowers it at first): the interval is what the
search relies on. A held or entered symbol with too little history, or candles that could not be read,
deny the entry (``cvar_no_history``): a risk that cannot be measured is not taken.

``ClusterGuard`` [cluster_exposure]: the entry's cluster (:mod:`risk.clusters`: single linkage over the
held symbols and the entry's, linked above ``correlation_threshold``) at market plus the entry must stay
within ``max_cluster_fraction`` x equity: resized down (``fit_to_cluster_limit``) or denied
(``cluster_limit``); the detail names the members and their correlations. A symbol with too little
history is its own cluster (``max_asset_fraction`` still caps it alone).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, localcontext

import numpy as np

from bot.domain import OrderIntent, RiskContext, Verdict
from bot.domain.regime import window_text
from bot.domain.risk import ReturnHistory, ReturnsSpec
from risk._common import PRECISION, exposure, fit_to_budget, fmt, intended_price, is_exit
from risk.base import GuardOutcome
from risk.clusters import cluster_of
from risk.concentration import occupied_symbols
from risk.limits import check_limit
from risk.var import FloatArray, RiskFigures, VarCvar, portfolio_returns, portfolio_var_cvar

CVAR_LEVEL = 0.95  # the guard's level (historical): see the module docstring
LEVEL_TEXT = f"{CVAR_LEVEL * 100:g} %"
_EXIT = GuardOutcome(Verdict.APPROVED, "exit_always_passes")


def holdings(ctx: RiskContext) -> dict[str, Decimal]:
    """Each occupied symbol's exposure (quote currency), as the concentration cap counts it."""
    return {symbol: exposure(ctx, symbol) for symbol in sorted(occupied_symbols(ctx))}


def missing_history(history: ReturnHistory | None, symbols: set[str]) -> str:
    """Why some of ``symbols`` cannot be measured (``""`` when all can)."""
    if history is None:
        return "no returns computed"
    if history.note:
        return history.note
    lacking = sorted(symbols - set(history.returns))
    return "; ".join(
        f"{s} has {history.short[s]} of the {history.needed} one-day returns needed"
        if s in history.short
        else f"{s} not read"
        for s in lacking
    )


def current_figures(ctx: RiskContext) -> RiskFigures | None:
    """The 1-day VaR/CVaR of what is held now (no entry), or None when it cannot be measured."""
    history, held = ctx.returns, holdings(ctx)
    if history is None or missing_history(history, set(held)) or not history.returns or ctx.equity <= 0:
        return None
    if not held:  # flat: nothing at risk, over as many outcomes as the history holds
        series: FloatArray = np.zeros(len(next(iter(history.returns.values()))))
    else:
        series = portfolio_returns(history.returns, {s: float(v) for s, v in held.items()}, float(ctx.equity))
    return RiskFigures.of(series) if series.size >= 2 else None


def _pct(value: float | Decimal) -> str:
    return f"{float(value) * 100:.3f} %"


class CvarGuard:
    name = "cvar"

    def __init__(self, max_cvar: Decimal, spec: ReturnsSpec | None) -> None:
        self.max_cvar = check_limit("max_cvar", max_cvar)
        self.spec = spec  # how the returns it judges by are computed (the engine reads it from here)

    def check(self, intent: OrderIntent, ctx: RiskContext) -> GuardOutcome:
        if is_exit(intent):
            return _EXIT
        if intent.quantity is None:
            return GuardOutcome.deny("unsized", "an entry reached the CVaR cap without a quantity")
        history, held = ctx.returns, holdings(ctx)
        missing = missing_history(history, {*held, intent.symbol})
        if missing or history is None:
            return GuardOutcome.deny("cvar_no_history", missing or "no returns computed")
        if ctx.equity <= 0:
            return GuardOutcome.deny("cvar_limit", f"equity {fmt(ctx.equity)} is not above zero")
        series = {s: np.asarray(r, dtype=np.float64) for s, r in history.returns.items()}
        cap, price = float(self.max_cvar), intended_price(intent)
        base = {s: float(v) for s, v in held.items()}

        def at(quantity: float) -> VarCvar:
            values = {**base, intent.symbol: base.get(intent.symbol, 0.0) + quantity * float(price)}
            return portfolio_var_cvar(series, values, float(ctx.equity), CVAR_LEVEL)

        wanted, without = at(float(intent.quantity)), at(0.0)
        samples = len(next(iter(series.values())))
        about = (
            f"1-day CVaR {LEVEL_TEXT} (historical, {samples} one-day returns over "
            f"{window_text(history.lookback)}) with this entry {_pct(wanted.cvar)} of equity, "
            f"{_pct(without.cvar)} without it; VaR {LEVEL_TEXT} {_pct(wanted.var)}; "
            f"max_cvar {_pct(self.max_cvar)}"
        )
        if wanted.cvar <= cap:
            return GuardOutcome.approve(about)
        if without.cvar > cap:
            return GuardOutcome.deny("cvar_limit", f"{about}: already above the cap without the entry")
        fitting = self._largest_within(intent.quantity, price, cap, at, ctx)
        if fitting is None:
            return GuardOutcome.deny("cvar_limit", f"{about}: what fits is below the exchange minimums")
        after = f"{about}; resized to {fmt(fitting)}: {_pct(at(float(fitting)).cvar)}"
        return GuardOutcome.resize(fitting, "fit_to_cvar_limit", after)

    @staticmethod
    def _largest_within(
        quantity: Decimal, price: Decimal, cap: float, at: Callable[[float], VarCvar], ctx: RiskContext
    ) -> Decimal | None:
        """The largest step-valid size whose CVaR is within ``cap`` (CVaR(0) is; CVaR(quantity) is not)."""
        low, high = 0.0, float(quantity)
        step = float(ctx.rules.step_size)
        for _ in range(200):
            if high - low <= step / 2:
                break
            middle = (low + high) / 2
            low, high = (middle, high) if at(middle).cvar <= cap else (low, middle)
        with localcontext(prec=PRECISION):
            fitting = fit_to_budget(Decimal(repr(low)) * price, price, ctx.rules)
            while fitting is not None and at(float(fitting)).cvar > cap:  # float rounding at the edge
                fitting = fit_to_budget((fitting - ctx.rules.step_size) * price, price, ctx.rules)
        return fitting


class ClusterGuard:
    name = "cluster_exposure"

    def __init__(
        self, max_cluster_fraction: Decimal, correlation_threshold: Decimal, spec: ReturnsSpec | None
    ) -> None:
        self.max_cluster_fraction = check_limit("max_cluster_fraction", max_cluster_fraction)
        self.correlation_threshold = check_limit("correlation_threshold", correlation_threshold)
        self.spec = spec

    def check(self, intent: OrderIntent, ctx: RiskContext) -> GuardOutcome:
        if is_exit(intent):
            return _EXIT
        if intent.quantity is None:
            return GuardOutcome.deny("unsized", "an entry reached the cluster cap without a quantity")
        history = ctx.returns
        symbols = {*occupied_symbols(ctx), intent.symbol}
        known = {s: history.returns[s] for s in symbols if s in history.returns} if history else {}
        cluster = cluster_of(intent.symbol, known, float(self.correlation_threshold))
        price = intended_price(intent)
        with localcontext(prec=PRECISION):
            held = sum((exposure(ctx, s) for s in cluster.members), Decimal(0))
            cap = ctx.equity * self.max_cluster_fraction
            wanted = intent.quantity * price
        lookback = window_text(history.lookback) if history else "the lookback"
        unknown = missing_history(history, {intent.symbol})
        detail = (
            f"cluster {cluster.describe()} (correlation > {fmt(self.correlation_threshold)} over {lookback}"
            + (f"; {unknown}: its own cluster" if unknown else "")
            + f"): exposure {fmt(held, 8)} + order {fmt(wanted, 8)}, cap {fmt(cap, 8)} "
            f"(max_cluster_fraction {fmt(self.max_cluster_fraction)} x equity {fmt(ctx.equity, 8)})"
        )
        if held + wanted <= cap:
            return GuardOutcome.approve(detail)
        fitting = fit_to_budget(cap - held, price, ctx.rules)
        if fitting is None:
            return GuardOutcome.deny("cluster_limit", detail)
        return GuardOutcome.resize(fitting, "fit_to_cluster_limit", detail)
