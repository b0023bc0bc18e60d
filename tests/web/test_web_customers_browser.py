"""A real Chromium opens a customer's profile and loads more of the timeline through HTMX."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_web_browser import CHROMIUM, CHROMIUM_ARGS, server_url  # noqa: F401 (fixture)
from test_web_customers_api import build_scored_demo, person_ids

from kizuna import Kizuna
from kizuna.customers import pages
from kizuna.customers.profile import customer_timeline

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian chromium is not installed (`make browser-deps` or apt-get install chromium)",
    ),
]


def test_open_a_profile_and_load_more_of_the_timeline(
    kz: Kizuna,
    server_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    demo = build_scored_demo(kz, seed=13)
    with kz.session() as session:
        customer_id = next(
            cid
            for cid in person_ids(kz, demo.workspace)
            if customer_timeline(
                session, demo.workspace, cid, limit=pages.TIMELINE_PAGE
            ).next_cursor
        )
    shot = tmp_path / "profile.png"
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1360, "height": 900}, locale="ja-JP")
            target = f"{server_url}/w/{demo.slug}/customers/{customer_id}"
            page.goto(target)
            assert "/login" in page.url
            page.fill("input[name=email]", demo.admin_email)
            page.fill("input[name=password]", demo.password)
            page.click("button[type=submit].primary")
            page.wait_for_url(target)
            assert page.locator("#cc-title").inner_text() == "お客様と話す前に"
            items = page.locator("#timeline li.tl-item")
            assert items.count() == pages.TIMELINE_PAGE
            first_ids = set(items.evaluate_all("els => els.map(e => e.dataset.item)"))
            page.screenshot(path=str(shot), full_page=True)
            page.click("#timeline [data-more]")
            page.wait_for_function(
                f"document.querySelectorAll('#timeline li.tl-item').length > {pages.TIMELINE_PAGE}"
            )
            all_ids = items.evaluate_all("els => els.map(e => e.dataset.item)")
            assert len(all_ids) == len(set(all_ids)), "no item appears twice"
            assert first_ids < set(all_ids)
        finally:
            browser.close()
    assert shot.stat().st_size > 10_000
