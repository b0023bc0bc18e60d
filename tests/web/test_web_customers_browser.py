"""A real Chromium opens a customer's profile and loads more of the timeline through HTMX."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_web_browser import (  # noqa: F401 (server_url is a fixture)
    CHROMIUM,
    CHROMIUM_ARGS,
    server_url,
    watch_policy,
)
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
            # Locator waits, not wait_for_function: the policy forbids evaluating strings.
            items.nth(pages.TIMELINE_PAGE).wait_for()
            all_ids = items.evaluate_all("els => els.map(e => e.dataset.item)")
            assert len(all_ids) == len(set(all_ids)), "no item appears twice"
            assert first_ids < set(all_ids)
        finally:
            browser.close()
    assert shot.stat().st_size > 10_000


def test_segment_builder_removes_rows_and_asks_before_deleting(
    kz: Kizuna,
    ws: Any,
    server_url: str,  # noqa: F811
) -> None:
    """Page behaviour lives in /static scripts; the policy forbids inline handlers."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(locale="ja-JP")
            blocked = watch_policy(page)
            target = f"{server_url}/w/{ws.slug}/segments"
            page.goto(target)
            page.fill("input[name=email]", ws.admin_email)
            page.fill("input[name=password]", ws.password)
            page.click("button[type=submit].primary")
            page.wait_for_url(target)
            rows = page.locator("#condition-rows .condition-row")
            page.click("button[hx-get$='/segments/row']")
            sync_api.expect(rows).to_have_count(2)
            rows.nth(1).locator("button[data-remove-row]").click()
            rows.nth(0).locator("button[data-remove-row]").click()
            assert rows.count() == 0
            page.fill("input[name=name]", "全員")
            page.click("#segment-form button[type=submit]")
            page.wait_for_url(target)
            saved = page.locator("li[data-segment]", has_text="全員")
            assert saved.count() == 1
            page.once("dialog", lambda dialog: dialog.dismiss())
            saved.locator("button.danger").click()
            assert saved.count() == 1, "dismissing the question keeps the segment"
            questions: list[str] = []

            def accept(dialog: Any) -> None:
                questions.append(dialog.message)
                dialog.accept()

            page.once("dialog", accept)
            saved.locator("button.danger").click()
            page.wait_for_url(target)
            sync_api.expect(page.locator("li[data-segment]")).to_have_count(0)
        finally:
            browser.close()
    assert questions == ["このセグメントを削除しますか?"]
    assert blocked == []
