"""A real Chromium visits every workspace page on a phone (390 × 844) and a desktop
(1280 × 800): no page scrolls sideways, the top bar stays a bar, and every nav link (the
admin menu's too) can be reached on the phone.

One server, one browser and one logged-in context per viewport serve the module; the
pages are page_tour.py's, over one demo workspace.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from page_tour import Tour, build_tour
from test_web_browser import CHROMIUM, CHROMIUM_ARGS, watch_policy
from web_support import build_web_app, live_server

from kizuna import Kizuna

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian chromium is not installed (`make browser-deps` or apt-get install chromium)",
    ),
]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}

# Whether the page is wider than the window, and if so the element that reaches furthest
# right outside any box that scrolls by itself (what to fix).
OVERFLOW = """() => {
  const root = document.documentElement;
  const width = root.clientWidth;
  if (root.scrollWidth <= width) { return null; }
  const scrolls = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const style = getComputedStyle(p);
      if (/(auto|scroll|hidden|clip)/.test(style.overflowX)) { return true; }
    }
    return false;
  };
  let widest = null, right = width;
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.right <= right + 0.5 || scrolls(el)) { continue; }
    right = box.right;
    widest = el;
  }
  const name = widest ? widest.tagName.toLowerCase() +
    (widest.id ? "#" + widest.id : "") +
    (widest.className && typeof widest.className === "string"
      ? "." + widest.className.trim().split(/\\s+/).join(".") : "") : "?";
  const text = widest ? (widest.innerText || "").trim().slice(0, 60) : "";
  return {scrollWidth: root.scrollWidth, clientWidth: width, widest: name,
          right: Math.round(right), text: text};
}"""

# A nav link can be reached when, once scrolled to, it lies inside the window.
REACHABLE = """(el) => {
  el.scrollIntoView({block: "nearest", inline: "nearest"});
  const box = el.getBoundingClientRect();
  const style = getComputedStyle(el);
  return style.visibility !== "hidden" && style.display !== "none" && box.width > 0 &&
    box.left >= -0.5 && box.right <= document.documentElement.clientWidth + 0.5;
}"""


@pytest.fixture(scope="module")
def tour(kz: Kizuna) -> Tour:
    return build_tour(kz, seed=23)


@pytest.fixture(scope="module")
def site(kz: Kizuna) -> Iterator[str]:
    """The app served on a free loopback port, in a thread, for the module."""
    with live_server(build_web_app(kz)) as url:
        yield url


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def logged_in(chromium: Any, site: str, tour: Tour, viewport: dict[str, int], lang: str) -> Any:
    """A page of a fresh context, logged in as the demo owner, in `lang`."""
    phone = viewport["width"] < 600
    context = chromium.new_context(
        viewport=viewport, locale="ja-JP", is_mobile=phone, has_touch=phone
    )
    page = context.new_page()
    # The demo's owner is one user in every demo workspace: ask for this one's home.
    page.goto(f"{site}/w/{tour.demo.slug}/")
    assert page.evaluate(OVERFLOW) is None, "the login page is wider than the window"
    page.fill("input[name=email]", tour.demo.admin_email)
    page.fill("input[name=password]", tour.demo.password)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{site}/w/{tour.demo.slug}/")
    if lang != "ja":
        page.click(f".lang-switch button[value={lang}]")
        page.wait_for_load_state()
    return page


def full_pages(tour: Tour) -> list[tuple[str, str]]:
    """The tour's pages, less the timeline fragments (HTMX swaps them into a profile), and
    an error page."""
    pages = [(what, path) for what, path in tour.pages if "/timeline?" not in path]
    return [*pages, ("page not found", f"/w/{tour.demo.slug}/no-such-page")]


def visit(page: Any, site: str, path: str) -> None:
    page.goto(site + path)
    page.wait_for_load_state("networkidle")
    if page.locator("#chart-nps").count():
        page.wait_for_function("document.documentElement.dataset.chartsReady === '2'")


@pytest.mark.parametrize(
    ("viewport", "lang"),
    [(PHONE, "ja"), (PHONE, "en"), (DESKTOP, "ja")],
    ids=["phone-ja", "phone-en", "desktop-ja"],
)
def test_no_page_scrolls_sideways(chromium, site: str, tour: Tour, viewport, lang: str) -> None:  # type: ignore[no-untyped-def]
    page = logged_in(chromium, site, tour, viewport, lang)
    blocked = watch_policy(page)
    wide: dict[str, Any] = {}
    tall: dict[str, int] = {}
    try:
        for what, path in full_pages(tour):
            visit(page, site, path)
            found = page.evaluate(OVERFLOW)
            if found:
                wide[what] = found
            bar = page.evaluate("document.querySelector('header.topbar').offsetHeight")
            if bar > 130:
                tall[what] = bar
    finally:
        page.context.close()
    size = f"{viewport['width']}×{viewport['height']}"
    assert wide == {}, f"pages wider than the window at {size} ({lang}): {wide}"
    assert tall == {}, f"the top bar is taller than two rows at {size}: {tall}"
    assert blocked == [], "nothing the pages need is refused by the Content-Security-Policy"


def test_every_nav_link_can_be_reached_on_a_phone(chromium, site: str, tour: Tour) -> None:  # type: ignore[no-untyped-def]
    page = logged_in(chromium, site, tour, PHONE, "ja")
    try:
        pages = full_pages(tour)
        some = [p for p in pages if p[0] in {"home", "segments", "members"}]
        some.append(next(p for p in pages if p[0].startswith("profile")))
        for what, path in some:
            visit(page, site, path)
            links = page.locator(".main-nav .nav-links a")
            assert links.count() >= 4, what
            for i in range(links.count()):
                assert links.nth(i).evaluate(REACHABLE), f"{what}: {links.nth(i).inner_text()}"
            menu = page.locator("details.admin-menu")
            menu.locator("summary").click()
            admin = page.locator(".admin-links a")
            assert admin.count() >= 4, what
            for i in range(admin.count()):
                assert admin.nth(i).is_visible() and admin.nth(i).evaluate(REACHABLE), (
                    f"{what}: {admin.nth(i).inner_text()}"
                )
            assert page.evaluate(OVERFLOW) is None, f"{what}: the open admin menu overflows"
            # A click elsewhere (the page's margin, under the bar) closes the menu (forms.js).
            bar = page.evaluate("document.querySelector('header.topbar').offsetHeight")
            page.mouse.click(4, bar + 6)
            assert not admin.first.is_visible(), what
        # Following a link of the admin menu lands on its page, marked as current.
        menu.locator("summary").click()
        admin.last.click()
        page.wait_for_load_state()
        assert page.locator(".admin-menu summary[aria-current=page]").count() == 1
    finally:
        page.context.close()
