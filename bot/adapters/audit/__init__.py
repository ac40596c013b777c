"""The audit database: every run, intent, risk decision, order, order event, fill and equity snapshot.

Typical wiring::

    upgrade(url)                      # idempotent; call on every start
    store = SqlAuditStore(url, venue="binance")
"""

from bot.adapters.audit.engine import make_engine
from bot.adapters.audit.migrate import current_revision, head_revision, upgrade
from bot.adapters.audit.reader import SqlAuditReader
from bot.adapters.audit.store import SqlAuditStore
from bot.adapters.audit.writes import UnknownRecordError
from bot.domain.records import RunRecord, TradingStateEvent

__all__ = [
    "RunRecord",
    "SqlAuditReader",
    "SqlAuditStore",
    "TradingStateEvent",
    "UnknownRecordError",
    "current_revision",
    "head_revision",
    "make_engine",
    "upgrade",
]
