"""A real Chromium on a phone (390 × 844) answers a survey with logic and leaves a partial
answer; the page is accessible (labels, keyboard, focus, AA contrast) and needs nothing the
Content-Security-Policy refuses. The widget opens the survey on another site that is allowed
to frame it."""

from __future__ import annotations

import functools
import http.server
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from survey_support import SurveyWorld, web_client
from test_web_browser import CHROMIUM, CHROMIUM_ARGS, watch_policy
from web_support import live_server

from kizuna.surveys.models import SurveyResponse
from kizuna.surveys.service import update_policy

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed"),
]

PHONE = {"width": 390, "height": 844}

# Contrast of an element's text on its background (WCAG 2.1 relative luminance).
CONTRAST = """(el) => {
  const parse = (c) => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = (rgb) => {
    const [r, g, b] = rgb.map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const style = getComputedStyle(el);
  const a = lum(parse(style.color)), b = lum(parse(style.backgroundColor));
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""
UNLABELLED = """() => [...document.querySelectorAll("input:not([type=hidden]), textarea, select")]
  .filter((el) => !el.closest(".hp"))
  .filter((el) => !el.closest("label") && !el.getAttribute("aria-label") &&
                  !(el.id && document.querySelector(`label[for="${el.id}"]`)))
  .map((el) => el.name)"""
OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture
def site(world: SurveyWorld) -> Iterator[str]:
    from kizuna import Kizuna
    from kizuna.web import create_app

    settings = world.kz.settings.model_copy(update={"embedded_worker": False})
    with live_server(create_app(Kizuna(settings, engine=world.kz.engine))) as url:
        yield url


def responses(world: SurveyWorld) -> list[SurveyResponse]:
    with world.kz.session() as session:
        return list(
            session.scalars(
                select(SurveyResponse).where(SurveyResponse.survey_id == world.survey_id)
            )
        )


def wait_for(check: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_a_phone_answers_with_logic_and_leaves_a_partial_answer(
    world: SurveyWorld, site: str, tmp_path: Path
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=PHONE, locale="ja-JP", has_touch=True, is_mobile=True)
            blocked = watch_policy(page)
            page.goto(f"{site}/s/{world.key}?store=shibuya")
            assert page.evaluate(OVERFLOW) <= 0, "the page scrolls sideways on a phone"
            assert page.evaluate(UNLABELLED) == []
            assert page.locator("legend", has_text="すすめる可能性").count() == 1
            # Keyboard: into the scale, arrows move the choice, Enter sends the page.
            page.locator("input[name='q.nps'][value='0']").focus()
            for _ in range(3):
                page.keyboard.press("ArrowRight")
            assert page.locator("input[name='q.nps']:checked").get_attribute("value") == "3"
            outline = page.evaluate(
                "() => getComputedStyle(document.activeElement.nextElementSibling).outlineStyle"
            )
            assert outline != "none", "the focused choice shows where focus is"
            button = page.locator("button.next")
            assert page.evaluate(CONTRAST, button.element_handle()) >= 4.5
            page.screenshot(path=str(tmp_path / "page1.png"), full_page=True)
            button.click()
            page.wait_for_url("**p=1**")
            # The detractor's follow-up, and not the promoter's.
            assert page.locator("label", has_text="残念だった点").count() == 1
            assert page.locator("text=特にご満足").count() == 0
            assert page.evaluate(OVERFLOW) <= 0
            page.fill("textarea[name='q.disappointed']", "チェックインに30分かかりました")
            # Saved as they go: the autosave stores the text without pressing Next.
            saved = wait_for(lambda: [r for r in responses(world) if r.answers.get("disappointed")])
            assert saved[0].state == "partial"
            page.close()  # the respondent closes the tab here
            assert blocked == [], "nothing the page needs is refused by its policy"
        finally:
            browser.close()
    [left] = responses(world)
    assert left.state == "partial" and left.answers["nps"] == 3
    assert left.answers["disappointed"] == "チェックインに30分かかりました"
    assert left.hidden == {"store": "shibuya"}


def test_the_core_questions_work_without_javascript(world: SurveyWorld, site: str) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=PHONE, locale="en-US", java_script_enabled=False)
            page = context.new_page()
            page.goto(f"{site}/s/{world.key}")
            page.locator("label.score", has_text="10").click()
            page.click("button.next")
            page.fill("textarea[name='q.delighted']", "Lovely breakfast")
            page.click("button.next")
            page.locator("label", has_text="Yes").click()
            page.click("button.next")
            assert page.locator("h1", has_text="Thank you!").count() == 1
        finally:
            browser.close()
    [done] = responses(world)
    assert done.state == "completed" and done.answers == {
        "nps": 10,
        "delighted": "Lovely breakfast",
        "contact_ok": True,
    }


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def _other_site(script: str) -> tuple[str, http.server.ThreadingHTTPServer]:
    folder = Path(__import__("tempfile").mkdtemp())
    (folder / "index.html").write_text(
        f"<!doctype html><html><body><h1>Shop</h1>{script}</body></html>", encoding="utf-8"
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://localhost:{port}", server


def test_the_widget_shows_the_survey_on_an_allowed_site_only(world: SurveyWorld, site: str) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    tag = f'<script src="{site}/s/widget.js" data-survey="{world.key}" data-delay="0" data-lang="ja" async></script>'
    shop, server = _other_site(tag)
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport=PHONE)
                requests: list[str] = []
                page.on("request", lambda request: requests.append(request.url))
                page.goto(f"{shop}/index.html")
                page.wait_for_selector(f"#kizuna-survey-{world.key} iframe")
                frame = page.frame_locator(f"#kizuna-survey-{world.key} iframe")
                time.sleep(1.0)
                assert frame.locator("form.kz-survey").count() == 0  # not allowed yet
                with world.kz.session() as session:
                    update_policy(session, session.merge(world.workspace), allowed_origins=[shop])
                page.evaluate("localStorage.clear()")
                page.reload()
                frame = page.frame_locator(f"#kizuna-survey-{world.key} iframe")
                frame.locator("form.kz-survey").wait_for(timeout=10_000)
                assert frame.locator("legend", has_text="すすめる可能性").count() == 1
                foreign = [u for u in requests if not u.startswith((site, shop))]
                assert foreign == [], "the widget asks nobody but Kizuna"
            finally:
                browser.close()
    finally:
        server.shutdown()
        server.server_close()
    assert web_client(world.kz).get("/s/widget.js").status_code == 200
