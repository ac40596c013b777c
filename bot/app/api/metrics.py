"""``GET /metrics``: the daemon in Prometheus' text format (prometheus-client renders it).

Read at scrape time from what the API already reads: the engine's counters, the daemon's heartbeat
(tick durations, the last tick's age) and the journal (orders by status, risk decisions by guard and
reason). A collector of its own registry, so nothing is kept twice and every scrape is current.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.app.api.service import ApiService
from bot.app.daemon import Heartbeat
from bot.core.engine_status import EngineStatus
from bot.domain import Season, TradingState

if TYPE_CHECKING:  # ccxt loads only for a real exchange
    from bot.adapters.exchange.request_stats import RequestStats

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)  # as bot.adapters.exchange.request_stats


class SpotbotCollector(Collector):
    def __init__(self, service: ApiService) -> None:
        self._service = service

    def collect(self) -> Iterator[Metric]:
        facts = self._service.metric_facts()
        status, quote = facts.status, facts.quote
        equity = GaugeMetricFamily(
            "spotbot_equity", "Equity at the last tick, in the quote currency.", labels=["quote"]
        )
        equity.add_metric([quote], float(status.equity))
        yield equity
        peak = GaugeMetricFamily("spotbot_peak_equity", "Highest equity so far.", labels=["quote"])
        peak.add_metric([quote], float(status.peak_equity))
        yield peak
        cash = GaugeMetricFamily("spotbot_cash", "The quote currency held.", labels=["quote"])
        cash.add_metric([quote], float(status.cash))
        yield cash
        exposure = float(status.positions_value / status.equity) if status.equity > 0 else 0.0
        yield GaugeMetricFamily(
            "spotbot_exposure_ratio", "Open positions at market over equity.", value=exposure
        )
        drawdown = (
            float((status.peak_equity - status.equity) / status.peak_equity)
            if status.peak_equity > 0
            else 0.0
        )
        yield GaugeMetricFamily(
            "spotbot_drawdown_ratio", "Fall from the peak equity (0.05 = 5 %).", value=drawdown
        )
        yield GaugeMetricFamily("spotbot_open_positions", "Open positions.", value=status.open_positions)
        state = GaugeMetricFamily(
            "spotbot_trading_state", "1 for the trading state in force.", labels=["state"]
        )
        for each in TradingState:
            state.add_metric([each.value], 1.0 if each.value == status.trading_state else 0.0)
        yield state
        yield from _regime_metrics(status)
        yield from _portfolio_risk_metrics(status)
        yield CounterMetricFamily("spotbot_ticks", "Candle closes ticked.", value=status.ticks)
        yield CounterMetricFamily("spotbot_fills", "Fills taken in.", value=status.fills)
        yield CounterMetricFamily("spotbot_trades", "Round trips closed.", value=status.trades)
        fees = CounterMetricFamily(
            "spotbot_fees", "Fees paid, valued in the quote currency.", labels=["quote"]
        )
        fees.add_metric([quote], float(status.fees))
        yield fees
        intents = CounterMetricFamily(
            "spotbot_intents", "Intents by the risk chain's verdict.", labels=["verdict"]
        )
        for verdict in ("approved", "resized", "denied"):
            intents.add_metric([verdict], status.verdicts.get(verdict, 0))
        yield intents
        decisions = CounterMetricFamily(
            "spotbot_risk_decisions", "Denials and resizes by guard and reason.", labels=["guard", "reason"]
        )
        for key, count in sorted(facts.decisions_by_reason.items()):
            guard, _, reason = key.partition(":")
            decisions.add_metric([guard, reason], count)
        yield decisions
        orders = GaugeMetricFamily("spotbot_orders", "This run's orders by status.", labels=["status"])
        for order_status, count in sorted(facts.orders_by_status.items()):
            orders.add_metric([order_status], count)
        yield orders
        yield GaugeMetricFamily(
            "spotbot_exchange_ok", "1 while the venue answers.", value=1.0 if status.exchange_ok else 0.0
        )
        yield GaugeMetricFamily("spotbot_last_tick_age_seconds", "Seconds since the last tick ended.",
                                value=facts.heartbeat.age_s)  # fmt: skip
        yield _tick_histogram(facts.heartbeat)
        what = "Periodic checks against the exchange, by outcome (clean, mismatch, incomplete)."
        checks = CounterMetricFamily("spotbot_reconciliations", what, labels=["outcome"])
        for outcome in ("clean", "mismatch", "incomplete"):
            checks.add_metric([outcome], status.reconciliations.get(outcome, 0))
        yield checks
        if facts.exchange_requests is not None:
            yield from _exchange_metrics(facts.exchange_requests)


def _regime_metrics(status: EngineStatus) -> Iterator[Metric]:
    """The market regime at the latest entry ([regime]): the index while known, 1 for the season."""
    regime = status.regime
    if regime is None:
        return
    if regime.index is not None:
        what = "Share of the regime basket's alts beating BTC over the window (the Bitcoin Season Index)."
        yield GaugeMetricFamily("spotbot_regime_index", what, value=regime.index)
    season = GaugeMetricFamily(
        "spotbot_regime_season", "1 for the market regime's season.", labels=["season"]
    )
    for each in Season:
        season.add_metric([each.value], 1.0 if each is regime.season else 0.0)
    yield season


def _portfolio_risk_metrics(status: EngineStatus) -> Iterator[Metric]:
    """The held portfolio's 1-day VaR and CVaR at the latest entry, once measured (max_cvar / clusters on)."""
    figures = status.portfolio_risk.figures if status.portfolio_risk is not None else None
    if figures is None:
        return
    labels = ["method", "level"]
    var = GaugeMetricFamily("spotbot_portfolio_var_ratio", "1-day value at risk / equity.", labels=labels)
    cvar = GaugeMetricFamily(
        "spotbot_portfolio_cvar_ratio", "1-day expected shortfall (CVaR) / equity.", labels=labels
    )
    for method in ("historical", "parametric"):
        for level in ("95", "99"):
            pair = getattr(figures, f"{method}_{level}")
            var.add_metric([method, f"0.{level}"], pair.var)
            cvar.add_metric([method, f"0.{level}"], pair.cvar)
    yield var
    yield cvar


def _exchange_metrics(stats: RequestStats) -> Iterator[Metric]:
    what = "Exchange requests by operation and outcome (ok, or the error class they ended with)."
    requests = CounterMetricFamily("spotbot_exchange_requests", what, labels=["operation", "outcome"])
    for (operation, outcome), count in sorted(stats.outcomes().items()):
        requests.add_metric([operation, outcome], count)
    yield requests
    latency = HistogramMetricFamily("spotbot_exchange_request_seconds", "Exchange request latency.",
                                    labels=["operation"])  # fmt: skip
    for operation, measured in sorted(stats.latencies().items()):
        latency.add_metric([operation], _cumulative(LATENCY_BUCKETS, measured.counts), measured.total_s)
    yield latency


def _cumulative(bounds: tuple[float, ...], counts: list[int]) -> list[tuple[str, float]]:
    buckets, running = [], 0
    for bound, count in zip((*bounds, float("inf")), counts, strict=True):
        running += count
        buckets.append(("+Inf" if bound == float("inf") else repr(bound), float(running)))
    return buckets


def _tick_histogram(heartbeat: Heartbeat) -> HistogramMetricFamily:
    buckets = _cumulative(heartbeat.BUCKETS, heartbeat.tick_counts)
    return HistogramMetricFamily("spotbot_tick_duration_seconds", "How long each tick ran.", buckets=buckets,
                                 sum_value=heartbeat.tick_seconds_sum)  # fmt: skip


def metrics_text(service: ApiService) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SpotbotCollector(service))
    return generate_latest(registry)
