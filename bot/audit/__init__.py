"""The audit database: every run, intent, risk decision, order, order event, fill and equity snapshot.

Typical wiring::

    upgrade(url)                      # idempotent; call on every start
    store = SqlAuditStore(url, venue="binance")
"""

from bot.audit.engine import make_engine
from bot.audit.migrate import current_revision, head_revision, upgrade
from bot.audit.reader import SqlAuditReader
from bot.audit.records import RunRecord, TradingStateEvent
from bot.audit.store import SqlAuditStore, UnknownRecordError

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
