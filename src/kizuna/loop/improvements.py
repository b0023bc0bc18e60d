""" "You said, we did": improvements linked to the voices that asked for them.

An improvement moves idea -> planned -> in_progress -> shipped. Voices are linked by hand
or from `suggest_voices` (same topic, similar words: TF-IDF over character n-grams, which
works for Japanese without a dictionary, with the quotes shown). Shipping raises
`improvement.shipped`; its subscriber queues `loop.notify_contributors`, which tells every
linked contributor who consented to e-mail, once per person (keyed mail), in the language
of their own words, quoting them (`notify_contributors`, safe to run again after a crash:
every message is keyed and every link records its outcome in the same transaction).
`improvement_effect` shows the topic's sentiment and the contributors' scores before and
after shipping; `public_changelog` lists what shipped for the page without login.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from statistics import mean
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kizuna.accounts.audit import record_audit
from kizuna.accounts.models import Workspace
from kizuna.customers.models import Customer
from kizuna.db.base import utcnow
from kizuna.errors import Conflict, InvalidInput, NotFound
from kizuna.feedback.models import Feedback, FeedbackAnalysis
from kizuna.jobs.events import raise_event
from kizuna.loop.departments import get_department
from kizuna.loop.events import ImprovementShipped
from kizuna.loop.models import IMPROVEMENT_STATUSES, Improvement, ImprovementLink
from kizuna.mail.models import insert_once
from kizuna.mail.service import MailRequest, send_mails
from kizuna.settings import Settings

__all__ = [
    "Effect",
    "Suggestion",
    "change_improvement",
    "create_improvement",
    "get_improvement",
    "improvement_effect",
    "link_voices",
    "linked_voices",
    "list_improvements",
    "notify_contributors",
    "public_changelog",
    "suggest_voices",
    "unlink_voice",
]

NOTIFY_CHUNK = 200
QUOTE_LENGTH = 140


def _check_text(title: Any, description: Any) -> tuple[str, str]:
    title = str(title or "").strip()
    if not title or len(title) > 300:
        raise InvalidInput(
            "An improvement needs a title of 1 to 300 characters.",
            "改善には1〜300文字のタイトルが必要です。",
        )
    return title, str(description or "").strip()[:5000]


def create_improvement(
    session: Session,
    workspace: Workspace,
    title: str,
    description: str = "",
    *,
    department_id: int | None = None,
    topic: str | None = None,
    public: bool = True,
    actor: str = "system",
) -> Improvement:
    title, description = _check_text(title, description)
    if department_id is not None:  # this workspace's, or 404 (not a foreign key error)
        get_department(session, workspace, department_id)
    improvement = Improvement(
        workspace_id=workspace.id,
        title=title,
        description=description,
        department_id=department_id,
        topic=(topic or None),
        status="idea",
        public=public,
        created_by=actor,
        version=1,
    )
    session.add(improvement)
    session.flush()
    record_audit(session, workspace, actor, "improvement.create", f"improvement:{improvement.id}")
    return improvement


def get_improvement(session: Session, workspace: Workspace, improvement_id: int) -> Improvement:
    found = session.scalar(
        select(Improvement).where(
            Improvement.workspace_id == workspace.id, Improvement.id == improvement_id
        )
    )
    if found is None:
        raise NotFound(
            f"Improvement {improvement_id} does not exist in this workspace.",
            f"改善 {improvement_id} はこのワークスペースにありません。",
            improvement_id=improvement_id,
        )
    return found


def list_improvements(
    session: Session, workspace: Workspace, status: str | None = None
) -> list[tuple[Improvement, int]]:
    """Improvements (newest first) with how many voices each links."""
    counts = (
        select(ImprovementLink.improvement_id, func.count().label("n"))
        .where(ImprovementLink.workspace_id == workspace.id)
        .group_by(ImprovementLink.improvement_id)
        .subquery()
    )
    query = (
        select(Improvement, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.improvement_id == Improvement.id)
        .where(Improvement.workspace_id == workspace.id)
    )
    if status:
        query = query.where(Improvement.status == status)
    rows = session.execute(query.order_by(Improvement.updated_at.desc(), Improvement.id.desc()))
    return [(imp, int(n)) for imp, n in rows]


def change_improvement(
    session: Session,
    workspace: Workspace,
    improvement_id: int,
    *,
    version: int | None = None,
    status: str | None = None,
    title: str | None = None,
    description: str | None = None,
    department_id: int | None = None,
    topic: str | None = None,
    public: bool | None = None,
    actor: str = "system",
    now: dt.datetime | None = None,
) -> Improvement:
    """Edit an improvement or move its status; shipping raises `improvement.shipped` once."""
    improvement = get_improvement(session, workspace, improvement_id)
    if version is not None and version != improvement.version:
        raise Conflict(
            f"Improvement {improvement.id} was changed by someone else; reload it and try again.",
            f"改善 {improvement.id} は他の人が変更しました。読み込み直してからもう一度操作してください。",
        )
    if title is not None or description is not None:
        improvement.title, improvement.description = _check_text(
            title if title is not None else improvement.title,
            description if description is not None else improvement.description,
        )
    if department_id is not None:
        improvement.department_id = get_department(session, workspace, department_id).id
    if topic is not None:
        improvement.topic = topic or None
    if public is not None:
        improvement.public = public
    shipped = False
    if status is not None and status != improvement.status:
        if status not in IMPROVEMENT_STATUSES:
            raise InvalidInput(
                f"Status is one of {', '.join(IMPROVEMENT_STATUSES)}.",
                f"状態は {', '.join(IMPROVEMENT_STATUSES)} のいずれかです。",
            )
        if improvement.status == "shipped":
            raise InvalidInput(
                "A shipped improvement stays shipped (its customers were told); create a new one.",
                "リリース済みの改善は戻せません(お客様にお知らせ済みです)。新しい改善を作成してください。",
            )
        improvement.status = status
        if status == "shipped":
            improvement.shipped_at = now or utcnow()
            shipped = True
    improvement.version += 1
    improvement.updated_at = utcnow()
    session.flush()
    record_audit(session, workspace, actor, "improvement.update", f"improvement:{improvement.id}")
    if shipped:
        record_audit(session, workspace, actor, "improvement.ship", f"improvement:{improvement.id}")
        raise_event(
            session,
            ImprovementShipped(workspace_id=workspace.id, improvement_id=improvement.id),
            key=f"improvement:{improvement.id}",
        )
    return improvement


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
                FeedbackAnalysis.workspace_id == workspace.id,
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


def public_changelog(
    session: Session, workspace: Workspace, limit: int = 100
) -> list[tuple[Improvement, int]]:
    """Shipped public improvements, newest first, with how many voices asked for each."""
    rows = [
        (imp, n) for imp, n in list_improvements(session, workspace, status="shipped") if imp.public
    ]
    rows.sort(key=lambda pair: pair[0].shipped_at or pair[0].updated_at, reverse=True)
    return rows[:limit]
