"""What runs beside a daemon so that a human can watch and steer it: the HTTP API and dashboard
(``[api]``), and the alerts with their daily summary (``[notify]``). Started with the run, stopped
with it; neither runs inside a tick.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager

from rich.console import Console

from bot.app.alerts import alerting
from bot.app.bootstrap import App
from bot.logs import get_logger

log = get_logger(__name__)
LOOPBACK = ("127.0.0.1", "localhost", "::1")


@contextmanager
def watched(application: App, fmt: str) -> Iterator[str | None]:
    """Alerts and the API on while the block runs; yields the API's address (``None`` when it is off)."""
    settings = application.settings
    urls = [url.get_secret_value() for url in settings.notify.urls]
    with ExitStack() as stack:
        stack.enter_context(alerting(urls, settings.bot.name, settings.notify.min_interval_s,
                                     summary=daily_summary(application)))  # fmt: skip
        yield stack.enter_context(serving_api(application, fmt))


def daily_summary(application: App) -> Callable[[], tuple[str, str]]:
    """What the daily alert says: the engine's figures now, since the run started."""

    def compose() -> tuple[str, str]:
        status, quote = application.engine.status, application.settings.bot.quote_currency
        peak = status.peak_equity
        drawdown = (peak - status.equity) / peak * 100 if peak > 0 else 0
        title = f"spotbot {application.settings.bot.name}: daily summary"
        body = (
            f"equity {status.equity:,.2f} {quote} (drawdown {drawdown:.2f} % from the peak {peak:,.2f})\n"
            f"trading state: {status.trading_state}\nopen positions: {status.open_positions}\n"
            f"since the run started: {status.trades} round trips, {status.fills} fills, "
            f"fees {status.fees:,.2f} {quote}, {status.ticks} ticks"
        )
        return title, body

    return compose


@contextmanager
def serving_api(application: App, fmt: str) -> Iterator[str | None]:
    """Serve the HTTP API beside the daemon while it runs (``api.enabled``); yields its address."""
    settings = application.settings
    if not settings.api.enabled:
        yield None
        return
    from bot.adapters.audit.store import SqlAuditStore  # the API's own connections
    from bot.app.api.routes import create_api  # FastAPI and uvicorn load only when the API is on
    from bot.app.api.server import ApiServer
    from bot.app.api.service import ApiService, Watched
    from bot.domain.clock import SystemClock

    api_settings = settings.api
    token = api_settings.token.get_secret_value() if api_settings.token else None
    with SqlAuditStore(settings.effective_database_url, venue=settings.venue) as store:
        watched = Watched.of(application, application.daemon.heartbeat)
        service = ApiService(settings, store, watched, SystemClock())
        api = create_api(service, token=token or None, token_name=api_settings.token_name,
                         protect_reads=api_settings.protect_reads)  # fmt: skip
        server = ApiServer(api, api_settings.host, api_settings.port)
        address = server.start()
        try:
            log.info("api_listening", address=address, write_endpoints=token is not None)
            if api_settings.host not in LOOPBACK and not token:
                log.warning("api_exposed_without_token", address=address,
                            hint="anyone who can reach it reads the bot; set SPOTBOT_API__TOKEN")  # fmt: skip
                if fmt == "console":
                    warning = f"the API at {address} is open to the network without a token"
                    Console(stderr=True).print(f"[bold red]warning[/]: {warning} (set SPOTBOT_API__TOKEN)")
            yield address
        finally:
            server.stop()
