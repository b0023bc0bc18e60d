"""The demo workspace as a user sees it: counts, channels, scores that make sense,
comments that agree with scores, the same data for the same seed, and rebuilds."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from kizuna import Kizuna, Settings
from kizuna.accounts.models import Workspace
from kizuna.accounts.service import authenticate_api_key, authenticate_user
from kizuna.customers.models import Customer, Identity, Interaction
from kizuna.demo import DEMO_EMAIL, DEMO_PASSWORD, DemoSummary, build_demo
from kizuna.errors import AuthenticationFailed
from kizuna.feedback.models import Feedback

CHANNELS = {
    "web",
    "app",
    "store",
    "call_center",
    "email",
    "sns",
    "review_site",
    "event",
    "community",
}
SMALL = {"customers": 300, "interactions": 3000, "feedback": 1000}


def _slug(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def small(kz: Kizuna) -> DemoSummary:
    """One small demo shared by the read-only tests of this module."""
    return build_demo(kz, seed=7, slug=_slug("demo-small"), **SMALL)


def _rows(kz: Kizuna, model: Any, workspace_id: int, *columns: Any) -> list[Any]:
    with kz.session() as session:
        query = select(*columns).where(model.workspace_id == workspace_id)
        return list(session.execute(query).all())


def _nps(scores: list[int]) -> float:
    """NPS = %promoters (9-10) - %detractors (0-6) (Reichheld 2003)."""
    promoters = sum(s >= 9 for s in scores)
    detractors = sum(s <= 6 for s in scores)
    return 100 * (promoters - detractors) / len(scores)


def test_small_demo_has_the_requested_counts(kz: Kizuna, small: DemoSummary) -> None:
    assert small.built and small.api_key
    with kz.session() as session:
        ws = small.workspace_id
        count = lambda model, *where: session.scalar(  # noqa: E731
            select(func.count()).select_from(model).where(model.workspace_id == ws, *where)
        )
        assert count(Customer) == 300
        assert count(Interaction) == 3000
        assert count(Feedback, Feedback.source != "employee") == 1000
        assert count(Feedback, Feedback.source == "employee") == small.employee_answers == 15
        assert count(Identity) == small.identities > 300


def test_every_channel_and_the_main_kinds_are_present(kz: Kizuna, small: DemoSummary) -> None:
    rows = _rows(
        kz,
        Interaction,
        small.workspace_id,
        Interaction.channel,
        Interaction.kind,
        Interaction.direct,
        Interaction.amount,
    )
    assert {r.channel for r in rows} == CHANNELS
    kinds = Counter(r.kind for r in rows)
    for kind in ("visit", "purchase", "stay", "support_ticket", "email_open", "ad_view"):
        assert kinds[kind] > 0, kind
    assert all(not r.direct for r in rows if r.kind == "ad_view")
    assert all(r.amount and r.amount >= 500 for r in rows if r.kind in ("purchase", "stay"))
    channels = {r.channel for r in _rows(kz, Feedback, small.workspace_id, Feedback.channel)}
    assert {"store", "web", "app", "call_center", "sns", "review_site", "internal"} <= channels


def test_dates_are_tokyo_calendar_days_inside_the_fixed_window(
    kz: Kizuna, small: DemoSummary
) -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    for model, at, on in (
        (Interaction, Interaction.occurred_at, Interaction.occurred_on),
        (Feedback, Feedback.received_at, Feedback.received_on),
    ):
        rows = _rows(kz, model, small.workspace_id, at, on)
        assert all(r[0].tzinfo is not None for r in rows)
        assert all(r[0].astimezone(tokyo).date() == r[1] for r in rows)
        days = [r[1] for r in rows]
        assert min(days) >= dt.date(2025, 5, 1) and max(days) <= dt.date(2026, 10, 31)


def test_nps_is_plausible_and_enps_comes_from_employees(kz: Kizuna, small: DemoSummary) -> None:
    rows = _rows(kz, Feedback, small.workspace_id, Feedback.source, Feedback.nps, Feedback.csat)
    customer = [r.nps for r in rows if r.source != "employee" and r.nps is not None]
    employee = [r.nps for r in rows if r.source == "employee"]
    assert len(customer) > 300
    assert -100 < _nps(customer) < 100
    shares = Counter("p" if s >= 9 else "d" if s <= 6 else "n" for s in customer)
    assert 0.05 < shares["p"] / len(customer) < 0.7  # not all promoters
    assert 0.05 < shares["d"] / len(customer) < 0.7
    assert len(employee) == small.employee_answers and all(0 <= s <= 10 for s in employee)
    assert all(1 <= r.csat <= 5 for r in rows if r.csat is not None)


def test_comments_agree_with_scores(kz: Kizuna, small: DemoSummary) -> None:
    columns = (Feedback.source, Feedback.nps, Feedback.text, Feedback.properties)
    rows = _rows(kz, Feedback, small.workspace_id, *columns)
    scored = [r for r in rows if r.nps is not None and r.text and r.source != "employee"]

    def mean_parts(group: list[Any], kind: str) -> float:
        parts = [p for r in group for p in r.properties["demo"]["parts"] if p.startswith(kind)]
        return len(parts) / len(group)

    promoters = [r for r in scored if r.nps >= 9]
    detractors = [r for r in scored if r.nps <= 6]
    assert promoters and detractors
    assert mean_parts(promoters, "praise") > mean_parts(detractors, "praise") + 0.5
    assert mean_parts(detractors, "complaint") > mean_parts(promoters, "complaint") + 0.5
    # Cue words a reader sees: disappointment is a detractor's word, delight a promoter's.
    sad = ("残念", "がっかり", "期待外れ", "disappoint")

    def share(group: list[Any], cues: tuple[str, ...]) -> float:
        return sum(any(c in r.text for c in cues) for r in group) / len(group)

    assert share(detractors, sad) > share(promoters, sad) + 0.05
    tones = lambda group: Counter(r.properties["demo"]["tone"] for r in group)  # noqa: E731
    assert tones(promoters)["positive"] > 0.9 * len(promoters)
    assert tones(detractors)["negative"] + tones(detractors)["mixed"] > 0.9 * len(detractors)
    assert share(promoters, ("感動", "期待以上", "まさか")) > share(detractors, ("感動",))


def test_a_tenth_or_so_writes_in_english(kz: Kizuna, small: DemoSummary) -> None:
    rows = _rows(kz, Feedback, small.workspace_id, Feedback.language, Feedback.text)
    texts = [r for r in rows if r.text]
    english = [r for r in texts if r.language == "en"]
    assert 0.03 < len(english) / len(texts) < 0.2
    assert all(r.text.isascii() for r in english)
    assert all(not r.text.isascii() for r in texts if r.language == "ja")


def test_some_shop_records_share_an_email_with_a_crm_customer(
    kz: Kizuna, small: DemoSummary
) -> None:
    rows = _rows(
        kz,
        Identity,
        small.workspace_id,
        Identity.kind,
        Identity.value_normalized,
        Identity.customer_id,
    )
    owners: dict[str, set[int]] = {}
    for r in rows:
        if r.kind == "email":
            owners.setdefault(r.value_normalized, set()).add(r.customer_id)
    assert sum(len(ids) > 1 for ids in owners.values()) >= 3
    sources = Counter(r.source for r in _rows(kz, Customer, small.workspace_id, Customer.source))
    assert sources["shop"] == 6 and sources["crm"] == 294


def _content(kz: Kizuna, workspace_id: int) -> dict[str, list[tuple[Any, ...]]]:
    """Every row's content without database ids, so two databases can be compared."""
    with kz.session() as session:
        ref = select(Customer.external_id).where(Customer.id == Interaction.customer_id)
        customers = session.execute(
            select(Customer.__table__)
            .where(Customer.workspace_id == workspace_id)
            .order_by(Customer.source, Customer.external_id)
        ).all()
        interactions = session.execute(
            select(Interaction.__table__, ref.scalar_subquery().label("owner"))
            .where(Interaction.workspace_id == workspace_id)
            .order_by(Interaction.external_id)
        ).all()
        feedback = session.execute(
            select(Feedback.__table__)
            .where(Feedback.workspace_id == workspace_id)
            .order_by(Feedback.source, Feedback.external_id)
        ).all()
    skip = {"id", "workspace_id", "customer_id", "interaction_id", "created_at", "updated_at"}

    def strip(rows: list[Any]) -> list[tuple[Any, ...]]:
        return [tuple(v for k, v in r._mapping.items() if k not in skip) for r in rows]

    return {
        "customers": strip(customers),
        "interactions": strip(interactions),
        "feedback": strip(feedback),
    }


def test_same_seed_same_rows_in_two_databases_and_another_seed_differs(
    kz: Kizuna, tmp_path: Path
) -> None:
    sizes = {"customers": 80, "interactions": 600, "feedback": 200}
    first = build_demo(kz, seed=11, slug=_slug("demo-a"), **sizes)
    other = Kizuna(Settings(env="test", database_url=f"sqlite:///{tmp_path / 'other.db'}"))
    try:
        other.upgrade_db()
        second = build_demo(other, seed=11, slug="demo", **sizes)
        assert _content(kz, first.workspace_id) == _content(other, second.workspace_id)
    finally:
        other.close()
    third = build_demo(kz, seed=12, slug=_slug("demo-b"), **sizes)
    a, c = _content(kz, first.workspace_id), _content(kz, third.workspace_id)
    assert a["customers"] != c["customers"] and a["feedback"] != c["feedback"]


def test_existing_demo_is_kept_unless_rebuilt(kz: Kizuna) -> None:
    slug = _slug("demo-re")
    made = build_demo(kz, seed=3, slug=slug, customers=50, interactions=300, feedback=100)
    kept = build_demo(kz, seed=3, slug=slug, customers=999, interactions=999, feedback=999)
    assert not kept.built and kept.api_key is None
    assert (kept.customers, kept.interactions, kept.feedback) == (50, 300, 100)
    assert kept.workspace_id == made.workspace_id

    rebuilt = build_demo(
        kz, seed=4, slug=slug, customers=60, interactions=400, feedback=120, rebuild=True
    )
    assert rebuilt.built and rebuilt.api_key
    with kz.session() as session:
        ws = rebuilt.workspace_id
        n = lambda model: session.scalar(  # noqa: E731
            select(func.count()).select_from(model).where(model.workspace_id == ws)
        )
        assert (n(Customer), n(Interaction), n(Feedback)) == (60, 400, 120 + 2)
        with pytest.raises(AuthenticationFailed):  # the old build's key went with it
            authenticate_api_key(session, made.api_key or "")
        workspace, _ = authenticate_api_key(session, rebuilt.api_key)
        assert workspace.slug == slug
        assert authenticate_user(session, DEMO_EMAIL, DEMO_PASSWORD).email == DEMO_EMAIL


def test_identity_rows_are_those_the_customers_room_would_make(
    kz: Kizuna, small: DemoSummary
) -> None:
    from kizuna.customers.sync import sync_identities

    with kz.session() as session:
        workspace = session.get(Workspace, small.workspace_id)
        assert workspace is not None
        customers, added, _ = sync_identities(session, workspace)
    assert customers == 300 and added == 0  # nothing missing, nothing normalised differently
