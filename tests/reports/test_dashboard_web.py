"""The dashboard as people use it: filters in the URL that every widget obeys, a CSV download
per widget, targets that analysts set and viewers read, in Japanese and English."""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from dashboard_support import END, START, Demo, build_analysed_demo, web_app
from fastapi.testclient import TestClient
from web_support import csrf_from, log_in

from kizuna import Kizuna
from kizuna.accounts.service import add_member, create_user
from kizuna.reports.dashboard_csv import WIDGETS
from kizuna.reports.service import compute_metric

PASSWORD = "correct horse battery"
PERIOD = {"from": START.isoformat(), "to": END.isoformat()}


@pytest.fixture(scope="module")
def demo(kz: Kizuna) -> Demo:
    return build_analysed_demo(kz, "dashweb")


@pytest.fixture(scope="module")
def app(kz: Kizuna) -> Any:
    return web_app(kz)


@pytest.fixture(scope="module")
def member_of(kz: Kizuna, demo: Demo, app: Any) -> Any:
    """A logged-in client of the demo workspace in a given role."""
    clients: dict[str, TestClient] = {}

    def client(role: str) -> TestClient:
        if role not in clients:
            email = f"{role}-{demo.slug}@example.com"
            with kz.session() as session:
                user = create_user(session, email, PASSWORD)
                add_member(session, kz.workspace(session, demo.slug), user, role)
            clients[role] = TestClient(app)
            log_in(clients[role], email, PASSWORD)
        return clients[role]

    return client


def _csv(answer: Any) -> list[dict[str, str]]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    return list(csv.DictReader(io.StringIO(answer.text.lstrip("\ufeff"))))


def test_every_widget_obeys_the_filter_and_links_keep_it(
    kz: Kizuna, demo: Demo, member_of: Any
) -> None:
    client = member_of("viewer")
    page = client.get(f"/w/{demo.slug}/", params={**PERIOD, "channel": "web"})
    assert page.status_code == 200
    html = page.text
    # The filter form shows the choice; every CSV link and topic link carries the filter.
    assert '<option value="web" selected' in html
    csv_links = [part.split('"', 1)[0] for part in html.split('href="/w/')[1:] if ".csv?" in part]
    assert {link.split("/dashboard/")[1].split(".csv")[0] for link in csv_links} == set(WIDGETS)
    for link in csv_links:
        query = parse_qs(urlsplit(link.replace("&amp;", "&")).query)
        assert query["channel"] == ["web"] and query["from"] == [START.isoformat()]
    topic_links = [
        part.split('"', 1)[0].replace("&amp;", "&")
        for part in html.split('class="topic-link" href="')[1:]
    ]
    assert topic_links, "the demo's voices have topics"
    query = parse_qs(urlsplit(topic_links[0]).query)
    assert urlsplit(topic_links[0]).path == f"/w/{demo.slug}/voices"
    assert query["channel"] == ["web"]
    assert query["since"] == [START.isoformat()] and query["until"] == [END.isoformat()]
    # The numbers are the channel's, not the whole workspace's.
    rows = _csv(client.get(f"/w/{demo.slug}/dashboard/metrics.csv", params=PERIOD))
    web_rows = _csv(
        client.get(f"/w/{demo.slug}/dashboard/metrics.csv", params={**PERIOD, "channel": "web"})
    )
    by_channel = compute_metric(kz, demo.workspace, "nps", by=("channel",), start=START, end=END)
    web = next(r for r in by_channel.to_records() if r["channel"] == "web")
    nps_all = next(r for r in rows if r["metric"] == "nps")
    nps_web = next(r for r in web_rows if r["metric"] == "nps")
    assert int(nps_web["n"]) == web["n"] < int(nps_all["n"])
    assert float(nps_web["value"]) == pytest.approx(web["value"], abs=1e-4)
    assert float(nps_web["ci_low"]) == pytest.approx(web["ci_low"], abs=1e-4)
    channels = _csv(
        client.get(f"/w/{demo.slug}/dashboard/channels.csv", params={**PERIOD, "channel": "web"})
    )
    assert [r["channel"] for r in channels] == ["web"]


def test_each_widget_downloads_as_csv(demo: Demo, member_of: Any) -> None:
    client = member_of("viewer")
    for widget in WIDGETS:
        rows = _csv(client.get(f"/w/{demo.slug}/dashboard/{widget}.csv", params=PERIOD))
        if widget != "drivers":
            assert rows, widget
    topics = _csv(client.get(f"/w/{demo.slug}/dashboard/topics.csv", params=PERIOD))
    assert {"topic", "voices", "change", "trend"} <= set(topics[0])
    assert {r["trend"] for r in topics} <= {"rising", "falling", "steady"}
    missing = client.get(f"/w/{demo.slug}/dashboard/nothing.csv")
    assert missing.status_code == 404


def test_a_wrong_period_says_what_to_do(demo: Demo, member_of: Any) -> None:
    client = member_of("viewer")
    answer = client.get(f"/w/{demo.slug}/", params={"from": "2026-05-01", "to": "2026-04-01"})
    assert answer.status_code == 422
    assert "入れ替えてください" in answer.text
    bad = client.get(f"/w/{demo.slug}/", params={"segment": "vip"})
    assert bad.status_code == 422
    assert "一覧から選んでください" in bad.text


def test_analysts_set_targets_and_viewers_read_them(demo: Demo, member_of: Any) -> None:
    viewer, analyst = member_of("viewer"), member_of("analyst")
    token = csrf_from(viewer.get(f"/w/{demo.slug}/").text)
    refused = viewer.post(
        f"/w/{demo.slug}/dashboard/targets",
        data={"nps": "30", "csrf_token": token},
        follow_redirects=False,
    )
    assert refused.status_code == 403
    home = analyst.get(f"/w/{demo.slug}/").text
    assert 'action="/w/' in home and "/dashboard/targets" in home
    no_token = analyst.post(
        f"/w/{demo.slug}/dashboard/targets", data={"nps": "30"}, follow_redirects=False
    )
    assert no_token.status_code == 403
    saved = analyst.post(
        f"/w/{demo.slug}/dashboard/targets",
        data={"nps": "30", "csat": "95", "ces": "", "csrf_token": csrf_from(home)},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    page = viewer.get(f"/w/{demo.slug}/", params=PERIOD).text
    assert "/dashboard/targets" not in page  # viewers read, they get no form
    card = page.split('data-target="nps"', 1)[1].split("</div>", 1)[0]
    assert "目標" in card and "+30.0" in card
    rows = _csv(viewer.get(f"/w/{demo.slug}/dashboard/metrics.csv", params=PERIOD))
    nps = next(r for r in rows if r["metric"] == "nps")
    assert float(nps["target"]) == 30.0
    assert float(nps["gap"]) == pytest.approx(float(nps["value"]) - 30.0, abs=1e-3)
    bad = analyst.post(
        f"/w/{demo.slug}/dashboard/targets",
        data={"nps": "300", "csrf_token": csrf_from(home)},
        follow_redirects=False,
    )
    assert bad.status_code == 422 and "-100 から 100" in bad.text


def test_the_dashboard_speaks_english_too(demo: Demo, member_of: Any) -> None:
    client = member_of("agent")
    token = csrf_from(client.get(f"/w/{demo.slug}/").text)
    client.post("/lang", data={"lang": "en", "next": "/", "csrf_token": token})
    page = client.get(f"/w/{demo.slug}/", params=PERIOD).text
    for text in ("Sentiment and delight over time", "Topics", "Notable voices", "Targets"):
        assert text in page
    assert "感情と感動度の推移" not in page


def test_a_filter_on_another_dimension_still_splits_the_channels(
    demo: Demo, member_of: Any
) -> None:
    client = member_of("viewer")
    page = client.get(f"/w/{demo.slug}/", params={**PERIOD, "language": "ja"})
    assert page.status_code == 200
    assert "ほかの絞り込みを外すと表示されます" not in page.text
    split = _csv(
        client.get(f"/w/{demo.slug}/dashboard/channels.csv", params={**PERIOD, "language": "ja"})
    )
    assert len(split) >= 2
    rows = _csv(
        client.get(f"/w/{demo.slug}/dashboard/volume.csv", params={**PERIOD, "language": "ja"})
    )
    everyone = _csv(client.get(f"/w/{demo.slug}/dashboard/volume.csv", params=PERIOD))
    assert 0 < sum(int(r["voices"]) for r in rows) < sum(int(r["voices"]) for r in everyone)
