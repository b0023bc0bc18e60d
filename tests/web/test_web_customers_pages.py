"""Customer 360 pages: the customer list, the profile with its context card, the work list,
segments with live counts and CSRF, and every new string translated."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape

import pytest
from fastapi.testclient import TestClient
from test_web_customers_api import Demo, build_scored_demo, person_ids
from web_support import build_web_app, csrf_from, log_in

from kizuna import Kizuna
from kizuna.customers import pages
from kizuna.customers.context import context_card
from kizuna.customers.models import Customer
from kizuna.customers.profile import customer_timeline
from kizuna.i18n.vocabulary import label, labels_of


@pytest.fixture(scope="module")
def demo(kz: Kizuna) -> Demo:
    return build_scored_demo(kz, seed=12)


@pytest.fixture(scope="module")
def app(kz: Kizuna):  # type: ignore[no-untyped-def]
    return build_web_app(kz)


@pytest.fixture
def browser(app, demo: Demo) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    """A logged-in user of the demo workspace (Japanese, the user's language)."""
    client = TestClient(app)
    log_in(client, demo.admin_email, demo.password)
    yield client


def visible_text(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", html))


def test_customer_list_searches_by_name_and_external_id(browser, kz, demo) -> None:
    base = f"/w/{demo.slug}/customers"
    page = browser.get(base)
    assert page.status_code == 200
    assert "顧客" in page.text and "ライフサイクル" in page.text and "離反リスク" in page.text
    with kz.session() as session:
        someone = session.get(Customer, person_ids(kz, demo.workspace)[3])
        assert someone is not None and someone.name
        name, external_id = someone.name, someone.external_id
    found = browser.get(base, params={"q": name}).text
    assert name in found and f'href="{base}/{someone.id}"' in found
    by_id = browser.get(base, params={"q": external_id}).text
    assert f'href="{base}/{someone.id}"' in by_id
    nobody = browser.get(base, params={"q": "zz-no-such-person"}).text
    assert "に一致する顧客はいません" in nobody


def test_customer_list_sorts_by_churn_risk(browser, demo) -> None:
    page = browser.get(f"/w/{demo.slug}/customers", params={"sort": "churn"}).text
    risks = [int(v) for v in re.findall(r'class="meter-value">(\d+)%<', page)]
    assert len(risks) > 5
    assert risks == sorted(risks, reverse=True)


def test_profile_shows_the_name_and_the_context_card_in_japanese(browser, kz, demo) -> None:
    customer_id = person_ids(kz, demo.workspace)[0]
    page = browser.get(f"/w/{demo.slug}/customers/{customer_id}")
    assert page.status_code == 200
    with kz.session() as session:
        customer = session.get(Customer, customer_id)
        assert customer is not None
        card = context_card(session, demo.workspace, customer_id)
    text = visible_text(page.text)
    assert customer.name and customer.name in text
    assert "お客様と話す前に" in text
    assert card.summary_ja in text
    assert "次に取るべきアクション" in text and "タイムライン" in text
    if card.lifecycle_stage:
        assert label("lifecycle_stage", card.lifecycle_stage, "ja") in text
    token = csrf_from(page.text)
    browser.post("/lang", data={"lang": "en", "next": "/", "csrf_token": token})
    english = visible_text(browser.get(f"/w/{demo.slug}/customers/{customer_id}").text)
    assert "Before you talk to this customer" in english and card.summary_en in english


def test_timeline_more_loads_the_next_page_as_a_fragment(browser, kz, demo) -> None:
    with kz.session() as session:
        for customer_id in person_ids(kz, demo.workspace):
            first = customer_timeline(
                session, demo.workspace, customer_id, limit=pages.TIMELINE_PAGE
            )
            if first.next_cursor:
                break
        else:
            pytest.fail("no demo customer has more than one page of timeline")
    profile = browser.get(f"/w/{demo.slug}/customers/{customer_id}").text
    shown = set(re.findall(r'data-item="([a-z]+-\d+)"', profile))
    assert len(shown) == pages.TIMELINE_PAGE
    more = re.search(r'hx-get="([^"]+/timeline\?cursor=[^"]+)"', profile)
    assert more, "the profile offers a 'more' button while items remain"
    fragment = browser.get(unescape(more.group(1)))
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    following = re.findall(r'data-item="([a-z]+-\d+)"', fragment.text)
    assert following and not shown & set(following)


def test_work_list_is_most_urgent_first_and_links_to_customers(browser, demo) -> None:
    page = browser.get(f"/w/{demo.slug}/actions")
    assert page.status_code == 200
    assert "ワークリスト" in page.text
    priorities = [int(p) for p in re.findall(r'<span class="priority">P(\d+)</span>', page.text)]
    assert priorities and priorities == sorted(priorities)
    linked = re.findall(rf'href="/w/{demo.slug}/customers/(\d+)"', page.text)
    assert len(linked) == len(priorities)


def test_the_work_list_is_paged_and_counts_the_whole_list(browser, demo, monkeypatch) -> None:
    monkeypatch.setattr(pages, "WORKLIST_PAGE", 12)  # the small demo fills a few pages
    first = browser.get(f"/w/{demo.slug}/actions")
    rows = re.findall(r'<span class="priority">P(\d+)</span>', first.text)
    assert len(rows) == pages.WORKLIST_PAGE
    total = int(re.search(r'<span class="count">(\d+)</span>', first.text).group(1))
    assert total > pages.WORKLIST_PAGE
    assert 'rel="next"' in first.text and 'rel="prev"' not in first.text
    second = browser.get(f"/w/{demo.slug}/actions?page=2")
    more = re.findall(r'<span class="priority">P(\d+)</span>', second.text)
    assert more and int(more[0]) >= int(rows[-1])  # most urgent first, across pages
    last = -(-total // pages.WORKLIST_PAGE)
    final = browser.get(f"/w/{demo.slug}/actions?page={last + 5}")  # past the end: the last page
    left = re.findall(r'<span class="priority">P(\d+)</span>', final.text)
    assert len(left) == total - (last - 1) * pages.WORKLIST_PAGE
    assert 'rel="next"' not in final.text


def test_segment_form_creates_counts_and_deletes_with_csrf(browser, kz, demo) -> None:
    base = f"/w/{demo.slug}/segments"
    page = browser.get(base)
    assert page.status_code == 200 and "新しいセグメント" in page.text
    token = csrf_from(page.text)
    form = {
        "name": "ロイヤル層",
        "field": ["lifecycle_stage", ""],
        "op": ["in", "eq"],
        "value": ["loyal、active", ""],
    }
    live = browser.post(f"{base}/count", data=form, headers={"X-CSRF-Token": token})
    count = int(re.search(r'data-count="(\d+)"', live.text).group(1))  # type: ignore[union-attr]
    api = TestClient(browser.app, headers={"X-API-Key": demo.api_key})
    expected = api.post(
        "/api/v1/segments/count",
        json={
            "conditions": [{"field": "lifecycle_stage", "op": "in", "value": ["loyal", "active"]}]
        },
    ).json()["customers"]
    assert count == expected > 0
    assert browser.post(base, data=form, follow_redirects=False).status_code == 403
    assert browser.post(f"{base}/count", data=form).status_code == 403
    assert "ロイヤル層" not in browser.get(base).text
    made = browser.post(base, data={**form, "csrf_token": token}, follow_redirects=False)
    assert made.status_code == 303
    listing = browser.get(base).text
    row = re.search(
        r'data-segment="(\d+)".*?<strong[^>]*>ロイヤル層</strong>.*?<strong>([\d,]+)</strong>',
        listing,
        re.S,
    )
    assert row and int(row.group(2).replace(",", "")) == expected
    segment_id = row.group(1)
    delete = f"{base}/{segment_id}/delete"
    assert browser.post(delete, follow_redirects=False).status_code == 403
    assert (
        browser.post(delete, data={"csrf_token": token}, follow_redirects=False).status_code == 303
    )
    assert "ロイヤル層" not in browser.get(base).text


def test_segment_form_explains_a_bad_value_in_japanese(browser, demo) -> None:
    base = f"/w/{demo.slug}/segments"
    token = csrf_from(browser.get(base).text)
    form = {"name": "x", "field": ["churn_probability"], "op": ["gte"], "value": ["高い"]}
    answer = browser.post(base, data={**form, "csrf_token": token})
    assert answer.status_code == 422
    assert "数値ではありません" in answer.text
    # The field is named as the form names it, not by its code.
    assert "離反リスクには数値" in answer.text
    assert "churn_probability" not in visible_text(answer.text)
    live = browser.post(f"{base}/count", data=form, headers={"X-CSRF-Token": token})
    assert live.status_code == 200 and "数値ではありません" in live.text


def test_another_workspaces_customer_is_not_found_from_this_workspace(
    browser, app, demo, ws
) -> None:
    other = TestClient(app, headers={"X-API-Key": ws.api_key})
    theirs = other.post("/api/v1/customers", json={"external_id": "B-9", "name": "別 太郎"})
    answer = browser.get(f"/w/{demo.slug}/customers/{theirs.json()['id']}")
    assert answer.status_code == 404
    assert "別 太郎" not in answer.text
    assert (
        browser.get(f"/w/{ws.slug}/customers").status_code == 404
    )  # same as a slug that does not exist


def test_pages_need_a_login(app, demo) -> None:
    client = TestClient(app)
    for path in ("customers", "actions", "segments"):
        answer = client.get(f"/w/{demo.slug}/{path}", follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/login?next=")


def test_every_segment_field_and_operator_is_named() -> None:
    assert set(pages.SEGMENT_FIELDS) <= set(labels_of("segment_field", "ja"))
    ops = {"eq", "ne", "in", "gte", "lte", "contains"}
    assert ops <= set(labels_of("segment_op", "ja"))
    for field, kind in pages.SEGMENT_VALUE_KINDS.items():
        assert field in pages.SEGMENT_FIELDS and labels_of(kind, "ja"), field
