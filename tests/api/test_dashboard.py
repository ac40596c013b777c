"""The dashboard in a real browser (Playwright driving Debian's chromium) against a running daemon:
the page loads with no network beyond the bot, shows the equity the API reports, and its Halt button
(token prompt) changes the trading state in the audit DB."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from bot.adapters.audit import SqlAuditStore
from bot.domain import TradingState
from tests.api.test_api_daemon import TOKEN, running_daemon, wait_for

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed (.ci/run installs it)"
)
def test_the_dashboard_shows_the_bot_and_halts_it(tmp_path: Path, db_url: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    with running_daemon(tmp_path, db_url, "dash") as (address, client), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        outside: list[str] = []
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(address) else None)
        page.goto(address + "/")

        expect(page.locator("#equity")).to_have_text(re.compile(r"[0-9]"), timeout=30_000)
        shown = float(page.text_content("#equity").replace(",", ""))  # type: ignore[union-attr]
        reported = float(client.get("/api/v1/status").json()["equity"])
        assert shown == pytest.approx(reported, rel=0.02)  # it ticks on between the two reads
        assert page.text_content("#state") == "ACTIVE"
        page.wait_for_selector("#curve polyline", state="attached", timeout=30_000)
        page.screenshot(path=str(tmp_path / "dashboard.png"))

        page.on("dialog", lambda dialog: dialog.accept(TOKEN))
        page.click("#halt")
        expect(page.locator("#state")).to_have_text("HALTED", timeout=30_000)
        browser.close()
        assert outside == [], "the page loads nothing from elsewhere"
    with SqlAuditStore(db_url, venue="paper") as store:
        event = store.latest_trading_state("dash")
    assert event is not None and (event.state, event.reason, event.actor) == (
        TradingState.HALTED,
        "dashboard",
        "api:api",
    )
    assert wait_for(lambda: (tmp_path / "dashboard.png").stat().st_size > 10_000, "a screenshot")
