"""The shared real candles read with the csv module alone (an independent path from the bot's loaders),
and the figures computed by hand from them: what the portfolio risk tests check the bot against."""

from __future__ import annotations

import csv
import math
from functools import cache
from pathlib import Path

FIVE_MINUTES = 300_000
PER_DAY = 288  # 5-minute candles in a day
ALTS = ("ETH", "LTC", "ETC", "XLM")


def closes_by_open_time(data: Path, base: str) -> dict[int, float]:
    """``{open time (ms): close}`` of ``<base>_BTC-5m.csv``."""
    with (data / f"{base}_BTC-5m.csv").open(newline="") as handle:
        return {int(row["timestamp"]): float(row["close"]) for row in csv.DictReader(handle)}


def one_day_returns_by_hand(closes: list[float]) -> list[float]:
    """``close[t] / close[t - 288] - 1`` for every t with a close a day before, in a Python loop."""
    return [closes[t] / closes[t - PER_DAY] - 1 for t in range(PER_DAY, len(closes))]


def worst_tail(returns: list[float], level: float) -> list[float]:
    """The worst ``ceil(n * (1 - level))`` outcomes as positive losses, largest first (sorted by hand)."""
    losses = sorted((-r for r in returns), reverse=True)
    count = max(1, math.ceil(round(len(returns) * (1 - level), 9)))
    return losses[:count]


def historical_by_hand(returns: list[float], level: float) -> tuple[float, float]:
    tail = worst_tail(returns, level)
    return tail[-1], sum(tail) / len(tail)


def normal_cdf(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def normal_quantile(level: float) -> float:
    """Phi^-1 by bisection on the erf-based CDF (independent of statistics.NormalDist)."""
    low, high = -10.0, 10.0
    for _ in range(200):
        middle = (low + high) / 2
        low, high = (middle, high) if normal_cdf(middle) < level else (low, middle)
    return (low + high) / 2


@cache
def normal_tail_mean(level: float, steps: int = 200_000) -> float:
    """E[X | X > z] of a standard normal, z = Phi^-1(level), by the midpoint rule on [z, z + 12]."""
    z = normal_quantile(level)
    width = 12 / steps
    total = 0.0
    for i in range(steps):
        x = z + (i + 0.5) * width
        total += x * math.exp(-x * x / 2) / math.sqrt(2 * math.pi) * width
    return total / (1 - level)


def parametric_by_hand(returns: list[float], level: float) -> tuple[float, float]:
    """Normal VaR and CVaR from the mean, the n-1 standard deviation and a numerically integrated tail."""
    n = len(returns)
    mean = sum(returns) / n
    std = math.sqrt(sum((r - mean) ** 2 for r in returns) / (n - 1))
    return normal_quantile(level) * std - mean, normal_tail_mean(level) * std - mean


def aligned_closes(data: Path, bases: tuple[str, ...] = ALTS) -> dict[str, list[float]]:
    """Each base's closes on the union of the files' open times, a missing candle carrying the last close
    forward (ETC/BTC's file ends one candle early), in plain Python."""
    files = {base: closes_by_open_time(data, base) for base in bases}
    times = sorted(set().union(*files.values()))
    aligned: dict[str, list[float]] = {}
    for base, closes in files.items():
        last = None
        row = []
        for t in times:
            last = closes.get(t, last)
            row.append(last)
        aligned[base] = row
    return aligned


def pearson_by_hand(x: list[float], y: list[float]) -> float:
    n = len(x)
    mx, my = sum(x) / n, sum(y) / n
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y, strict=True))
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in y)
    return sxy / math.sqrt(sxx * syy)
