"""Starting a daemon (``spotbot run``): its bot's lease first, then what a dead one left, then the app.

1. The audit DB is migrated and the bot's lease taken (:class:`bot.adapters.audit.lease.DaemonLease`): a
second
   daemon of the same bot on the same database is refused (exit 4) with the holder named.
2. Holding the lease proves every other daemon of the bot is dead, so its runs still marked ``running``
   are closed as ``crashed`` at the time of their last row.
3. The app is built (:func:`bot.app.bootstrap.build_app`) and the lease names its run.

Backtests and optimizations are not daemons: they take no lease and are never closed as crashed.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.adapters.audit.lease import DaemonLease
from bot.adapters.audit.migrate import upgrade
from bot.adapters.audit.store import SqlAuditStore
from bot.app.bootstrap import App, build_app
from bot.app.settings import Settings
from bot.domain.clock import SystemClock
from strategies.base import Strategy


def open_daemon(
    settings: Settings, *, max_ticks: int | None = None, strategies: Sequence[Strategy] | None = None
) -> tuple[App, DaemonLease]:
    """The app of a daemon run and the lease it holds (close the lease when the run ends)."""
    url = settings.effective_database_url
    upgrade(url)
    lease = DaemonLease(url, settings.bot.name, now=SystemClock().now()).acquire()
    try:
        with SqlAuditStore(url, venue=settings.venue) as store:
            store.close_crashed_runs(settings.bot.name)
        app = build_app(settings, max_ticks=max_ticks, strategies=list(strategies) if strategies else None)
        lease.record_run(app.run_id)
    except BaseException:
        lease.close()
        raise
    return app, lease
