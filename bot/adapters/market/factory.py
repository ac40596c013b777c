"""Build the offline market from plain parameters (the settings layer calls this; no settings here)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path

from bot.adapters.market.csv_replay import load_csv_series
from bot.adapters.market.offline import OfflineMarket
from bot.adapters.market.rules import DEFAULT_FEE, RuleOverrides, derive_rules, split_symbol
from bot.adapters.market.synthetic import SyntheticSymbol, generate_synthetic_market
from bot.domain import MarketRules, timeframe_ms
from bot.domain.series import CandleSeries
from bot.logs import get_logger

log = get_logger(__name__)

DEFAULT_START_MS = 1_704_067_200_000  # 2024-01-01T00:00:00Z
DEFAULT_START_PRICE = 100.0
DEFAULT_DAILY_VOLATILITY = 0.03


def build_offline_market(
    *,
    symbols: Sequence[str],
    timeframe: str,
    seed: int = 0,
    candles: int = 10_000,
    start_ms: int = DEFAULT_START_MS,
    start_prices: Mapping[str, float] | None = None,
    daily_volatilities: Mapping[str, float] | None = None,
    csv_files: Mapping[str, str | Path] | None = None,
    min_notional: Decimal | Mapping[str, Decimal] = Decimal(10),
    maker_fee: Decimal = DEFAULT_FEE,
    taker_fee: Decimal = DEFAULT_FEE,
    rule_overrides: Mapping[str, RuleOverrides] | None = None,
    window: tuple[int | None, int | None] | None = None,
) -> OfflineMarket:
    """An :class:`OfflineMarket` replaying ``csv_files`` (symbol -> path) or, without them, a synthetic one.

    - With ``csv_files``, every symbol must have a file; ``seed``, ``candles``, ``start_ms``,
      ``start_prices`` and ``daily_volatilities`` are not used. The timeframe must match the file names.
    - Synthetic: ``candles`` candles per symbol opening at ``start_ms`` (aligned to the timeframe), start
      price ``start_prices[symbol]`` (default 100) and daily volatility (default 0.03 = 3 %).
    - ``min_notional`` is in quote units: one value for all symbols, or a mapping by quote currency
      (``{"USDT": Decimal(10), "BTC": Decimal("0.0001")}``).
    - Rules are derived from each symbol's median close (see :mod:`bot.adapters.market.rules`);
      ``rule_overrides[symbol]`` (e.g. ``{"tick_size": Decimal("0.01")}``) wins.
    - ``window`` (open times in ms, ``[start, end)``, either end open): a CSV with a current columnar
      copy (:mod:`bot.adapters.market.columnar`) is read only there; the rules stay the whole file's.
      Candles outside the window may still be held: the caller slices.
    """
    timeframe_ms(timeframe)
    if not symbols:
        raise ValueError("symbols: at least one symbol is required")
    if len(set(symbols)) != len(symbols):
        raise ValueError(f"symbols: duplicates in {list(symbols)}")
    for symbol in symbols:
        split_symbol(symbol)
    for name, mapping in (
        ("start_prices", start_prices),
        ("daily_volatilities", daily_volatilities),
        ("rule_overrides", rule_overrides),
    ):
        _check_keys(name, mapping, symbols)

    typical: dict[str, float] = {}
    if csv_files:
        series, typical = _replay_series(symbols, timeframe, csv_files, window)
    else:
        specs = [
            SyntheticSymbol(
                symbol,
                start_price=(start_prices or {}).get(symbol, DEFAULT_START_PRICE),
                daily_volatility=(daily_volatilities or {}).get(symbol, DEFAULT_DAILY_VOLATILITY),
            )
            for symbol in symbols
        ]
        series = generate_synthetic_market(
            specs, timeframe=timeframe, candles=candles, start_ms=start_ms, seed=seed
        )

    rules: dict[str, MarketRules] = {
        symbol: derive_rules(
            symbol,
            typical[symbol] if symbol in typical else one.median_close(),
            min_notional=_min_notional_for(symbol, min_notional),
            maker_fee=maker_fee,
            taker_fee=taker_fee,
            overrides=(rule_overrides or {}).get(symbol),
        )
        for symbol, one in series.items()
    }
    market = OfflineMarket(series, rules, timeframe)
    log.info(
        "offline_market_built",
        source="csv" if csv_files else "synthetic",
        symbols=list(symbols),
        timeframe=timeframe,
        candles={symbol: len(one) for symbol, one in series.items()},
        seed=None if csv_files else seed,
    )
    return market


def _replay_series(
    symbols: Sequence[str],
    timeframe: str,
    csv_files: Mapping[str, str | Path],
    window: tuple[int | None, int | None] | None,
) -> tuple[dict[str, CandleSeries], dict[str, float]]:
    """Each symbol's candles, and the whole file's median close where only a window was read."""
    missing = [s for s in symbols if s not in csv_files]
    unknown = [s for s in csv_files if s not in symbols]
    if missing or unknown:
        raise ValueError(f"csv_files: symbols without a file {missing}, files for unknown symbols {unknown}")
    series: dict[str, CandleSeries] = {}
    typical: dict[str, float] = {}
    for symbol in symbols:
        path = Path(csv_files[symbol])
        if window is not None:
            from bot.adapters.market.columnar import read_window  # pyarrow: only for windowed reads

            part = read_window(path, symbol, timeframe, *window)
            if part is not None:
                series[symbol], typical[symbol] = part.series, part.median_close
                log.info("candles_read_from_columnar_copy", symbol=symbol, row_groups=part.groups_read,
                         of=part.groups, candles=len(part.series))  # fmt: skip
                continue
        series[symbol] = load_csv_series(path, symbol, timeframe)
    return series, typical


def _min_notional_for(symbol: str, min_notional: Decimal | Mapping[str, Decimal]) -> Decimal:
    if isinstance(min_notional, Decimal):
        return min_notional
    quote = split_symbol(symbol)[1]
    if quote not in min_notional:
        raise ValueError(
            f"min_notional: no value for quote currency {quote!r} (symbol {symbol}); "
            f"given for {sorted(min_notional)}"
        )
    return Decimal(min_notional[quote])


def _check_keys(name: str, mapping: Mapping[str, object] | None, symbols: Sequence[str]) -> None:
    unknown = sorted(set(mapping or {}) - set(symbols))
    if unknown:
        raise ValueError(f"{name}: unknown symbols {unknown}; configured symbols are {list(symbols)}")
