"""Profile and timeline of a person whose records were merged; paging; workspace scope."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kizuna import Kizuna
from kizuna.accounts.models import Workspace
from kizuna.customers.models import Customer, Identity, Interaction
from kizuna.customers.profile import customer_profile, customer_timeline
from kizuna.errors import InvalidInput, NotFound
from kizuna.feedback.models import Feedback, FeedbackAnalysis

T0 = dt.datetime(2026, 9, 1, 9, 0, tzinfo=dt.UTC)


def make_person(kz: Kizuna, ws: Workspace) -> tuple[int, int, dict[str, int]]:
    """A survivor and an absorbed record, 7 interactions and 3 voices between them.

    One voice shares its instant with an interaction (the kind breaks the tie)."""
    with kz.session() as session:
        survivor = Customer(workspace_id=ws.id, external_id="s", name="山田 花子")
        session.add(survivor)
        session.flush()
        absorbed = Customer(workspace_id=ws.id, external_id="a", merged_into_id=survivor.id)
        session.add(absorbed)
        session.flush()
        session.add_all(
            [
                Identity(
                    workspace_id=ws.id,
                    customer_id=survivor.id,
                    kind="email",
                    value_normalized="hanako@example.com",
                    source="crm",
                ),
                Identity(
                    workspace_id=ws.id,
                    customer_id=absorbed.id,
                    kind="line_id",
                    value_normalized="U123",
                    source="line",
                ),
            ]
        )
        for i in range(7):
            session.add(
                Interaction(
                    workspace_id=ws.id,
                    source="shop",
                    external_id=f"i{i}",
                    customer_id=survivor.id if i % 2 else absorbed.id,
                    occurred_at=T0 + dt.timedelta(days=i),
                    occurred_on=(T0 + dt.timedelta(days=i)).date(),
                    channel="web",
                    kind="purchase",
                    amount=1000.0 * (i + 1),
                )
            )
        voices = []
        for j, day in enumerate([2, 4, 10]):
            voice = Feedback(
                workspace_id=ws.id,
                source="survey",
                external_id=f"f{j}",
                channel="email",
                customer_id=absorbed.id,
                received_at=T0 + dt.timedelta(days=day),
                received_on=(T0 + dt.timedelta(days=day)).date(),
                text="配送が遅かった",
                nps=3 + j,
            )
            session.add(voice)
            voices.append(voice)
        session.flush()
        for version, label in (("v1", "neutral"), ("v2", "negative")):
            session.add(
                FeedbackAnalysis(
                    workspace_id=ws.id,
                    feedback_id=voices[0].id,
                    engine_version=version,
                    sentiment=label,
                    sentiment_score=-0.6,
                    topics=[{"topic": "delivery", "sentiment": "negative", "score": -0.6}],
                    analyzed_at=T0 + dt.timedelta(days=20 if version == "v2" else 15),
                )
            )
        return survivor.id, absorbed.id, {"first_voice": voices[0].id}


def collect(kz: Kizuna, ws: Workspace, customer_id: int, limit: int) -> list[Any]:
    items, cursor, pages = [], None, 0
    while True:
        with kz.session() as session:
            page = customer_timeline(session, ws, customer_id, limit=limit, cursor=cursor)
        items += page.items
        pages += 1
        assert len(page.items) <= limit
        if page.next_cursor is None:
            return items
        cursor = page.next_cursor
        assert pages < 50


def test_profile_shows_the_survivor_and_every_identity(kz: Kizuna, ws) -> None:  # type: ignore[no-untyped-def]
    survivor, absorbed, _ = make_person(kz, ws.workspace)
    with kz.session() as session:
        profile = customer_profile(session, ws.workspace, absorbed)
    assert profile.customer.id == survivor and profile.customer.name == "山田 花子"
    assert profile.group_ids == [survivor, absorbed]
    seen = {(i.kind, i.value, i.source, i.customer_id) for i in profile.identities}
    assert seen == {
        ("email", "hanako@example.com", "crm", survivor),
        ("line_id", "U123", "line", absorbed),
        ("external:import", "s", "import", survivor),  # the records' own keys
        ("external:import", "a", "import", absorbed),
    }
    assert profile.score is None


@pytest.mark.parametrize("limit", [1, 3, 50])
def test_timeline_pages_cover_the_whole_group_newest_first(kz: Kizuna, ws, limit: int) -> None:  # type: ignore[no-untyped-def]
    survivor, absorbed, _ = make_person(kz, ws.workspace)
    items = collect(kz, ws.workspace, survivor, limit)
    keys = [(i.occurred_at, i.kind, i.id) for i in items]
    assert len(keys) == len(set(keys)) == 10
    assert keys == sorted(keys, reverse=True)
    # Same instant (day 2 and day 4): the interaction is listed before the voice.
    tied = [i.kind for i in items if i.occurred_at == T0 + dt.timedelta(days=2)]
    assert tied == ["interaction", "feedback"]
    assert [(i.kind, i.id) for i in collect(kz, ws.workspace, absorbed, limit)] == [
        (i.kind, i.id) for i in items
    ]


def test_timeline_shows_scores_and_the_latest_text_analysis(kz: Kizuna, ws) -> None:  # type: ignore[no-untyped-def]
    survivor, _, ids = make_person(kz, ws.workspace)
    with kz.session() as session:
        items = customer_timeline(session, ws.workspace, survivor).items
    voice = next(i for i in items if i.kind == "feedback" and i.id == ids["first_voice"])
    assert voice.title == "survey" and voice.text == "配送が遅かった"
    assert voice.scores == {"nps": 3.0}
    assert voice.analysis is not None and voice.analysis["sentiment"] == "negative"
    assert voice.analysis["topics"][0]["topic"] == "delivery"
    purchase = items[1]
    assert purchase.kind == "interaction" and purchase.title == "purchase"
    assert purchase.amount == 7000.0 and purchase.occurred_at.tzinfo is not None


def test_other_workspaces_and_bad_cursors_are_refused(kz: Kizuna, ws, make_workspace) -> None:  # type: ignore[no-untyped-def]
    other = make_workspace()
    theirs, _, _ = make_person(kz, other.workspace)
    with kz.session() as session:
        with pytest.raises(NotFound) as raised:
            customer_profile(session, ws.workspace, theirs)
        assert "存在しません" in raised.value.message("ja")
        with pytest.raises(NotFound):
            customer_timeline(session, ws.workspace, theirs)
        with pytest.raises(InvalidInput):
            customer_timeline(session, other.workspace, theirs, cursor="not-a-cursor")
