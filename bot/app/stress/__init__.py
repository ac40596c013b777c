"""``spotbot stress``: shocks applied to a bot's current (or a backtest's last) portfolio.

- :mod:`~bot.app.stress.scenarios`: the scenarios, a TOML file validated like the settings.
- :mod:`~bot.app.stress.portfolio`: the portfolio, read from the audit DB.
- :mod:`~bot.app.stress.candles`: betas to a reference and worst N-hour moves, from candles.
- :mod:`~bot.app.stress.model`: the loss of one scenario with and without stops, and the breakers.
- :mod:`~bot.app.stress.output`: the table and the JSON; :mod:`~bot.app.stress.cli`: the command.
"""
