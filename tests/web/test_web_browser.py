"""A real Chromium logs in through the form and sees the home page's Japanese figures and charts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from web_support import build_web_app, insert_feedback, live_server, recent_day

from kizuna import Kizuna

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian chromium is not installed (`make browser-deps` or apt-get install chromium)",
    ),
]


@pytest.fixture
def server_url(kz: Kizuna) -> Iterator[str]:
    """The app served on a free loopback port, in a thread."""
    with live_server(build_web_app(kz)) as url:
        yield url


def test_log_in_and_see_the_nps_chart(kz: Kizuna, ws, server_url: str, tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    days = [recent_day(m, 5) for m in range(4)]
    insert_feedback(
        kz,
        ws.workspace.id,
        [
            (day, channel, score)
            for day in days
            for channel in ("web", "store")
            for score in range(11)
        ],
    )
    shot = tmp_path / "home.png"
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1360, "height": 900}, locale="ja-JP")
            blocked = watch_policy(page)
            page.goto(f"{server_url}/w/{ws.slug}/")
            assert "/login" in page.url  # pages need a login first
            page.fill("input[name=email]", ws.admin_email)
            page.fill("input[name=password]", ws.password)
            page.click("button[type=submit].primary")
            page.wait_for_url(f"{server_url}/w/{ws.slug}/")
            assert page.locator(".metric-nps h2").inner_text() == "NPS"
            assert "95%信頼区間" in page.locator(".metric-nps .interval").inner_text()
            assert page.locator("h2", has_text="月次 NPS と 95%信頼区間").count() == 1
            canvas = page.locator("#chart-nps canvas")
            canvas.wait_for(timeout=10_000)
            box = canvas.bounding_box()
            assert box is not None and box["width"] > 300 and box["height"] > 200
            page.screenshot(path=str(shot), full_page=True)
            # The period buttons swap the figures in through HTMX; the chart is drawn again.
            page.click("button[data-window='3']")
            page.wait_for_url(f"{server_url}/w/{ws.slug}/?months=3")
            page.locator("#chart-nps canvas").wait_for(timeout=10_000)
        finally:
            browser.close()
    assert shot.stat().st_size > 10_000
    assert blocked == [], "nothing the pages need is refused by the Content-Security-Policy"


def watch_policy(page: Any) -> list[str]:
    """Console messages of anything the Content-Security-Policy refused, as they come."""
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return refused


def test_api_docs_page_runs_under_its_policy(server_url: str) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            blocked = watch_policy(page)
            page.goto(f"{server_url}/api/docs")
            title = page.locator(".swagger-ui .info .title")
            title.wait_for(timeout=15_000)
            assert "Kizuna API" in title.inner_text()
            # A script the page did not bring is still refused.
            page.evaluate(
                "() => { const s = document.createElement('script');"
                " s.textContent = 'window.injected = 1'; document.body.appendChild(s); }"
            )
            assert page.evaluate("() => window.injected") is None
        finally:
            browser.close()
    assert len(blocked) == 1 and "inline script" in blocked[0]
