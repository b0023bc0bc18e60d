"""A real Chromium filters the dashboard, opens a topic, lands in the voice explorer with the
same filter and its cues marked, and takes the voices and a widget away as CSV files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from dashboard_support import END, START, Demo, build_analysed_demo, web_app
from web_support import live_server

from kizuna import Kizuna

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian chromium is not installed (`make browser-deps` or apt-get install chromium)",
    ),
]


@pytest.fixture(scope="module")
def demo(kz: Kizuna) -> Demo:
    return build_analysed_demo(kz, "dashui")


@pytest.fixture(scope="module")
def site(kz: Kizuna) -> Iterator[str]:
    with live_server(web_app(kz)) as url:
        yield url


def _refused(page: Any) -> list[str]:
    refused: list[str] = []
    page.on(
        "console",
        lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return refused


def test_filter_open_a_topic_in_the_explorer_and_export(
    demo: Demo, site: str, tmp_path: Path
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                viewport={"width": 1360, "height": 900}, locale="ja-JP", accept_downloads=True
            )
            page = context.new_page()
            refused = _refused(page)
            page.goto(f"{site}/w/{demo.slug}/")
            page.fill("input[name=email]", demo.email)
            page.fill("input[name=password]", demo.password)
            page.click("button[type=submit].primary")
            page.wait_for_url(f"{site}/w/{demo.slug}/")
            # Filter: a period and a channel, through the form; the URL keeps them.
            form = page.locator("#dashboard-filter")
            form.locator("input[name=from]").fill(START.isoformat())
            form.locator("input[name=to]").fill(END.isoformat())
            form.locator("select[name=channel]").select_option("web")
            form.locator("button[type=submit]").click()
            page.wait_for_url("**channel=web**")
            query = parse_qs(urlsplit(page.url).query)
            assert query["from"] == [START.isoformat()] and query["channel"] == ["web"]
            assert page.locator("select[name=channel]").input_value() == "web"
            # The charts are drawn (a canvas each), with a table view one click away.
            page.wait_for_function("document.documentElement.dataset.dashboardReady >= '1'")
            page.locator("#chart-sentiment canvas").wait_for(timeout=10_000)
            page.locator("#widget-sentiment details summary").click()
            assert page.locator("#widget-sentiment details table tbody tr").count() >= 1
            # A widget as CSV, for the same filter.
            with page.expect_download() as got:
                page.locator("#widget-topics a[data-csv=topics]").click()
            topics_csv = tmp_path / "topics.csv"
            got.value.save_as(topics_csv)
            assert topics_csv.read_text(encoding="utf-8-sig").startswith("topic,voices,")
            # Open the most mentioned topic: the explorer, same period and channel.
            first = page.locator("a.topic-link").first
            topic_name = first.inner_text()
            first.click()
            page.wait_for_url("**/voices?**")
            landed = parse_qs(urlsplit(page.url).query)
            assert landed["channel"] == ["web"]
            assert landed["since"] == [START.isoformat()] and landed["until"] == [END.isoformat()]
            assert landed["topic"] and topic_name
            assert page.locator("input[name=channel]").input_value() == "web"
            assert page.locator("input[name=since]").input_value() == START.isoformat()
            # The cues behind each voice's reading are highlighted.
            page.locator("mark.cue").first.wait_for(timeout=10_000)
            assert page.locator("mark.cue").count() >= 1
            # ...and the voices leave as a file.
            with page.expect_download() as got:
                page.locator(".export-links a", has_text="CSV").click()
            voices_csv = tmp_path / "voices.csv"
            got.value.save_as(voices_csv)
            lines = voices_csv.read_text(encoding="utf-8-sig").splitlines()
            assert len(lines) >= 2
        finally:
            browser.close()
    assert refused == [], "nothing the pages need is refused by the Content-Security-Policy"
