"""The dashboard's numbers: from the daily rollups, equal to `compute_metric`, the metrics API
and the voice explorer for the same voices and filter, and kept up to date as voices come."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from typing import Any

import pytest
from dashboard_support import END, START, Demo, build_analysed_demo, web_app
from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select
from web_support import log_in

from kizuna import Kizuna
from kizuna.feedback.explorer import VoiceFilter, search_voices
from kizuna.feedback.models import Feedback
from kizuna.feedback.service import record_voice
from kizuna.jobs.worker import Worker
from kizuna.reports.dashboard import DashboardFilter, metric_report, volume_by
from kizuna.reports.dashboard_topics import topic_table
from kizuna.reports.models import DashboardDay, DashboardTopicDay
from kizuna.reports.rollups import rebuild_rollups, refresh_rollups
from kizuna.reports.service import compute_metric

COMPARED = ("n", "value", "ci_low", "ci_high", "change")


@pytest.fixture(scope="module")
def demo(kz: Kizuna) -> Demo:
    made = build_analysed_demo(kz)
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
@pytest.mark.parametrize("dimension", [None, "channel", "touchpoint", "source", "language"])
def test_metrics_equal_compute_metric_for_the_same_filter(
    kz: Kizuna, demo: Demo, metric: str, dimension: str | None
) -> None:
    by = (dimension,) if dimension else ()
    expected_overall = compute_metric(kz, demo.workspace, metric, by=by, start=START, end=END)
    expected_monthly = compute_metric(
        kz, demo.workspace, metric, by=by, period="month", start=START, end=END
    )
    rows = expected_overall.to_records()
    assert rows, "the demo has answers in the window"
    checked = 0
    for row in rows[:4]:
        value = row.get(dimension) if dimension else None
        if dimension and value is None:
            continue  # a voice without the dimension: no filter selects "none"
        chosen = DashboardFilter(START, END, **({dimension: value} if dimension else {}))
        with kz.session() as session:
            overall = _records(metric_report(session, demo.workspace.id, chosen, metric))
            monthly = _records(metric_report(session, demo.workspace.id, chosen, metric, "month"))
        _same(overall[0], row, ("n", "value", "ci_low", "ci_high"))
        wanted = [
            r for r in expected_monthly.to_records() if not dimension or r.get(dimension) == value
        ]
        assert [str(r["period"])[:10] for r in monthly] == [r["period"][:10] for r in wanted]
        for mine, theirs in zip(monthly, wanted, strict=True):
            _same(mine, theirs, COMPARED)
        checked += 1
    assert checked


def test_dashboard_page_shows_what_the_metrics_api_says(kz: Kizuna, demo: Demo) -> None:
    app = web_app(kz)
    api = TestClient(app, headers={"X-API-Key": demo.api_key})
    answer = api.get(
        "/api/v1/metrics/nps",
        params={"by": "channel", "from": START.isoformat(), "to": END.isoformat()},
    )
    assert answer.status_code == 200, answer.text
    web = next(r for r in answer.json()["records"] if r["channel"] == "web")
    client = TestClient(app)
    log_in(client, demo.email, demo.password)
    page = client.get(
        f"/w/{demo.slug}/",
        params={"from": START.isoformat(), "to": END.isoformat(), "channel": "web"},
    )
    assert page.status_code == 200
    card = page.text.split('data-metric="nps"', 1)[1].split("</article>", 1)[0]
    assert f"{web['value']:+.1f}" in card
    assert f"{web['ci_low']:+.1f} – {web['ci_high']:+.1f}" in card
    assert f"回答 {web['n']:,} 件" in card


def _explorer_count(kz: Kizuna, demo: Demo, wanted: VoiceFilter) -> int:
    total, cursor = 0, None
    with kz.session() as session:
        while True:
            page = search_voices(session, demo.workspace, wanted, limit=200, cursor=cursor)
            total += len(page.voices)
            if page.next_cursor is None:
                return total
            cursor = page.next_cursor


@pytest.mark.parametrize("channel", [None, "web"])
def test_topic_counts_equal_the_explorers_for_the_same_filter(
    kz: Kizuna, demo: Demo, channel: str | None
) -> None:
    chosen = DashboardFilter(START, END, channel=channel)
    with kz.session() as session:
        topics = topic_table(session, demo.workspace.id, chosen)
    assert len(topics) >= 3
    for row in topics[:3]:
        wanted = VoiceFilter(topic=row.topic, since=START, until=END, channel=channel)
        assert row.voices == _explorer_count(kz, demo, wanted), row.topic
        negative = VoiceFilter(
            topic=row.topic, topic_sentiment="negative", since=START, until=END, channel=channel
        )
        assert row.negative == _explorer_count(kz, demo, negative), row.topic


def test_topics_compare_with_the_previous_period_of_the_same_length(kz: Kizuna, demo: Demo) -> None:
    chosen = DashboardFilter(START, END)
    previous = chosen.previous()
    assert previous.end == START - dt.timedelta(days=1) and previous.days == chosen.days
    with kz.session() as session:
        topics = topic_table(session, demo.workspace.id, chosen)
        before = {t.topic: t for t in topic_table(session, demo.workspace.id, previous)}
    for row in topics:
        assert row.previous_voices == (before[row.topic].voices if row.topic in before else 0)
        assert row.trend in ("rising", "falling", "steady")


def _rollup_totals(kz: Kizuna, workspace_id: int) -> dict[str, Any]:
    with kz.session() as session:
        days = session.execute(
            select(
                func.count(),
                func.sum(DashboardDay.voices),
                func.sum(DashboardDay.promoters),
                func.sum(DashboardDay.nps_n),
                func.sum(DashboardDay.analysed),
            ).where(DashboardDay.workspace_id == workspace_id)
        ).one()
        topics = session.execute(
            select(func.count(), func.sum(DashboardTopicDay.voices)).where(
                DashboardTopicDay.workspace_id == workspace_id
            )
        ).one()
    return {"days": tuple(days), "topics": tuple(topics)}


@pytest.fixture
def recorded(kz: Kizuna, ws: Any) -> Iterator[Any]:
    """A workspace whose rollups were built once (empty), with the event worker at hand."""
    with kz.session() as session:
        rebuild_rollups(session, ws.workspace.id)
    yield ws


def _deliver(kz: Kizuna) -> None:
    # Voices are analysed by one subscriber, the rollups kept by others: run every event.
    while Worker(kz, "w-dashboard", kinds=["event.deliver"]).run_burst():
        pass


def test_rollups_follow_voices_recorded_changed_and_analysed(kz: Kizuna, recorded: Any) -> None:
    ws = recorded
    day = dt.date(2026, 3, 10)
    record = {
        "external_id": "v1",
        "received_at": "2026-03-10T10:00:00+09:00",
        "channel": "web",
        "text": "スタッフの対応がとても親切で感動しました。",
        "nps": 10,
    }
    with kz.session() as session:
        record_voice(session, ws.workspace, record, source="survey")
    _deliver(kz)
    chosen = DashboardFilter(day, day)
    with kz.session() as session:
        nps = metric_report(session, ws.workspace.id, chosen, "nps").to_dict("records")[0]
        topics = topic_table(session, ws.workspace.id, chosen)
    assert (nps["n"], nps["value"]) == (1, 100.0)
    assert [t.topic for t in topics] == ["staff"] and topics[0].positive == 1
    # The same voice again with another score: changed in place, counted again.
    with kz.session() as session:
        record_voice(session, ws.workspace, {**record, "nps": 2}, source="survey")
    _deliver(kz)
    with kz.session() as session:
        nps = metric_report(session, ws.workspace.id, chosen, "nps").to_dict("records")[0]
    assert (nps["n"], nps["value"]) == (1, -100.0)


def test_refresh_counts_rows_written_around_the_events_as_a_rebuild_would(
    kz: Kizuna, recorded: Any
) -> None:
    ws = recorded
    rows = [
        {
            "workspace_id": ws.workspace.id,
            "source": "review",
            "external_id": f"bulk-{i}",
            "channel": ("web", "store")[i % 2],
            "received_at": dt.datetime(2026, 4, 1 + i % 20, 3, tzinfo=dt.UTC),
            "received_on": dt.date(2026, 4, 1 + i % 20),
            "nps": i % 11,
            "csat": 1 + i % 5,
            "properties": {"store": f"S{i % 3}"},
        }
        for i in range(120)
    ]
    with kz.session() as session:
        session.execute(insert(Feedback), rows)
    with kz.session() as session:
        assert refresh_rollups(session, ws.workspace.id) == 20
        assert refresh_rollups(session, ws.workspace.id) == 0  # nothing changed since
    incremental = _rollup_totals(kz, ws.workspace.id)
    with kz.session() as session:
        rebuild_rollups(session, ws.workspace.id)
    assert _rollup_totals(kz, ws.workspace.id) == incremental
    with kz.session() as session:
        stores = volume_by(session, ws.workspace.id, DashboardFilter(START, END), "store")
    assert dict(stores) == {"S0": 40, "S1": 40, "S2": 40}


def test_another_workspace_never_counts(kz: Kizuna, demo: Demo, make_workspace: Any) -> None:
    other = make_workspace("o")
    with kz.session() as session:
        refresh_rollups(session, other.workspace.id)
        nps = metric_report(session, other.workspace.id, DashboardFilter(START, END), "nps")
        assert nps.empty  # as compute_metric: no answers, no row
        assert topic_table(session, other.workspace.id, DashboardFilter(START, END)) == []


def test_every_grain_adds_up_to_the_same_totals(kz: Kizuna, demo: Demo) -> None:
    from kizuna.reports.rollups import GRAINS

    with kz.session() as session:
        totals = {
            grain: session.execute(
                select(func.sum(DashboardDay.voices), func.sum(DashboardDay.promoters)).where(
                    DashboardDay.workspace_id == demo.workspace.id, DashboardDay.grain == grain
                )
            ).one()
            for grain in GRAINS
        }
        topics = {
            grain: session.scalar(
                select(func.sum(DashboardTopicDay.voices)).where(
                    DashboardTopicDay.workspace_id == demo.workspace.id,
                    DashboardTopicDay.grain == grain,
                )
            )
            for grain in GRAINS
        }
    assert len(set(totals.values())) == 1 and totals["all"][0] > 1000
    assert len(set(topics.values())) == 1 and topics["all"] > 0
