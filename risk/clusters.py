"""Clusters of assets that move as one: linked when their returns' correlation is above a threshold.

Pure numpy. Decisions written down here:

- **Which returns**: the same aligned one-day returns as VaR/CVaR (:mod:`risk.var`), over the same
  lookback. One-day co-movement is what a bad day costs; the correlation of 5-minute returns is
  diluted by noise (on the shared January 2018 candles ETH/BTC and LTC/BTC correlate 0.16 candle by
  candle, 0.61 over one-day windows).
- **Correlation**: Pearson's, of each pair's full aligned series. A series that does not move (no
  variance) has no correlation and links to nothing.
- **Linked** when the correlation is strictly above ``threshold``; **clusters** are the connected
  components of that graph (single linkage): A and C share a cluster when A-B and B-C are linked,
  whatever A-C is. Two coins that each move with a third count as one bet with it.
- **Among what**: the symbols given (the guard gives the held ones and the entry's); a symbol not
  given cannot link two that are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Cluster:
    """One symbol's cluster: its members (the symbol first, then sorted) and the links that join them
    (``(a, b) -> correlation`` with ``a < b``, only pairs above the threshold)."""

    members: tuple[str, ...]
    links: Mapping[tuple[str, str], float]

    def describe(self) -> str:
        """``ETH/BTC, LTC/BTC (ETH/BTC~LTC/BTC 0.87)``; a lone symbol is just its name."""
        links = ", ".join(f"{a}~{b} {corr:.2f}" for (a, b), corr in sorted(self.links.items()))
        return ", ".join(self.members) + (f" ({links})" if links else "")


def correlations(returns: Mapping[str, Sequence[float] | FloatArray]) -> dict[tuple[str, str], float]:
    """Pearson correlation of every pair (``a < b``) of aligned series; pairs where either does not
    move (or a single return) are left out. ValueError if the series differ in length."""
    symbols = sorted(returns)
    series = {s: np.asarray(returns[s], dtype=np.float64) for s in symbols}
    lengths = {values.size for values in series.values()}
    if len(lengths) > 1:
        raise ValueError(f"returns: aligned series of one length, not lengths {sorted(lengths)}")
    centred = {s: values - values.mean() for s, values in series.items()}
    norms = {s: float(np.sqrt(np.dot(values, values))) for s, values in centred.items()}
    found: dict[tuple[str, str], float] = {}
    for i, a in enumerate(symbols):
        for b in symbols[i + 1 :]:
            if norms[a] > 0 and norms[b] > 0:
                corr = float(np.dot(centred[a], centred[b]) / (norms[a] * norms[b]))
                found[(a, b)] = max(-1.0, min(1.0, corr))
    return found


def clusters(returns: Mapping[str, Sequence[float] | FloatArray], threshold: float) -> list[frozenset[str]]:
    """Every cluster (connected components of the links above ``threshold``), largest first."""
    parent = {symbol: symbol for symbol in returns}

    def root(symbol: str) -> str:
        while parent[symbol] != symbol:
            parent[symbol] = parent[parent[symbol]]
            symbol = parent[symbol]
        return symbol

    pairs = correlations(returns) if len(returns) > 1 else {}
    for (a, b), corr in pairs.items():
        if corr > threshold:
            parent[root(a)] = root(b)
    groups: dict[str, set[str]] = {}
    for symbol in returns:
        groups.setdefault(root(symbol), set()).add(symbol)
    return sorted((frozenset(g) for g in groups.values()), key=lambda g: (-len(g), sorted(g)))


def cluster_of(symbol: str, returns: Mapping[str, Sequence[float] | FloatArray], threshold: float) -> Cluster:
    """``symbol``'s cluster among ``returns`` (a symbol without a series there is a cluster of its own)."""
    if symbol not in returns:
        return Cluster((symbol,), {})
    found = next(group for group in clusters(returns, threshold) if symbol in group)
    pairs = correlations({s: returns[s] for s in found}) if len(found) > 1 else {}
    links = {pair: corr for pair, corr in pairs.items() if corr > threshold}
    return Cluster((symbol, *sorted(found - {symbol})), links)
