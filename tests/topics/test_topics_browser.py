"""A real Chromium merges two topics on the topics page (confirming the dialog), sees the
relabelling finish, follows the count to the explorer, and renames the merged topic."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from topics_support import build_web_app, explorer_count, live_server, record_voices, run_jobs

from kizuna import Kizuna

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
VOICES = [
    "スタッフの対応がとても丁寧でした。",
    "従業員の態度が悪かったです。",
    "朝食がおいしかったです。",
    "部屋が広くて快適でした。",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed"),
]


@pytest.fixture
def server_url(kz: Kizuna) -> Iterator[str]:
    with live_server(build_web_app(kz)) as url:
        yield url


def test_merge_on_the_page_then_follow_the_count_to_the_explorer(
    kz: Kizuna, ws: Any, server_url: str
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    record_voices(kz, ws.workspace, VOICES)
    expected = explorer_count(kz, ws.workspace, topic="staff") + explorer_count(
        kz, ws.workspace, topic="food"
    )
    base = f"{server_url}/w/{ws.slug}/topics"
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1360, "height": 900}, locale="ja-JP")
            page.goto(f"{server_url}/login")
            page.fill("input[name=email]", ws.admin_email)
            page.fill("input[name=password]", ws.password)
            page.click("button[type=submit].primary")
            page.goto(base)
            assert page.locator("h1").inner_text() == "トピック"
            assert "スタッフ・接客" in page.locator("tr[data-topic=staff]").inner_text()
            form = page.locator("#merge-form")
            form.locator("select[name=sources]").select_option(["staff", "food"])
            form.locator("input[name=new_key]").fill("hospitality")
            form.locator("input[name=name_ja]").fill("おもてなし")
            form.locator("input[name=name_en]").fill("Hospitality")
            asked: list[str] = []
            page.once("dialog", lambda d: (asked.append(d.message), d.accept()))
            form.locator("button[type=submit]").click()
            page.wait_for_url(f"{base}?done=1")
            assert asked and "統合" in asked[0]
            assert "バックグラウンド" in page.locator("[role=status]").inner_text()
            run_jobs(kz, ws.workspace.id)
            page.reload()
            progress = page.locator("#relabel .relabel-progress").inner_text()
            assert progress == f"{len(VOICES)} / {len(VOICES)}"
            row = page.locator("tr[data-topic=hospitality]")
            assert "おもてなし" in row.inner_text()
            assert page.locator("tr[data-topic=staff]").count() == 0
            link = row.locator("a.count-all")
            assert int(link.inner_text()) == expected
            link.click()
            page.wait_for_url("**/voices?topic=hospitality")
            shown = page.locator(".voice-list li.voice")
            assert shown.count() == expected
            assert "おもてなし" in shown.first.inner_text()
            # A rename reaches the explorer at once: names are looked up by key.
            page.goto(base)
            rename = page.locator("tr[data-topic=hospitality] form").first
            rename.locator("input[name=name_ja]").fill("接客と食事")
            rename.locator("button[type=submit]").click()
            page.wait_for_url(f"{base}?done=1")
            page.goto(f"{server_url}/w/{ws.slug}/voices?topic=hospitality")
            assert "接客と食事" in page.locator(".voice-list").inner_text()
        finally:
            browser.close()
