"""``spotbot check-strategy``: checks a user runs on a strategy before trusting its backtests.

- **look-ahead** (:func:`checks.check_lookahead`): a decision at a candle close must not change when the
  data is cut right after that candle;
- **warm-up** (:func:`checks.check_warmup`): decisions must not depend on where the data starts (state
  kept between calls, or history read beyond the strategy's ``warmup`` window);
- **scan** (:func:`checks.check_scan`): a vectorised scan must keep every candle ``on_candles`` acts on,
  which backtests rely on (:mod:`bot.app.backtest.events`).

The Python entry point is :func:`checks.check_symbol`; the command wraps it (:mod:`.command`). This file
stays import-free: the command line reads :data:`DEFAULT_SAMPLES` without loading numpy.
"""

DEFAULT_SAMPLES = 200  # --samples: decided closes asked again (at most), and as many others
