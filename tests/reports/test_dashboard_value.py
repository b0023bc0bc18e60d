"""Value and engagement (CLV, repeat rate, revenue of promoters and detractors, active
customers, participation) and the response rate, checked against small data counted by hand,
and the card on the page with its definitions, table view and CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from dashboard_support import web_app
from fastapi.testclient import TestClient
from reports_data import add_customers
from sqlalchemy import insert
from web_support import csrf_from, log_in

from kizuna import Kizuna
from kizuna.customers.models import CustomerScore, Interaction
from kizuna.customers.segments import create_segment
from kizuna.feedback.models import Feedback
from kizuna.reports.dashboard import DashboardFilter
from kizuna.reports.dashboard_cache import clear_cache
from kizuna.reports.dashboard_responses import response_rate
from kizuna.reports.dashboard_value import compute_value_measures
from kizuna.reports.rollups import refresh_rollups
from kizuna.surveys.models import Survey, SurveyInvitation

MARCH = DashboardFilter(dt.date(2026, 3, 1), dt.date(2026, 3, 31))


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(3, 0), tzinfo=dt.UTC)


def _interaction(
    ws_id: int,
    customer: int,
    n: int,
    day: dt.date,
    kind: str,
    channel: str,
    amount: float | None = None,
) -> dict[str, Any]:
    return {
        "workspace_id": ws_id,
        "source": "test",
        "external_id": f"i{n}",
        "customer_id": customer,
        "occurred_at": _at(day),
        "occurred_on": day,
        "channel": channel,
        "kind": kind,
        "amount": amount,
    }


def _voice(
    ws_id: int, customer: int, n: int, day: dt.date, nps: int, channel: str
) -> dict[str, Any]:
    return {
        "workspace_id": ws_id,
        "source": "survey",
        "external_id": f"v{n}",
        "channel": channel,
        "customer_id": customer,
        "received_at": _at(day),
        "received_on": day,
        "nps": nps,
        "properties": {},
    }


@pytest.fixture
def shop(kz: Kizuna, ws: Any) -> tuple[Any, list[int]]:
    """Five customers: A buys twice in March (promoter), B stays once (detractor by her
    latest answer), C attends an event, D posts in the community, E does nothing."""
    w = ws.workspace.id
    a, b, c, d, e = add_customers(kz, w, 5)
    d1 = dt.date(2026, 3, 1)
    interactions = [
        _interaction(w, a, 1, dt.date(2026, 3, 5), "purchase", "web", 1000),
        _interaction(w, a, 2, dt.date(2026, 3, 5), "purchase", "store", 500),  # same day
        _interaction(w, a, 3, dt.date(2026, 3, 20), "purchase", "web", 2000),
        _interaction(w, b, 4, dt.date(2026, 3, 10), "stay", "store", 30000),
        _interaction(w, c, 5, dt.date(2026, 2, 15), "purchase", "web", 800),  # before March
        _interaction(w, c, 6, dt.date(2026, 3, 12), "event_attendance", "event"),
        _interaction(w, d, 7, dt.date(2026, 3, 3), "community_post", "community"),
        _interaction(w, d, 8, dt.date(2026, 4, 2), "visit", "web"),  # after March
    ]
    voices = [
        _voice(w, a, 1, dt.date(2026, 2, 1), 10, "web"),
        _voice(w, a, 2, dt.date(2026, 4, 10), 3, "web"),  # after the period's end
        _voice(w, b, 3, d1, 9, "store"),
        _voice(w, b, 4, dt.date(2026, 3, 25), 5, "store"),
        _voice(w, c, 5, dt.date(2026, 3, 15), 0, "web"),
    ]
    scores = [
        {"workspace_id": w, "customer_id": cid, "as_of": d1, "model_version": "t", "clv_12m": clv}
        for cid, clv in ((a, 10000.0), (b, 20000.0), (c, None), (d, 3000.0))
    ]
    with kz.engine.begin() as conn:
        conn.execute(insert(Interaction.__table__), interactions)
        conn.execute(insert(Feedback.__table__), voices)
        conn.execute(insert(CustomerScore.__table__), scores)
    _refresh(kz, w)
    return ws, [a, b, c, d, e]


def _refresh(kz: Kizuna, workspace_id: int) -> None:
    """What a dashboard view does first (rows inserted in bulk raise no event)."""
    with kz.session() as session:
        refresh_rollups(session, workspace_id)
    clear_cache()


def test_value_and_engagement_equal_the_hand_count(kz: Kizuna, shop: Any) -> None:
    ws, _ = shop
    with kz.session() as session:
        v = compute_value_measures(session, ws.workspace.id, MARCH)
    assert v.scope == "all" and v.customers == 5
    assert (v.clv_n, v.clv_mean, v.clv_total) == (3, 11000.0, 33000.0)
    assert (v.buyers, v.repeat_buyers, v.repeat_rate) == (2, 1, 50.0)
    assert v.revenue == 33500.0
    assert (v.promoters, v.promoter_revenue) == (1, 3500.0)
    assert (v.detractors, v.detractor_revenue) == (1, 30000.0)
    assert (v.active, v.participants, v.participation_rate) == (4, 2, 50.0)
    assert (v.event_participants, v.community_participants) == (1, 1)


def test_answers_at_the_same_moment_count_the_one_recorded_last(kz: Kizuna, shop: Any) -> None:
    """B's latest answer (5, a detractor) ties in time with a later-recorded 10: the one
    recorded last decides, so B becomes a promoter and A stays one."""
    ws, (_, b, *_) = shop
    with kz.engine.begin() as conn:
        conn.execute(
            insert(Feedback.__table__),
            [_voice(ws.workspace.id, b, 9, dt.date(2026, 3, 25), 10, "web")],
        )
    _refresh(kz, ws.workspace.id)
    with kz.session() as session:
        v = compute_value_measures(session, ws.workspace.id, MARCH)
    assert (v.promoters, v.promoter_revenue) == (2, 33500.0)
    assert (v.detractors, v.detractor_revenue) == (0, 0.0)


def test_a_segment_and_a_voice_filter_narrow_the_customers(kz: Kizuna, shop: Any) -> None:
    ws, _ = shop
    with kz.session() as session:
        valuable = create_segment(
            session, ws.workspace, "valuable", [{"field": "clv_12m", "op": "gte", "value": 10000}]
        )
    with kz.session() as session:
        group = compute_value_measures(
            session, ws.workspace.id, DashboardFilter(MARCH.start, MARCH.end, segment=valuable.id)
        )
        web = compute_value_measures(
            session, ws.workspace.id, DashboardFilter(MARCH.start, MARCH.end, channel="web")
        )
    assert group.scope == "group" and group.customers == 2
    assert (group.clv_mean, group.buyers, group.revenue, group.participants) == (
        15000.0,
        2,
        33500.0,
        0,
    )
    # Only C gave a web voice in March: no CLV, no purchase, one event.
    assert web.scope == "respondents" and web.customers == 1
    assert (web.clv_n, web.buyers, web.active, web.event_participants) == (0, 0, 1, 1)


def test_the_response_rate_counts_invitations_sent_in_the_period(kz: Kizuna, shop: Any) -> None:
    ws, (a, b, c, _, _) = shop
    with kz.session() as session:
        survey = Survey(workspace_id=ws.workspace.id, key="s1", name="After stay")
        session.add(survey)
        session.flush()
        expires = _at(dt.date(2026, 6, 1))
        for n, (customer, sent, done) in enumerate(
            [
                (a, _at(dt.date(2026, 3, 2)), _at(dt.date(2026, 3, 3))),
                (b, _at(dt.date(2026, 3, 9)), None),
                (c, _at(dt.date(2026, 3, 30)), None),
                (c, _at(dt.date(2026, 4, 2)), _at(dt.date(2026, 4, 2))),  # after March
                (b, None, None),  # never sent
            ]
        ):
            session.add(
                SurveyInvitation(
                    workspace_id=ws.workspace.id,
                    survey_id=survey.id,
                    key=f"k{n}",
                    customer_id=customer,
                    channel="email",
                    expires_at=expires,
                    sent_at=sent,
                    completed_at=done,
                    state="sent" if sent else "scheduled",
                )
            )
        survey_id = survey.id
    clear_cache()
    with kz.session() as session:
        workspace = session.merge(ws.workspace)
        everyone = response_rate(session, workspace, MARCH, voices=3)
        same = response_rate(
            session,
            workspace,
            DashboardFilter(MARCH.start, MARCH.end, survey=str(survey_id), channel="web"),
            voices=1,
        )
        other = response_rate(
            session, workspace, DashboardFilter(MARCH.start, MARCH.end, survey="999"), voices=0
        )
    assert (everyone.sent, everyone.completed) == (3, 1)
    assert everyone.rate == pytest.approx(100 / 3)
    assert everyone.ci_low is not None and everyone.ci_low < everyone.rate < everyone.ci_high
    assert (same.sent, same.completed, same.ignored) == (3, 1, ("channel",))
    assert (other.sent, other.rate) == (0, None)


def test_the_page_shows_the_value_card_with_definitions_and_a_csv(kz: Kizuna, shop: Any) -> None:
    ws, _ = shop
    client = TestClient(web_app(kz))
    log_in(client, ws.admin_email, ws.password)
    period = {"from": "2026-03-01", "to": "2026-03-31"}
    page = client.get(f"/w/{ws.slug}/", params=period)
    assert page.status_code == 200, page.text
    card = page.text.split('data-metric="value"', 1)[1].split("</article>", 1)[0]
    assert "顧客価値とエンゲージメント" in card
    assert "¥3,500" in card and "¥30,000" in card  # promoters' and detractors' revenue
    assert "50.0%" in card  # repeat rate, participation
    assert 'title="購入顧客のうちリピート顧客の割合（%）。"' in card  # the definition on hover
    assert 'data-measure-row="active"' in card  # the table view
    assert 'id="widget-responses"' in page.text
    answer = client.get(f"/w/{ws.slug}/dashboard/value.csv", params=period)
    rows = {r["measure"]: r for r in csv.DictReader(io.StringIO(answer.text.lstrip("\ufeff")))}
    assert float(rows["clv_total"]["value"]) == 33000.0
    assert float(rows["repeat_rate"]["value"]) == 50.0 and rows["active"]["value"] == "4"
    token = csrf_from(client.get(f"/w/{ws.slug}/").text)
    client.post("/lang", data={"lang": "en", "next": "/", "csrf_token": token})
    english = client.get(f"/w/{ws.slug}/", params=period).text
    assert "Value and engagement" in english and "Revenue of promoters" in english
    assert "顧客価値とエンゲージメント" not in english
