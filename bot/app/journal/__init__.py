"""The trade journal (issue 14): per round trip its strategy, entry and exit reasons, R multiple, maximum
adverse and favourable excursion, holding time and fees, with humans' notes; derived at report time
from what the audit DB holds (:mod:`bot.app.journal.build`), shown by ``spotbot report`` (plain and
``--json``), the backtest's ``report.html`` and the API's ``/api/v1/trades``.

Imports nothing heavy: the CLI registers :mod:`bot.app.journal.cli` at start-up.
"""
