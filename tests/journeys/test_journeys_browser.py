"""A real Chromium goes from the journey page to a touchpoint's quotes, then to the journey
map and downloads its PDF; the charts draw without the Content-Security-Policy refusing
anything, and the journey page fits a phone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from journey_support import Demo, build_demo_workspace, build_web_app, live_server

from kizuna import Kizuna
from kizuna.journeys.aggregate import refresh_journey

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
WIDER_THAN_WINDOW = "document.scrollingElement.scrollWidth > document.documentElement.clientWidth"


@pytest.fixture(scope="module")
def demo(kz: Kizuna) -> Demo:
    made = build_demo_workspace(kz, seed=8)
    refresh_journey(kz, made.workspace, "all", "365d")
    return made


@pytest.fixture(scope="module")
def site(kz: Kizuna) -> Iterator[str]:
    with live_server(build_web_app(kz)) as url:
        yield url


def quoted_touchpoint(kz: Kizuna, demo: Demo) -> dict[str, Any]:
    app = build_web_app(kz)
    result = (
        TestClient(app, headers={"X-API-Key": demo.api_key})
        .get("/api/v1/journeys/analytics")
        .json()["result"]
    )
    return max(result["touchpoints"], key=lambda t: (len(t["quotes"]), t["voices"]))


def test_from_the_journey_to_a_touchpoints_quotes_to_the_map_export(
    kz: Kizuna, demo: Demo, site: str, tmp_path: Path
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    touchpoint = quoted_touchpoint(kz, demo)
    assert touchpoint["quotes"], "the demo has voices at its busiest touchpoint"
    refused: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                viewport={"width": 1360, "height": 900}, locale="ja-JP", accept_downloads=True
            )
            page = context.new_page()
            page.on(
                "console",
                lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
            )
            page.goto(f"{site}/w/{demo.slug}/journeys")
            page.fill("input[name=email]", demo.admin_email)
            page.fill("input[name=password]", demo.password)
            page.click("button[type=submit].primary")
            page.wait_for_url(f"{site}/w/{demo.slug}/journeys")
            assert page.locator("h1").inner_text() == "カスタマージャーニー"
            # ECharts drew the funnel, the curve and the graph (a canvas in each box).
            for kind in ("funnel", "curve", "graph"):
                page.locator(f"[data-journey-chart={kind}] canvas").first.wait_for()
            page.screenshot(path=str(tmp_path / "journey.png"), full_page=True)
            link = page.locator("#touchpoints a", has_text=touchpoint["touchpoint"]).first
            link.click()
            page.wait_for_url("**/journeys/touchpoint?**")
            assert page.locator("#touchpoint-name").inner_text() == touchpoint["touchpoint"]
            quotes = page.locator("#quotes blockquote.quote")
            assert quotes.count() == len(touchpoint["quotes"])
            assert touchpoint["quotes"][0]["text"][:15] in quotes.first.inner_text()
            page.click("#to-map")
            page.wait_for_url("**/journeys/map?**")
            page.wait_for_load_state("networkidle")
            image = page.locator(".map-frame img")
            assert image.evaluate("img => img.complete && img.naturalWidth > 1000")
            with page.expect_download() as download:
                page.click("#export-pdf")
            saved = tmp_path / "map.pdf"
            download.value.save_as(saved)
            pdf = saved.read_bytes()
            assert pdf.startswith(b"%PDF") and b"NotoSansCJK" in pdf
            assert download.value.suggested_filename.endswith(".pdf")
            phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="ja-JP")
            phone.add_cookies(context.cookies())
            small = phone.new_page()
            for path in ("journeys", "journeys/map", "journeys/settings"):
                small.goto(f"{site}/w/{demo.slug}/{path}")
                small.wait_for_load_state("networkidle")
                assert not small.evaluate(WIDER_THAN_WINDOW), f"{path} scrolls sideways on a phone"
        finally:
            browser.close()
    assert refused == [], "the Content-Security-Policy refused nothing the pages need"
