"""The demo at test size for the personas tests, and copies of customers as "new" ones."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from kizuna import Kizuna
from kizuna.accounts.models import Workspace
from kizuna.customers.models import Customer, Interaction
from kizuna.feedback.models import Feedback, FeedbackAnalysis

__all__ = [
    "add_lookalike_customers",
    "build_demo_workspace",
    "build_web_app",
    "csrf_from",
    "logged_in",
]


def build_demo_workspace(kz: Kizuna, seed: int) -> Any:
    """(workspace, slug, admin e-mail, password, api key) of an analysed, scored demo."""
    from kizuna.customers.scores import score_customers
    from kizuna.demo import build_demo
    from kizuna.text.service import reanalyze_workspace

    slug = f"pr-{uuid.uuid4().hex[:8]}"
    summary = build_demo(kz, slug=slug, seed=seed, customers=200, interactions=2000, feedback=500)
    with kz.session() as session:
        workspace = session.scalars(select(Workspace).where(Workspace.slug == slug)).one()
        session.expunge(workspace)
    reanalyze_workspace(kz, workspace)
    score_customers(kz, workspace)
    return workspace, slug, summary.admin_email, summary.password, summary.api_key


def add_lookalike_customers(kz: Kizuna, workspace: Workspace, of: list[int]) -> list[int]:
    """New customers doing what `of` did (their interactions and voices, copied)."""
    made = []
    with kz.session() as session:
        for original_id in of:
            original = session.get(Customer, original_id)
            assert original is not None
            clone = Customer(
                workspace_id=workspace.id,
                source="new",
                external_id=f"new-{original_id}",
                age_band=original.age_band,
                life_stage=original.life_stage,
                prefecture=original.prefecture,
                gender=original.gender,
            )
            session.add(clone)
            session.flush()
            made.append(clone.id)
            for row in session.scalars(
                select(Interaction).where(Interaction.customer_id == original_id)
            ):
                session.add(
                    Interaction(
                        workspace_id=workspace.id,
                        source="new",
                        external_id=f"{clone.id}-{row.id}",
                        customer_id=clone.id,
                        occurred_at=row.occurred_at,
                        occurred_on=row.occurred_on,
                        channel=row.channel,
                        touchpoint=row.touchpoint,
                        kind=row.kind,
                        direct=row.direct,
                        amount=row.amount,
                        properties=dict(row.properties or {}),
                    )
                )
            for voice in session.scalars(
                select(Feedback).where(Feedback.customer_id == original_id)
            ):
                copy = Feedback(
                    workspace_id=workspace.id,
                    source=voice.source,
                    external_id=f"new-{clone.id}-{voice.id}",
                    channel=voice.channel,
                    touchpoint=voice.touchpoint,
                    customer_id=clone.id,
                    received_at=voice.received_at,
                    received_on=voice.received_on,
                    text=voice.text,
                    nps=voice.nps,
                    csat=voice.csat,
                    ces=voice.ces,
                    properties={},
                )
                session.add(copy)
                session.flush()
                for analysis in session.scalars(
                    select(FeedbackAnalysis).where(FeedbackAnalysis.feedback_id == voice.id)
                ):
                    session.add(
                        FeedbackAnalysis(
                            workspace_id=workspace.id,
                            feedback_id=copy.id,
                            engine_version=analysis.engine_version,
                            sentiment=analysis.sentiment,
                            sentiment_score=analysis.sentiment_score,
                            delight=analysis.delight,
                            emotions=dict(analysis.emotions or {}),
                            topics=list(analysis.topics or []),
                            experience_values=list(analysis.experience_values or []),
                        )
                    )
    return made


def build_web_app(kz: Kizuna) -> Any:
    """The web app over the test database, the embedded job worker off."""
    from kizuna.web import create_app

    settings = kz.settings.model_copy(update={"embedded_worker": False})
    return create_app(Kizuna(settings, engine=kz.engine))


def csrf_from(html: str) -> str:
    import re

    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def logged_in(app: Any, email: str, password: str) -> Any:
    from fastapi.testclient import TestClient

    client = TestClient(app)
    token = csrf_from(client.get("/login").text)
    answer = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return client
