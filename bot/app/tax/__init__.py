"""Exports for taxes, read from the audit DB: ``spotbot export tax-lots`` and ``spotbot export fills``.

- :mod:`bot.app.tax.lots`: buys become lots, sells dispose of them by FIFO, LIFO or HIFO, one row per
  (sale, lot) piece, with proceeds, cost basis, fees, gain and short/long term.
- :mod:`bot.app.tax.source`: which fills (one run, or a bot's runs on one venue, lots carried across them).
- :mod:`bot.app.tax.csv_files`: the two CSV formats (the lots' own columns; Koinly's universal format).
- :mod:`bot.app.tax.cli`: the ``export`` commands.
"""
