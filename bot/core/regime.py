"""The market regime computed from the market port's closed candles (see :mod:`bot.domain.regime`).

Decisions written down here:

- **Only the market port**, only candles closed by the decision's close: ``closed_candles(...,
  until_ms=close)`` for the close now and ``until_ms=close - window`` for the close a window ago (the
  last candle closed at or before it). Nothing after the close is ever read, so the same candles give
  the same regime in the daemon and in a backtest (DESIGN invariant 9).
- **The decision's close** is the decision time floored to the regime's timeframe: in a replay the clock
  stands on the close; on a wall clock the tick runs a moment after it, and the floor is that close.
- **Counted** is an alt with a candle a whole window old and a newer one since. An alt quoted in BTC
  (``X/BTC``) beats BTC when its close now is above its close then; an alt quoted otherwise (``X/USDT``)
  when its return over the window is above ``btc_symbol``'s over the same window (compared exactly, as
  fractions; a tie does not beat). Without ``btc_symbol`` such an alt is not counted.
- **BTC's trend**: ``btc_symbol``'s last close against the simple moving average of its last
  ``trend_candles`` closes (``up`` if above); None without ``btc_symbol`` or with fewer candles.
- **Cheap and at most once per close**: two look-ups per alt (three for BTC), kept until the next close.
- **A read that fails** (the venue down, a symbol it does not know) gives an unknown regime with the
  error as its note, not cached: a gated entry is then denied (``regime_unknown``), exits never see
  it, and the tick goes on.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from fractions import Fraction

from bot.core.ports import MarketData
from bot.domain import Candle, Regime, RegimeSpec, Season, Trend, timeframe_ms
from bot.domain.clock import datetime_to_ms, ms_to_datetime
from bot.logs import get_logger

log = get_logger(__name__)


def _last_close(market: MarketData, spec: RegimeSpec, symbol: str, until_ms: int) -> Candle | None:
    candles = market.closed_candles(symbol, spec.timeframe, until_ms=until_ms, limit=1)
    return candles[-1] if candles else None


def _window_return(
    market: MarketData, spec: RegimeSpec, symbol: str, close_ms: int
) -> tuple[Fraction, Fraction] | None:
    """``(close now, close a window ago)`` of ``symbol``; None without a candle that old (or none since)."""
    then = _last_close(market, spec, symbol, close_ms - int(spec.window.total_seconds() * 1000))
    now = _last_close(market, spec, symbol, close_ms)
    if then is None or now is None or now.open_time <= then.open_time or then.close <= 0:
        return None
    return Fraction(now.close), Fraction(then.close)


def btc_trend(closes: Sequence[float], candles: int) -> Trend | None:
    """``up`` if the last close is above the simple moving average of the last ``candles`` closes."""
    if len(closes) < candles or candles < 1:
        return None
    window = [Fraction(close) for close in closes[-candles:]]
    return Trend.UP if window[-1] * len(window) > sum(window) else Trend.DOWN


def compute_regime(market: MarketData, spec: RegimeSpec, close_ms: int) -> Regime:
    """The regime as of the candle close ``close_ms`` (see the module docstring for the rules)."""
    btc = None
    trend = None
    if spec.btc_symbol is not None:
        btc = _window_return(market, spec, spec.btc_symbol, close_ms)
        history = market.closed_candles(
            spec.btc_symbol, spec.timeframe, until_ms=close_ms, limit=spec.trend_candles
        )
        trend = btc_trend([c.close for c in history], spec.trend_candles)
    counted = beating = 0
    for alt in spec.basket:
        moved = _window_return(market, spec, alt, close_ms)
        if moved is None:
            continue
        now, then = moved
        if spec.quoted_in_btc(alt):
            beats = now > then
        elif btc is not None:
            btc_now, btc_then = btc
            beats = now * btc_then > btc_now * then  # now/then > btc_now/btc_then, both prices positive
        else:
            continue  # quoted in another currency, with nothing to compare its return to
        counted += 1
        beating += beats
    season = spec.season_of(beating, counted)
    return Regime(
        season=season,
        index=beating / counted if season is not Season.UNKNOWN else None,
        alts_counted=counted,
        alts_beating=beating,
        basket_size=len(spec.basket),
        alts_needed=spec.needed,
        btc_trend=trend,
        window=spec.window,
        computed_at=ms_to_datetime(close_ms),
    )


class RegimeWatch:
    """The regime at each decision, computed at most once per close of the regime's timeframe."""

    def __init__(self, market: MarketData, spec: RegimeSpec) -> None:
        self._market = market
        self.spec = spec
        self._step_ms = timeframe_ms(spec.timeframe)
        self._cached: Regime | None = None
        self.computations = 0  # how many times the candles were read (tests check the cache)

    def at(self, now: datetime) -> Regime:
        """The regime as of the last close of the regime's timeframe at or before ``now``."""
        close_ms = datetime_to_ms(now) // self._step_ms * self._step_ms
        cached = self._cached
        if cached is not None and datetime_to_ms(cached.computed_at) == close_ms:
            return cached
        self.computations += 1
        try:
            regime = compute_regime(self._market, self.spec, close_ms)
        except Exception as exc:  # a failed read must not end the tick: gated entries are denied instead
            log.warning("regime_unavailable", error=f"{type(exc).__name__}: {exc}")
            return self._unknown(close_ms, f"not computed ({type(exc).__name__}: {exc})")
        if regime.season is not (cached.season if cached else None):
            log.info("regime_changed", regime=regime.describe())
        self._cached = regime
        return regime

    def _unknown(self, close_ms: int, note: str) -> Regime:
        return Regime(
            season=Season.UNKNOWN,
            index=None,
            alts_counted=0,
            alts_beating=0,
            basket_size=len(self.spec.basket),
            alts_needed=self.spec.needed,
            btc_trend=None,
            window=self.spec.window,
            computed_at=ms_to_datetime(close_ms),
            note=note,
        )
