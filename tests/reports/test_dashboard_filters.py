"""Filters that combine (channel and language at once), a segment or persona filter computed
from its customers' voices, and the page's URL keeping every filter: the numbers equal
`compute_metric` over the same voices, and the topics equal the voice explorer's."""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import parse_qs, urlsplit

import ibis
import pandas as pd
import pytest
from dashboard_support import END, START, Demo, build_analysed_demo, web_app
from fastapi.testclient import TestClient
from sqlalchemy import select
from web_support import log_in

from kizuna import Kizuna
from kizuna.analytics.metrics import compute_metric_frame
from kizuna.customers.segments import create_segment, segment_customer_ids
from kizuna.feedback.explorer import VoiceFilter, search_voices
from kizuna.feedback.models import Feedback
from kizuna.reports.dashboard import DashboardFilter, metric_report, volume_by
from kizuna.reports.dashboard_cache import clear_cache
from kizuna.reports.dashboard_csv import WIDGETS
from kizuna.reports.dashboard_topics import topic_table
from kizuna.reports.rollups import refresh_rollups
from kizuna.reports.service import compute_metric

COMPARED = ("n", "value", "ci_low", "ci_high")


@pytest.fixture(scope="module")
def demo(kz: Kizuna) -> Demo:
    made = build_analysed_demo(kz, "dashfilter")
    with kz.session() as session:
        refresh_rollups(session, made.workspace.id)
    return made


def _same(left: dict[str, Any], right: dict[str, Any], names: tuple[str, ...]) -> None:
    for name in names:
        a, b = left.get(name), right.get(name)
        if a is None or b is None or (isinstance(a, float) and math.isnan(a)):
            assert (a is None or math.isnan(a)) and (b is None or math.isnan(b)), (name, a, b)
        else:
            assert a == pytest.approx(b, rel=1e-12, abs=1e-12), (name, a, b)


def _records(frame: Any) -> list[dict[str, Any]]:
    return [
        {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
        for row in frame.to_dict("records")
    ]


@pytest.mark.parametrize("metric", ["nps", "csat", "ces"])
@pytest.mark.parametrize("pair", [("channel", "language"), ("channel", "touchpoint")])
def test_combined_filters_equal_compute_metric_for_the_same_voices(
    kz: Kizuna, demo: Demo, metric: str, pair: tuple[str, str]
) -> None:
    expected = compute_metric(kz, demo.workspace, metric, by=pair, start=START, end=END)
    monthly = compute_metric(
        kz, demo.workspace, metric, by=pair, period="month", start=START, end=END
    ).to_records()
    checked = 0
    for row in expected.to_records():
        if row[pair[0]] is None or row[pair[1]] is None:
            continue  # a voice without the dimension: no filter selects "none"
        values = {pair[0]: row[pair[0]], pair[1]: row[pair[1]]}
        chosen = DashboardFilter(START, END, **values)
        with kz.session() as session:
            mine = _records(metric_report(session, demo.workspace.id, chosen, metric))
            mine_monthly = _records(
                metric_report(session, demo.workspace.id, chosen, metric, "month")
            )
        _same(mine[0], row, COMPARED)
        theirs = [r for r in monthly if all(r[k] == v for k, v in values.items())]
        assert len(mine_monthly) == len(theirs)
        for a, b in zip(mine_monthly, theirs, strict=True):
            _same(a, b, (*COMPARED, "change"))
        checked += 1
        if checked >= 4:
            break
    assert checked >= 2


def _explorer_count(kz: Kizuna, demo: Demo, wanted: VoiceFilter) -> int:
    total, cursor = 0, None
    with kz.session() as session:
        while True:
            page = search_voices(session, demo.workspace, wanted, limit=200, cursor=cursor)
            total += len(page.voices)
            if page.next_cursor is None:
                return total
            cursor = page.next_cursor


def test_topics_with_combined_filters_equal_the_explorers(kz: Kizuna, demo: Demo) -> None:
    with kz.session() as session:
        touchpoints = volume_by(
            session, demo.workspace.id, DashboardFilter(START, END, channel="web"), "touchpoint"
        )
    with kz.session() as session:
        everyone = {
            t.topic: t.voices
            for t in topic_table(session, demo.workspace.id, DashboardFilter(START, END))
        }
        tables = {
            t: topic_table(
                session,
                demo.workspace.id,
                DashboardFilter(START, END, channel="web", touchpoint=t),
            )
            for t, _ in touchpoints or []
            if t
        }
    touchpoint, topics = max(tables.items(), key=lambda kv: len(kv[1]))
    assert topics, "the web channel's voices at that touchpoint have topics"
    for row in topics[:3]:
        wanted = VoiceFilter(
            topic=row.topic, since=START, until=END, channel="web", touchpoint=touchpoint
        )
        assert row.voices == _explorer_count(kz, demo, wanted), row.topic
        assert row.voices <= everyone[row.topic]


def _segment_voices(kz: Kizuna, demo: Demo, conditions: list[dict[str, Any]]) -> pd.DataFrame:
    with kz.session() as session:
        ids = segment_customer_ids(session, demo.workspace, conditions, limit=100_000)
        rows = session.execute(
            select(
                Feedback.received_on,
                Feedback.source,
                Feedback.channel,
                Feedback.nps,
                Feedback.csat,
                Feedback.ces,
            ).where(Feedback.workspace_id == demo.workspace.id, Feedback.customer_id.in_(ids))
        ).all()
    frame = pd.DataFrame(rows, columns=["received_on", "source", "channel", "nps", "csat", "ces"])
    for name in ("nps", "csat", "ces"):
        frame[name] = frame[name].astype("Int64")
    return frame


@pytest.fixture(scope="module")
def segment(kz: Kizuna, demo: Demo) -> tuple[int, list[dict[str, Any]]]:
    conditions = [{"field": "age_band", "op": "in", "value": ["30s", "40s"]}]
    with kz.session() as session:
        made = create_segment(session, demo.workspace, "30s and 40s", conditions)
        return made.id, conditions


@pytest.mark.parametrize("metric", ["nps", "csat", "ces"])
def test_a_segment_equals_compute_metric_over_its_customers_voices(
    kz: Kizuna, demo: Demo, segment: tuple[int, list[dict[str, Any]]], metric: str
) -> None:
    segment_id, conditions = segment
    voices = _segment_voices(kz, demo, conditions)
    table = ibis.memtable(voices)
    expected = _records(compute_metric_frame(table, metric, start=START, end=END))
    expected_monthly = _records(
        compute_metric_frame(table, metric, period="month", start=START, end=END)
    )
    web = _records(
        compute_metric_frame(table.filter(table.channel == "web"), metric, start=START, end=END)
    )
    clear_cache()
    chosen = DashboardFilter(START, END, segment=segment_id)
    with kz.session() as session:
        mine = _records(metric_report(session, demo.workspace.id, chosen, metric))
        monthly = _records(metric_report(session, demo.workspace.id, chosen, metric, "month"))
        mine_web = _records(
            metric_report(
                session,
                demo.workspace.id,
                DashboardFilter(START, END, "web", segment=segment_id),
                metric,
            )
        )
        everyone = _records(
            metric_report(session, demo.workspace.id, DashboardFilter(START, END), metric)
        )
    assert 0 < mine[0]["n"] < everyone[0]["n"]
    _same(mine[0], expected[0], COMPARED)
    assert len(mine_web) == len(web)  # no row where the segment's web voices have no answer
    for a, b in zip(mine_web, web, strict=True):
        _same(a, b, COMPARED)
    assert [str(r["period"])[:10] for r in monthly] == [
        str(r["period"])[:10] for r in expected_monthly
    ]
    for a, b in zip(monthly, expected_monthly, strict=True):
        _same(a, b, (*COMPARED, "change"))


def test_the_page_keeps_every_filter_and_says_a_segment_is_computed(
    kz: Kizuna, demo: Demo, segment: tuple[int, list[dict[str, Any]]]
) -> None:
    segment_id, _ = segment
    client = TestClient(web_app(kz))
    log_in(client, demo.email, demo.password)
    wanted = {
        "from": START.isoformat(),
        "to": END.isoformat(),
        "channel": "web",
        "language": "ja",
        "segment": str(segment_id),
    }
    page = client.get(f"/w/{demo.slug}/", params=wanted)
    assert page.status_code == 200, page.text
    html = page.text
    assert "data-group-note" in html and "日次集計には含まれません" in html
    assert f'<option value="{segment_id}" selected' in html
    assert '<option value="web" selected' in html and '<option value="ja" selected' in html
    links = [p.split('"', 1)[0] for p in html.split('href="/w/')[1:] if ".csv?" in p]
    assert {link.split("/dashboard/")[1].split(".csv")[0] for link in links} == set(WIDGETS)
    for link in links:
        query = parse_qs(urlsplit(link.replace("&amp;", "&")).query)
        for name, value in wanted.items():
            assert query[name] == [value], (link, name)
    # The window switch keeps the filters too.
    switch = html.split('data-window="3"')[0].rsplit("hx-push-url=", 1)[1]
    assert f"segment={segment_id}" in switch and "language=ja" in switch
    metrics = client.get(f"/w/{demo.slug}/dashboard/metrics.csv", params=wanted)
    assert metrics.status_code == 200
    nps = next(r for r in metrics.text.lstrip("\ufeff").splitlines()[1:] if r.startswith("nps,"))
    chosen = DashboardFilter(START, END, channel="web", language="ja", segment=segment_id)
    with kz.session() as session:
        expected = _records(metric_report(session, demo.workspace.id, chosen, "nps"))
    assert int(nps.split(",")[1]) == expected[0]["n"] > 0


def test_a_missing_segment_or_persona_says_what_to_do(kz: Kizuna, demo: Demo) -> None:
    client = TestClient(web_app(kz))
    log_in(client, demo.email, demo.password)
    missing = client.get(f"/w/{demo.slug}/", params={"segment": "999999"})
    assert missing.status_code == 404
    assert "セグメント一覧" in missing.text
    persona = client.get(f"/w/{demo.slug}/", params={"persona": "999999"})
    assert persona.status_code == 404
    assert "ペルソナの絞り込みから選ぶ" in persona.text
