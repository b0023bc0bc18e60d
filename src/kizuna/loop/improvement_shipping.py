"""After an improvement ships (behind `improvements`): tell its contributors, and show
what changed.

`notify_contributors` tells every linked contributor who consented to e-mail, once per
person (keyed mail), in the language of their own words, quoting them; it is safe to run
again after a crash: every message is keyed and every link records its outcome in the same
transaction. `improvement_effect` shows the topic's sentiment and the contributors' scores
before and after shipping.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from statistics import mean

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kizuna.accounts.models import Workspace
from kizuna.customers.models import Customer
from kizuna.db.base import utcnow
from kizuna.feedback.models import Feedback, FeedbackAnalysis
from kizuna.loop.improvement_records import get_improvement
from kizuna.loop.improvement_voices import QUOTE_LENGTH
from kizuna.loop.models import ImprovementLink
from kizuna.mail.service import MailRequest, send_mails
from kizuna.settings import Settings

__all__ = ["NOTIFY_CHUNK", "Effect", "improvement_effect", "notify_contributors"]

NOTIFY_CHUNK = 200


def notify_contributors(
    session: Session,
    settings: Settings,
    workspace: Workspace,
    improvement_id: int,
    *,
    limit: int = NOTIFY_CHUNK,
) -> int:
    """Tell the next `limit` not-yet-handled contributors; returns links handled (0: done).

    Per person once (the mail key is the improvement and the person); a person with several
    linked voices is quoted from the first. Only customers who consented to e-mail and have
    an address are written to; the rest are recorded as no_consent / no_address.
    """
    improvement = get_improvement(session, workspace, improvement_id)
    links = list(
        session.scalars(
            select(ImprovementLink)
            .where(
                ImprovementLink.improvement_id == improvement.id,
                ImprovementLink.notify_state.is_(None),
            )
            .order_by(ImprovementLink.id)
            .limit(limit)
        )
    )
    if not links:
        return 0
    voices = {
        fid: (text, language)
        for fid, text, language in session.execute(
            select(Feedback.id, Feedback.text, Feedback.language).where(
                Feedback.id.in_([link.feedback_id for link in links])
            )
        )
    }
    people = {
        c.id: c
        for c in session.scalars(
            select(Customer).where(
                Customer.workspace_id == workspace.id,
                Customer.id.in_([link.customer_id for link in links if link.customer_id]),
            )
        )
    }
    told = set(
        session.scalars(
            select(ImprovementLink.customer_id).where(
                ImprovementLink.improvement_id == improvement.id,
                ImprovementLink.notify_state == "sent",
            )
        )
    )
    now = utcnow()
    url = f"{settings.public_url}/p/{workspace.slug}/changelog"
    notices: list[MailRequest] = []
    for link in links:
        person = people.get(link.customer_id) if link.customer_id else None
        text, language = voices.get(link.feedback_id, (None, None))
        if person is None or not person.email:
            link.notify_state = "no_address"
        elif not person.consent_email:
            link.notify_state = "no_consent"
        elif person.id in told:
            link.notify_state = "duplicate"
        else:
            language = "en" if language == "en" else "ja"
            notices.append(
                MailRequest(
                    key=f"loop.ysyd:{improvement.id}:{person.id}",
                    to=person.email,
                    template="loop_you_said_we_did",
                    context={
                        "name": person.name or "",
                        "quote": " ".join((text or "").split())[:QUOTE_LENGTH],
                        "title": improvement.title,
                        "description": improvement.description,
                        "company": workspace.name,
                        "changelog_url": url,
                    },
                    language=language,
                    category="customer",
                )
            )
            link.notify_state = "sent"
            told.add(person.id)
        link.notified_at = now
    # All at once: one lookup of used keys, one suppression query, multi-row inserts.
    send_mails(session, settings, workspace_id=workspace.id, requests=notices)
    session.flush()
    return len(links)


@dataclass(frozen=True)
class Effect:
    """Before and after shipping: the topic's sentiment and the contributors' scores."""

    topic: str | None
    window_days: int
    topic_before: dict[str, float | int] | None
    topic_after: dict[str, float | int] | None
    scores_before: float | None
    scores_after: float | None
    contributors_before: int
    contributors_after: int


def _topic_sentiment(
    session: Session, workspace: Workspace, topic: str, start: dt.datetime, end: dt.datetime
) -> dict[str, float | int]:
    rows = session.execute(
        select(FeedbackAnalysis.topics)
        .join(Feedback, Feedback.id == FeedbackAnalysis.feedback_id)
        .where(
            FeedbackAnalysis.workspace_id == workspace.id,
            Feedback.received_at >= start,
            Feedback.received_at < end,
        )
    )
    positive = negative = total = 0
    for (topics,) in rows:
        for t in topics or []:
            if isinstance(t, dict) and t.get("topic") == topic:
                total += 1
                positive += t.get("sentiment") == "positive"
                negative += t.get("sentiment") == "negative"
    if not total:
        return {"mentions": 0, "positive_share": 0.0, "negative_share": 0.0}
    return {
        "mentions": total,
        "positive_share": round(positive / total, 3),
        "negative_share": round(negative / total, 3),
    }


def improvement_effect(
    session: Session, workspace: Workspace, improvement_id: int, *, window_days: int = 90
) -> Effect:
    """The linked topic's sentiment and the contributors' NPS in the windows around shipping
    (before shipping only the "before" side is filled)."""
    improvement = get_improvement(session, workspace, improvement_id)
    pivot = improvement.shipped_at or utcnow()
    window = dt.timedelta(days=window_days)
    before_topic = after_topic = None
    if improvement.topic:
        before_topic = _topic_sentiment(
            session, workspace, improvement.topic, pivot - window, pivot
        )
        if improvement.shipped_at:
            after_topic = _topic_sentiment(
                session, workspace, improvement.topic, pivot, pivot + window
            )
    people = [
        c
        for c in session.scalars(
            select(ImprovementLink.customer_id).where(
                ImprovementLink.improvement_id == improvement.id,
                ImprovementLink.customer_id.is_not(None),
            )
        )
        if c is not None
    ]
    group = select(Customer.id).where(
        Customer.workspace_id == workspace.id,
        func.coalesce(Customer.merged_into_id, Customer.id).in_(people),
    )

    def scores(start: dt.datetime, end: dt.datetime) -> tuple[float | None, int]:
        rows = session.execute(
            select(Feedback.customer_id, Feedback.nps).where(
                Feedback.workspace_id == workspace.id,
                Feedback.customer_id.in_(group),
                Feedback.nps.is_not(None),
                Feedback.received_at >= start,
                Feedback.received_at < end,
            )
        ).all()
        values = [float(n) for _, n in rows if n is not None]
        return (round(mean(values), 2) if values else None), len({c for c, _ in rows})

    before, n_before = scores(pivot - window, pivot) if people else (None, 0)
    after, n_after = (
        scores(pivot, pivot + window) if people and improvement.shipped_at else (None, 0)
    )
    return Effect(
        improvement.topic, window_days, before_topic, after_topic, before, after, n_before, n_after
    )
