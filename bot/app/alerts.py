"""Alerts: the events a human must hear about at 3 a.m., sent through apprise (one URL syntax for
Telegram, Discord, Slack, e-mail, webhooks: ``[notify] urls``).

What is sent: every trading state change (a breaker trips, a halt, a resume), a reconciliation that
found the venue disagreeing (``reconciled`` at WARNING), and every event at ERROR or CRITICAL (a stop
that could not be placed, a fatal exchange error, an order the bot cannot account for, the lease lost).
The events are the log's own: an :class:`AlertHandler` on the root logger picks them out, so the
engine needs no notifier of its own and an alert says exactly what the log says (secrets scrubbed).

Alerting never blocks or crashes trading: the handler only queues (a full queue drops and counts);
one background thread sends, with apprise's own timeouts, and a failure is logged, never raised. The
same alert (event and its subject: state and reason, symbol) is sent at most once per
``notify.min_interval_s``; later repeats are counted into the next one that goes out. A daily summary
(equity, drawdown, state, positions, round trips, fills, fees) goes out at 00:00 UTC.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from bot.domain.secrets import scrub_text

log = logging.getLogger(__name__)

ALWAYS = frozenset({"trading_state_changed"})
WHEN_WARNING = frozenset({"reconciled"})  # at INFO when the venue agreed
SUBJECT_KEYS = ("state", "reason", "symbol", "client_order_id", "venue")
SKIPPED_KEYS = frozenset({"event", "timestamp", "logger", "level", "_record", "_from_structlog"})
QUEUE_SIZE = 200

Send = Callable[[str, str], bool]


def apprise_sender(urls: Sequence[str]) -> Send:
    """Send through apprise to every URL; True if at least one accepted."""
    import apprise  # loaded only when alerts are configured

    notifier = apprise.Apprise()
    for url in urls:
        if not notifier.add(url):
            raise ValueError(
                "notify.urls: an entry is not a URL apprise knows (see apprise's list of services)"
            )

    def send(title: str, body: str) -> bool:
        return bool(notifier.notify(title=title, body=body))

    return send


class Notifier:
    """Queues alerts and sends them from one background thread, rate-limited per alert key."""

    def __init__(
        self, send: Send, *, min_interval_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._send = send
        self._interval = min_interval_s
        self._clock = clock
        self._queue: queue.Queue[tuple[str, str, str] | None] = queue.Queue(maxsize=QUEUE_SIZE)
        self._last_sent: dict[str, float] = {}
        self._held: dict[str, int] = {}  # repeats not sent, per key, told with the next one that goes out
        self.dropped = 0
        self.sent = 0
        self._thread = threading.Thread(target=self._run, name="spotbot-alerts", daemon=True)
        self._thread.start()

    def submit(self, key: str, title: str, body: str) -> None:
        """Queue an alert; never waits (a full queue drops it)."""
        try:
            self._queue.put_nowait((key, title, body))
        except queue.Full:
            self.dropped += 1

    def close(self, timeout_s: float = 5.0) -> None:
        """Send what is queued (waiting at most ``timeout_s``), then stop."""
        try:
            self._queue.put((None), timeout=timeout_s)
        except queue.Full:
            return
        self._thread.join(timeout=timeout_s)

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            key, title, body = item
            now = self._clock()
            last = self._last_sent.get(key)
            if last is not None and now - last < self._interval:
                self._held[key] = self._held.get(key, 0) + 1
                continue
            repeats = self._held.pop(key, 0)
            if repeats:
                body += f"\n({repeats} more like this since the last alert)"
            self._last_sent[key] = now
            try:
                delivered = self._send(title, body)
            except Exception as exc:  # a notifier's failure is logged, never raised into trading
                log.warning("alert_failed: %s", type(exc).__name__)
                continue
            if delivered:
                self.sent += 1
            else:
                log.warning("alert_not_delivered: %s", title)


def wants_alert(event: str, level: int) -> bool:
    return event in ALWAYS or (event in WHEN_WARNING and level >= logging.WARNING) or level >= logging.ERROR


def describe(event: str, fields: Mapping[str, Any], bot: str) -> tuple[str, str, str]:
    """(key, title, body) of an alert for log event ``event`` with ``fields``."""
    subject = [f"{k}={fields[k]}" for k in SUBJECT_KEYS if k in fields]
    key = " ".join([event, *subject])
    title = f"spotbot {bot}: {event.replace('_', ' ')}"
    lines = [f"{k}: {v}" for k, v in fields.items() if k not in SKIPPED_KEYS]
    return key, scrub_text(title), scrub_text("\n".join(lines) or event)


class AlertHandler(logging.Handler):
    """A logging handler that turns the events worth an alert (see the module docstring) into alerts."""

    def __init__(self, notifier: Notifier, bot: str) -> None:
        super().__init__(level=logging.WARNING)
        self._notifier = notifier
        self._bot = bot

    def emit(self, record: logging.LogRecord) -> None:
        try:
            fields: Mapping[str, Any] = (
                record.msg if isinstance(record.msg, dict) else {"message": record.getMessage()}
            )
            event = str(fields.get("event", record.getMessage()))
            if record.name == __name__ or not wants_alert(event, record.levelno):
                return
            self._notifier.submit(*describe(event, fields, self._bot))
        except Exception:  # an alert must never break logging, let alone trading
            self.handleError(record)


def seconds_to_midnight() -> float:
    """Seconds until the next 00:00 UTC on this machine's clock."""
    return 86_400 - time.time() % 86_400


class DailySummary:
    """Sends ``compose()`` (title, body) through the notifier at each 00:00 UTC while the daemon runs."""

    def __init__(
        self,
        notifier: Notifier,
        compose: Callable[[], tuple[str, str]],
        wait_s: Callable[[], float] = seconds_to_midnight,
    ) -> None:
        self._notifier, self._compose, self._wait_s = notifier, compose, wait_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="spotbot-daily-summary", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._wait_s()):
            try:
                title, body = self._compose()
            except Exception as exc:  # a summary that cannot be written is skipped, never raised
                log.warning("daily_summary_failed: %s", type(exc).__name__)
                continue
            self._notifier.submit("daily_summary", scrub_text(title), scrub_text(body))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


@contextmanager
def alerting(
    urls: Sequence[str],
    bot: str,
    min_interval_s: float,
    send: Send | None = None,
    summary: Callable[[], tuple[str, str]] | None = None,
    summary_wait_s: Callable[[], float] = seconds_to_midnight,
) -> Iterator[Notifier | None]:
    """Alerts on while the block runs (nothing without ``urls``), and ``summary()`` sent every day at
    00:00 UTC; what is queued is sent at the end."""
    if not urls:
        yield None
        return
    notifier = Notifier(send or apprise_sender(urls), min_interval_s=min_interval_s)
    handler = AlertHandler(notifier, bot)
    daily = DailySummary(notifier, summary, summary_wait_s) if summary is not None else None
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield notifier
    finally:
        root.removeHandler(handler)
        if daily is not None:
            daily.close()
        notifier.close()
