"""The context card: lifecycle, recent activity and topics, last support, summary sentence."""

from __future__ import annotations

import datetime as dt

import pytest

from kizuna import Kizuna
from kizuna.accounts.models import Workspace
from kizuna.customers.context import context_card
from kizuna.customers.models import Customer, CustomerScore, Interaction
from kizuna.errors import NotFound
from kizuna.feedback.models import Feedback, FeedbackAnalysis

AS_OF = dt.date(2026, 11, 1)


def at(day: dt.date, hour: int = 3) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), dt.UTC)


def make_customer(kz: Kizuna, ws: Workspace, *, support: bool, voice_day: dt.date) -> int:
    with kz.session() as session:
        c = Customer(workspace_id=ws.id, external_id="c", name="佐藤 一郎", lifecycle_stage="loyal")
        session.add(c)
        session.flush()
        session.add(
            CustomerScore(
                workspace_id=ws.id,
                customer_id=c.id,
                as_of=AS_OF,
                model_version="t",
                p_alive=0.9,
                clv_12m=50000.0,
                clv_percentile=60.0,
                churn_probability=0.2,
                expected_purchases_90d=1.5,
                churn_factors=[{"feature": "recency_days", "value": 3, "effect": -0.1}],
            )
        )
        for i in range(7):
            day = dt.date(2026, 10, 1) + dt.timedelta(days=3 * i)
            session.add(
                Interaction(
                    workspace_id=ws.id,
                    source="shop",
                    external_id=f"p{i}",
                    customer_id=c.id,
                    occurred_at=at(day),
                    occurred_on=day,
                    channel="web",
                    kind="purchase",
                    amount=3000.0,
                )
            )
        if support:
            session.add(
                Interaction(
                    workspace_id=ws.id,
                    source="desk",
                    external_id="t1",
                    customer_id=c.id,
                    occurred_at=at(dt.date(2026, 9, 12)),
                    occurred_on=dt.date(2026, 9, 12),
                    channel="call_center",
                    touchpoint="コールセンター",
                    kind="support_ticket",
                    properties={"reason": "delivery_delay", "status": "resolved"},
                )
            )
        voice = Feedback(
            workspace_id=ws.id,
            source="survey",
            external_id="f1",
            channel="email",
            customer_id=c.id,
            received_at=at(voice_day),
            received_on=voice_day,
            text="配送が遅い",
            nps=8,
        )
        session.add(voice)
        session.flush()
        session.add(
            FeedbackAnalysis(
                workspace_id=ws.id,
                feedback_id=voice.id,
                engine_version="v1",
                sentiment="negative",
                sentiment_score=-0.5,
                topics=[{"topic": "delivery", "sentiment": "negative", "score": -0.5}],
            )
        )
        return c.id


def test_card_tells_staff_about_the_earlier_support_contact(kz: Kizuna, ws) -> None:  # type: ignore[no-untyped-def]
    cid = make_customer(kz, ws.workspace, support=True, voice_day=dt.date(2026, 10, 20))
    with kz.session() as session:
        card = context_card(session, ws.workspace, cid, as_of=AS_OF)
    assert card.name == "佐藤 一郎" and card.lifecycle_stage == "loyal"
    assert len(card.recent_activity) == 5
    times = [i.occurred_at for i in card.recent_activity]
    assert times == sorted(times, reverse=True)
    assert card.last_support is not None and card.last_support.title == "support_ticket"
    assert card.last_support_outcome == "resolved"
    assert [(t.topic, t.sentiment, t.count) for t in card.recent_topics] == [
        ("delivery", "negative", 1)
    ]
    assert card.p_alive == 0.9 and card.clv_12m == 50000.0 and card.churn_factors
    assert "以前も配送の遅れについてお問い合わせいただいています(2026年9月" in card.summary_ja
    assert "They contacted support about delivery delay before (Sep 2026" in card.summary_en
    # The stored outcome code is named, never shown as it is stored.
    assert "状況: 解決済み" in card.summary_ja and "resolved" not in card.summary_ja
    assert "status: resolved" in card.summary_en
    assert card.summary_ja.startswith("ロイヤル顧客")


def test_card_without_support_mentions_recent_complaints_only_if_recent(
    kz: Kizuna, ws, make_workspace
) -> None:  # type: ignore[no-untyped-def]
    cid = make_customer(kz, ws.workspace, support=False, voice_day=dt.date(2026, 10, 20))
    with kz.session() as session:
        card = context_card(session, ws.workspace, cid, as_of=AS_OF)
    assert card.last_support is None and card.last_support_outcome is None
    assert "配送" in card.summary_ja and "delivery" in card.summary_en
    other = make_workspace()
    old = make_customer(kz, other.workspace, support=False, voice_day=dt.date(2026, 1, 5))
    with kz.session() as session:
        stale = context_card(session, other.workspace, old, as_of=AS_OF)
        with pytest.raises(NotFound):
            context_card(session, ws.workspace, old, as_of=AS_OF)
    assert stale.recent_topics == []
    assert "配送" not in stale.summary_ja
