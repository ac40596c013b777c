"""The market regime: the Bitcoin Season Index and BTC's own trend, as of one candle close.

The index is the share of a basket of alts that beat BTC over a window (90 days by default): an alt
quoted in BTC (``X/BTC``) beats it when its close now is above its close a window ago; an alt quoted
otherwise (``X/USDT``) when its return over the window is above ``btc_symbol``'s over the same window.
At or above ``alt_season`` (0.75) it is alt season, at or below ``btc_season`` (0.25) BTC season,
between them neutral; with fewer alts counted than ``min_alts`` (too little history) it is unknown.
``bot.core.regime`` computes it from candles; ``risk.regime_guard`` gates entries on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

BTC = "BTC"


class Season(StrEnum):
    ALT_SEASON = "alt_season"
    BTC_SEASON = "btc_season"
    NEUTRAL = "neutral"
    UNKNOWN = "unknown"  # too few alts with a window of history (or the candles could not be read)


KNOWN_SEASONS = frozenset({Season.ALT_SEASON, Season.BTC_SEASON, Season.NEUTRAL})


class Trend(StrEnum):
    UP = "up"  # BTC's close is above its simple moving average
    DOWN = "down"  # at or below it


def window_text(window: timedelta) -> str:
    """``timedelta(days=3)`` -> ``"3d"``; ``timedelta(hours=36)`` -> ``"1d12h"``."""
    seconds = int(window.total_seconds())
    parts = []
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0"


@dataclass(frozen=True, slots=True)
class RegimeSpec:
    """How the regime is computed: which alts, against what, over which window, with which thresholds.

    Raises ValueError (naming the parameter) on a value the computation cannot use; the settings
    (``bot.app.settings.regime``) refuse the same values first, with the key named.
    """

    basket: tuple[str, ...]
    timeframe: str
    window: timedelta = timedelta(days=90)
    btc_symbol: str | None = None  # e.g. "BTC/USDT": needed for alts not quoted in BTC and for the trend
    alt_season: Decimal = Decimal("0.75")
    btc_season: Decimal = Decimal("0.25")
    min_alts: int | None = None  # None: half the basket (rounded up), at least 1
    trend_candles: int = 50  # BTC's trend: its close against its SMA over this many candles

    def __post_init__(self) -> None:
        if not self.basket:
            raise ValueError("basket: at least one alt symbol")
        if self.window <= timedelta(0):
            raise ValueError(f"window: above zero, not {self.window}")
        if not 0 <= self.btc_season < self.alt_season <= 1:
            raise ValueError(
                f"alt_season ({self.alt_season}) and btc_season ({self.btc_season}): 0 <= btc_season < "
                "alt_season <= 1"
            )
        if self.min_alts is not None and not 1 <= self.min_alts <= len(self.basket):
            raise ValueError(
                f"min_alts: from 1 to the basket's size ({len(self.basket)}), not {self.min_alts}"
            )
        if self.trend_candles < 2:
            raise ValueError(f"trend_candles: at least 2, not {self.trend_candles}")

    @property
    def needed(self) -> int:
        """Alts that must be counted for a known season."""
        return self.min_alts if self.min_alts is not None else max(1, (len(self.basket) + 1) // 2)

    @property
    def btc_asset(self) -> str:
        """The asset the alts are measured against: ``btc_symbol``'s base, else ``BTC``."""
        return self.btc_symbol.partition("/")[0] if self.btc_symbol else BTC

    def quoted_in_btc(self, symbol: str) -> bool:
        return symbol.partition("/")[2] == self.btc_asset

    def season_of(self, beating: int, counted: int) -> Season:
        """The season for ``beating`` of ``counted`` alts, compared exactly (3 of 4 is alt season at 0.75)."""
        if counted < self.needed or counted <= 0:
            return Season.UNKNOWN
        if beating >= self.alt_season * counted:
            return Season.ALT_SEASON
        if beating <= self.btc_season * counted:
            return Season.BTC_SEASON
        return Season.NEUTRAL


@dataclass(frozen=True, slots=True)
class Regime:
    """The regime as of one candle close (``computed_at``); ``index`` is None when no alt was counted."""

    season: Season
    index: float | None  # alts_beating / alts_counted, in [0, 1]
    alts_counted: int  # alts with a candle a whole window old
    alts_beating: int
    basket_size: int
    alts_needed: int  # fewer counted than this: season unknown
    btc_trend: Trend | None  # None: no btc_symbol, or fewer candles than the trend needs
    window: timedelta
    computed_at: datetime
    note: str = ""  # why the regime could not be computed at all (e.g. the venue did not answer)

    def describe(self) -> str:
        """One line: ``alt_season: index 0.75 (3 of 4 alts beat BTC over 3d), BTC trend up, as of ...``."""
        trend = f"BTC trend {self.btc_trend.value if self.btc_trend else 'unknown'}"
        when = f"as of {self.computed_at:%Y-%m-%d %H:%M} UTC"
        window = window_text(self.window)
        if self.note:
            return f"{self.season.value}: {self.note}, {when}"
        if self.season is Season.UNKNOWN:
            counted = f"{self.alts_counted} of {self.basket_size} alts have {window} of history"
            return f"unknown: {counted} ({self.alts_needed} needed), {trend}, {when}"
        index = f"index {self.index:.2f}" if self.index is not None else "no index"
        beat = f"{self.alts_beating} of {self.alts_counted} alts beat BTC over {window}"
        return f"{self.season.value}: {index} ({beat}), {trend}, {when}"
