"""The voices of an improvement (behind `improvements`): link and unlink them, list them,
and suggest more (same topic, similar words: TF-IDF over character n-grams, which works for
Japanese without a dictionary, with the quotes shown)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.accounts.audit import record_audit
from kizuna.accounts.models import Workspace
from kizuna.customers.models import Customer
from kizuna.db.base import utcnow
from kizuna.errors import NotFound
from kizuna.feedback.models import Feedback, FeedbackAnalysis, analysis_scope
from kizuna.loop.improvement_records import get_improvement
from kizuna.loop.models import ImprovementLink
from kizuna.mail.models import insert_once

__all__ = [
    "QUOTE_LENGTH",
    "LinkedVoice",
    "Suggestion",
    "link_voices",
    "linked_voices",
    "suggest_voices",
    "unlink_voice",
]

QUOTE_LENGTH = 140


def link_voices(
    session: Session,
    workspace: Workspace,
    improvement_id: int,
    feedback_ids: list[int],
    *,
    actor: str = "system",
) -> int:
    """Link voices to the improvement (already linked ones are left); returns links added."""
    improvement = get_improvement(session, workspace, improvement_id)
    rows = session.execute(
        select(Feedback.id, Feedback.customer_id)
        .where(Feedback.workspace_id == workspace.id, Feedback.id.in_(feedback_ids))
        .order_by(Feedback.id)  # links in the voices' order: a person's first voice is quoted
    ).all()
    missing = set(feedback_ids) - {fid for fid, _ in rows}
    if missing:
        raise NotFound(
            f"Voices {sorted(missing)[:10]} do not exist in this workspace.",
            f"顧客の声 {sorted(missing)[:10]} はこのワークスペースにありません。",
        )
    people = _people(session, workspace, [c for _, c in rows if c is not None])
    added = 0
    for fid, customer_id in rows:
        added += insert_once(
            session,
            ImprovementLink,
            {
                "workspace_id": workspace.id,
                "improvement_id": improvement.id,
                "feedback_id": fid,
                "customer_id": people.get(customer_id) if customer_id is not None else None,
                "linked_by": actor,
                "linked_at": utcnow(),
            },
            ("improvement_id", "feedback_id"),
        )
    record_audit(
        session, workspace, actor, "improvement.link", f"improvement:{improvement.id}", added=added
    )
    return added


def _people(session: Session, workspace: Workspace, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    return {
        cid: merged or cid
        for cid, merged in session.execute(
            select(Customer.id, Customer.merged_into_id).where(
                Customer.workspace_id == workspace.id, Customer.id.in_(ids)
            )
        )
    }


def unlink_voice(
    session: Session,
    workspace: Workspace,
    improvement_id: int,
    feedback_id: int,
    *,
    actor: str = "system",
) -> None:
    improvement = get_improvement(session, workspace, improvement_id)
    link = session.scalar(
        select(ImprovementLink).where(
            ImprovementLink.improvement_id == improvement.id,
            ImprovementLink.feedback_id == feedback_id,
        )
    )
    if link is None:
        raise NotFound(
            f"Voice {feedback_id} is not linked to improvement {improvement.id}.",
            f"顧客の声 {feedback_id} は改善 {improvement.id} にリンクされていません。",
        )
    session.delete(link)
    record_audit(session, workspace, actor, "improvement.unlink", f"improvement:{improvement.id}")


@dataclass(frozen=True)
class LinkedVoice:
    feedback_id: int
    text: str | None
    received_at: dt.datetime
    channel: str
    nps: int | None
    customer_id: int | None
    notify_state: str | None


def linked_voices(
    session: Session, workspace: Workspace, improvement_id: int, limit: int = 200
) -> list[LinkedVoice]:
    rows = session.execute(
        select(
            Feedback.id,
            Feedback.text,
            Feedback.received_at,
            Feedback.channel,
            Feedback.nps,
            ImprovementLink.customer_id,
            ImprovementLink.notify_state,
        )
        .join(ImprovementLink, ImprovementLink.feedback_id == Feedback.id)
        .where(
            ImprovementLink.workspace_id == workspace.id,
            ImprovementLink.improvement_id == improvement_id,
        )
        .order_by(Feedback.received_at.desc())
        .limit(limit)
    )
    return [LinkedVoice(*row) for row in rows]


@dataclass(frozen=True)
class Suggestion:
    feedback_id: int
    text: str
    score: float
    same_topic: bool
    received_at: dt.datetime


def suggest_voices(
    session: Session,
    workspace: Workspace,
    improvement_id: int,
    *,
    limit: int = 20,
    days: int = 365,
    now: dt.datetime | None = None,
) -> list[Suggestion]:
    """Unlinked voices most like this improvement: its topic, and words like its own and
    its linked voices' (cosine of TF-IDF over character 2-3-grams)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    improvement = get_improvement(session, workspace, improvement_id)
    now = now or utcnow()
    linked = set(
        session.scalars(
            select(ImprovementLink.feedback_id).where(
                ImprovementLink.improvement_id == improvement.id
            )
        )
    )
    rows = session.execute(
        select(Feedback.id, Feedback.text, Feedback.received_at)
        .where(
            Feedback.workspace_id == workspace.id,
            Feedback.text.is_not(None),
            Feedback.source != "employee",
            Feedback.received_at >= now - dt.timedelta(days=days),
        )
        .order_by(Feedback.id.desc())
        .limit(20_000)
    ).all()
    texts = {fid: text for fid, text, _ in rows if text and text.strip()}
    received = {fid: at for fid, _, at in rows}
    topical: set[int] = set()
    if improvement.topic:
        for fid, topics in session.execute(
            select(FeedbackAnalysis.feedback_id, FeedbackAnalysis.topics).where(
                analysis_scope(workspace.id),
                FeedbackAnalysis.feedback_id.in_(list(texts)),
            )
        ):
            if any(
                isinstance(t, dict) and t.get("topic") == improvement.topic for t in topics or []
            ):
                topical.add(fid)
    query = " ".join(
        [improvement.title, improvement.description, *(texts[f] for f in linked if f in texts)]
    )
    candidates = [f for f in texts if f not in linked]
    if not candidates or not query.strip():
        return []
    vectorizer = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 3), min_df=1, sublinear_tf=True
    )
    matrix = vectorizer.fit_transform([query, *(texts[f] for f in candidates)])
    similarity = cosine_similarity(matrix[0], matrix[1:]).ravel()
    scored = [
        (float(s) + (0.3 if f in topical else 0.0), f)
        for f, s in zip(candidates, similarity, strict=True)
    ]
    scored.sort(reverse=True)
    return [
        Suggestion(f, texts[f][:QUOTE_LENGTH], round(s, 3), f in topical, received[f])
        for s, f in scored[:limit]
        if s > 0.05
    ]
