"""One person's profile and timeline, across every record identity resolution merged.

`customer_profile` shows the surviving record, all identities with their sources (each
record's own source key comes from the record itself: resolve stores it as an identity
row only where another record shares it), the stored scores and the lifecycle stage.
`customer_timeline` interleaves interactions and feedback (with its latest text analysis)
newest first, paged by a keyset cursor on (occurred_at, kind, id): a page never repeats
or skips an item when new ones arrive.
Any record id of the person opens the same profile; another workspace's id is NotFound.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from kizuna.accounts.models import Workspace
from kizuna.customers.identity import external_kind, normalize_external_id
from kizuna.customers.merges import customer_group
from kizuna.customers.models import Customer, CustomerScore, Identity, Interaction
from kizuna.errors import InvalidInput
from kizuna.feedback.models import Feedback, FeedbackAnalysis, analysis_scope

__all__ = [
    "CustomerProfile",
    "IdentityView",
    "TimelineItem",
    "TimelinePage",
    "customer_profile",
    "customer_timeline",
    "interaction_item",
    "latest_analyses",
]

ItemKind = Literal["interaction", "feedback"]
_MAX_LIMIT = 500


@dataclass(frozen=True)
class IdentityView:
    kind: str  # email, phone, line_id, external:<source>
    value: str  # normalised value
    source: str
    customer_id: int  # which record of the group it came from


@dataclass(frozen=True)
class CustomerProfile:
    customer: Customer  # the surviving record
    group_ids: list[int]  # all records of this person, survivor first
    identities: list[IdentityView]
    score: CustomerScore | None  # latest predictions (see scores.py)
    lifecycle_stage: str | None


@dataclass(frozen=True)
class TimelineItem:
    kind: ItemKind
    id: int
    occurred_at: dt.datetime  # aware UTC
    channel: str
    touchpoint: str | None
    title: str  # interaction kind (purchase, stay, support_ticket...) or feedback source
    text: str | None  # feedback text
    amount: float | None
    scores: dict[str, float]  # nps/csat/ces/rating present on the feedback
    analysis: dict[str, Any] | None  # latest analysis: sentiment, delight, topics...
    properties: dict[str, Any]


@dataclass(frozen=True)
class TimelinePage:
    items: list[TimelineItem]  # newest first, across the whole group
    next_cursor: str | None  # opaque; pass back for the next page


def customer_profile(session: Session, workspace: Workspace, customer_id: int) -> CustomerProfile:
    """The person behind `customer_id` (any of their records)."""
    group = customer_group(session, workspace, customer_id)
    customer = session.get(Customer, group[0])
    assert customer is not None  # customer_group found it in this workspace
    stored = session.execute(
        select(
            Identity.kind, Identity.value_normalized, Identity.source, Identity.customer_id
        ).where(Identity.workspace_id == workspace.id, Identity.customer_id.in_(group))
    ).all()
    identities = {(k, v, int(c)): IdentityView(k, v, s, int(c)) for k, v, s, c in stored}
    records = session.execute(
        select(Customer.id, Customer.source, Customer.external_id).where(
            Customer.workspace_id == workspace.id, Customer.id.in_(group)
        )
    ).all()
    for cid, source, external_id in records:
        value = normalize_external_id(external_id)
        if value is not None:
            key = (external_kind(source), value, int(cid))
            identities.setdefault(key, IdentityView(*key[:2], source, int(cid)))
    score = session.scalar(
        select(CustomerScore).where(
            CustomerScore.workspace_id == workspace.id, CustomerScore.customer_id == group[0]
        )
    )
    return CustomerProfile(
        customer=customer,
        group_ids=group,
        identities=[identities[key] for key in sorted(identities)],
        score=score,
        lifecycle_stage=customer.lifecycle_stage,
    )


def customer_timeline(
    session: Session,
    workspace: Workspace,
    customer_id: int,
    *,
    limit: int = 50,
    cursor: str | None = None,
) -> TimelinePage:
    """Interactions and feedback of the whole person, newest first, `limit` at a time."""
    group = customer_group(session, workspace, customer_id)
    limit = max(1, min(limit, _MAX_LIMIT))
    after = _decode(cursor) if cursor else None
    interactions = select(Interaction).where(
        Interaction.workspace_id == workspace.id, Interaction.customer_id.in_(group)
    )
    voices = select(Feedback).where(
        Feedback.workspace_id == workspace.id, Feedback.customer_id.in_(group)
    )
    found = [
        *(
            interaction_item(i)
            for i in session.scalars(
                _page(interactions, Interaction.occurred_at, Interaction.id, "interaction", after)
                .order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
                .limit(limit + 1)
            )
        ),
        *_feedback_items(
            session,
            workspace,
            list(
                session.scalars(
                    _page(voices, Feedback.received_at, Feedback.id, "feedback", after)
                    .order_by(Feedback.received_at.desc(), Feedback.id.desc())
                    .limit(limit + 1)
                )
            ),
        ),
    ]
    found.sort(key=lambda item: (item.occurred_at, item.kind, item.id), reverse=True)
    items = found[:limit]
    more = len(found) > limit
    return TimelinePage(items, _encode(items[-1]) if more and items else None)


def _page(
    query: Select[Any],
    at: Any,
    id_: Any,
    kind: ItemKind,
    after: tuple[dt.datetime, str, int] | None,
) -> Select[Any]:
    """Rows strictly after the cursor in (occurred_at, kind, id) descending order."""
    if after is None:
        return query
    when, after_kind, after_id = after
    if kind < after_kind:  # this kind sorts below the cursor's at the same instant
        return query.where(at <= when)
    if kind > after_kind:
        return query.where(at < when)
    return query.where(or_(at < when, and_(at == when, id_ < after_id)))


def interaction_item(row: Interaction) -> TimelineItem:
    """An interaction as a timeline item (no text, scores or analysis)."""
    return TimelineItem(
        kind="interaction",
        id=row.id,
        occurred_at=row.occurred_at,
        channel=row.channel,
        touchpoint=row.touchpoint,
        title=row.kind,
        text=None,
        amount=row.amount,
        scores={},
        analysis=None,
        properties=dict(row.properties or {}),
    )


def latest_analyses(
    session: Session, workspace: Workspace, feedback_ids: list[int]
) -> dict[int, FeedbackAnalysis]:
    """The newest text analysis of each given feedback (any engine version)."""
    if not feedback_ids:
        return {}
    rows = session.scalars(
        select(FeedbackAnalysis)
        .where(
            analysis_scope(workspace.id),
            FeedbackAnalysis.feedback_id.in_(feedback_ids),
        )
        .order_by(FeedbackAnalysis.analyzed_at, FeedbackAnalysis.id)
    )
    return {a.feedback_id: a for a in rows}  # later rows overwrite earlier ones


def _feedback_items(
    session: Session, workspace: Workspace, rows: list[Feedback]
) -> list[TimelineItem]:
    analyses = latest_analyses(session, workspace, [f.id for f in rows])
    items = []
    for row in rows:
        scores = {
            name: float(value)
            for name in ("nps", "csat", "ces", "rating")
            if (value := getattr(row, name)) is not None
        }
        found = analyses.get(row.id)
        analysis = (
            None
            if found is None
            else {
                "sentiment": found.sentiment,
                "sentiment_score": found.sentiment_score,
                "delight": found.delight,
                "expectation": found.expectation,
                "topics": list(found.topics or []),
            }
        )
        items.append(
            TimelineItem(
                kind="feedback",
                id=row.id,
                occurred_at=row.received_at,
                channel=row.channel,
                touchpoint=row.touchpoint,
                title=row.source,
                text=row.text,
                amount=None,
                scores=scores,
                analysis=analysis,
                properties=dict(row.properties or {}),
            )
        )
    return items


def _encode(item: TimelineItem) -> str:
    raw = json.dumps([item.occurred_at.isoformat(), item.kind, item.id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[dt.datetime, str, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        when, kind, id_ = json.loads(raw)
        at = dt.datetime.fromisoformat(when)
        if at.tzinfo is None or kind not in ("interaction", "feedback"):
            raise ValueError(cursor)
        return at, str(kind), int(id_)
    except (ValueError, TypeError) as exc:
        raise InvalidInput(
            "The timeline cursor is not valid. Start again from the first page (no cursor).",
            "タイムラインのカーソルが正しくありません。最初のページ(カーソルなし)から開き直してください。",
            cursor=cursor,
        ) from exc
