"""Notable voices of the dashboard's period: the most delighted, the angriest and the newest
from valuable customers (CLV in the top fifth of the workspace).

Read from the newest `RECENT` voices of the period that pass the filter (an indexed, bounded
read), so the page never sorts a whole period: "most delighted" means among those.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.customers.models import CustomerScore
from kizuna.feedback.models import Feedback, FeedbackAnalysis
from kizuna.reports.dashboard import DashboardFilter
from kizuna.reports.dashboard_segment import customer_condition, group_customers
from kizuna.reports.rollup_counts import DIMENSIONS, voice_dimensions
from kizuna.reports.rollups import EMPLOYEE_SOURCE, newest_analysis_id

__all__ = ["NotableVoice", "notable_voices"]

RECENT = 1000
SHOWN = 3
VALUABLE_PERCENTILE = 80.0


@dataclass(frozen=True)
class NotableVoice:
    id: int
    received_at: dt.datetime
    channel: str
    text: str
    sentiment: str | None
    sentiment_score: float | None
    delight: float | None
    nps: int | None
    clv_percentile: float | None = None


def _query(
    workspace_id: int,
    chosen: DashboardFilter,
    valuable: bool = False,
    members: frozenset[int] | None = None,
) -> Any:
    latest = newest_analysis_id(workspace_id)
    query = (
        select(
            Feedback,
            FeedbackAnalysis.language,
            FeedbackAnalysis.sentiment,
            FeedbackAnalysis.sentiment_score,
            FeedbackAnalysis.delight,
            *([CustomerScore.clv_percentile] if valuable else []),
        )
        .select_from(Feedback)
        .join(
            FeedbackAnalysis,
            (FeedbackAnalysis.feedback_id == Feedback.id) & (FeedbackAnalysis.id == latest),
        )
        .where(
            Feedback.workspace_id == workspace_id,
            Feedback.received_on >= chosen.start,
            Feedback.received_on <= chosen.end,
            Feedback.source != EMPLOYEE_SOURCE,
            Feedback.text.is_not(None),
        )
        .order_by(Feedback.received_on.desc(), Feedback.id.desc())
    )
    for name in ("channel", "touchpoint", "source"):
        value = getattr(chosen, name)
        if value is not None:
            query = query.where(getattr(Feedback, name) == value)
    if members is not None:
        query = query.where(customer_condition(members))
    if valuable:
        query = query.join(
            CustomerScore,
            (CustomerScore.customer_id == Feedback.customer_id)
            & (CustomerScore.workspace_id == workspace_id),
        ).where(CustomerScore.clv_percentile >= VALUABLE_PERCENTILE)
    return query


def _keeps(
    chosen: DashboardFilter,
    feedback: Feedback,
    language: str | None,
    members: frozenset[int] | None = None,
) -> bool:
    if members is not None and feedback.customer_id not in members:
        return False
    dims = voice_dimensions(
        feedback.channel,
        feedback.touchpoint,
        feedback.language or language,
        feedback.source,
        feedback.properties,
    )
    values = dict(zip(DIMENSIONS, dims, strict=True))
    return all(values[n] == v for n, v in chosen.dimensions().items())


def _voice(row: Any, clv: float | None = None) -> NotableVoice:
    feedback = row[0]
    return NotableVoice(
        id=feedback.id,
        received_at=feedback.received_at,
        channel=feedback.channel,
        text=str(feedback.text or ""),
        sentiment=row.sentiment,
        sentiment_score=row.sentiment_score,
        delight=row.delight,
        nps=feedback.nps,
        clv_percentile=clv,
    )


def notable_voices(
    session: Session, workspace_id: int, chosen: DashboardFilter
) -> dict[str, list[NotableVoice]]:
    """`delighted`, `angriest` and `valuable`, up to three voices each."""
    members = group_customers(session, workspace_id, chosen)
    rows = [
        row
        for row in session.execute(_query(workspace_id, chosen, members=members).limit(RECENT))
        if _keeps(chosen, row[0], row.language, members)
    ]
    delighted = sorted(
        (r for r in rows if r.delight is not None and r.delight > 0),
        key=lambda r: (-float(r.delight), -r[0].id),
    )
    angry = sorted(
        (r for r in rows if r.sentiment == "negative" and r.sentiment_score is not None),
        key=lambda r: (float(r.sentiment_score), -r[0].id),
    )
    valuable_query = _query(workspace_id, chosen, valuable=True, members=members).limit(RECENT)
    valuable = []
    for row in session.execute(valuable_query):
        if _keeps(chosen, row[0], row.language, members):
            valuable.append(_voice(row, row.clv_percentile))
            if len(valuable) >= SHOWN:
                break
    return {
        "delighted": [_voice(r) for r in delighted[:SHOWN]],
        "angriest": [_voice(r) for r in angry[:SHOWN]],
        "valuable": valuable,
    }
