"""How many voices hold each topic, and with which polarity, as the voice explorer counts.

A voice counts once for a topic when its newest analysis lists the topic, exactly what
the explorer's `topic` filter matches (`kizuna.feedback.explorer`), so a count here and
the number of voices the explorer shows for the same topic and dates agree. The count
runs where the data lives: the topics' JSON array is expanded by the database
(`json_each` on SQLite, `jsonb_array_elements` on PostgreSQL) and grouped by topic and
polarity, one query for all time and the last 30 days together.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, case, func, literal_column, select
from sqlalchemy.orm import Session

from kizuna.accounts.models import Workspace
from kizuna.db.base import utcnow
from kizuna.feedback.models import Feedback, FeedbackAnalysis
from kizuna.topics.service import load_taxonomy
from kizuna.topics.taxonomy import TopicDef

__all__ = ["RECENT_DAYS", "TopicCount", "TopicRow", "count_topics", "recent_since", "topic_rows"]

RECENT_DAYS = 30


@dataclass
class TopicCount:
    """Voices holding a topic, how many of them with each polarity, and how many recent."""

    voices: int = 0
    sentiments: Counter[str] = field(default_factory=Counter)
    recent: int = 0


@dataclass(frozen=True)
class TopicRow:
    """One active topic of the workspace with its counts (recent and all)."""

    topic: TopicDef
    recent: int
    total: int
    sentiments: dict[str, int]


def recent_since(workspace: Workspace, days: int = RECENT_DAYS) -> dt.date:
    """The first day of the last `days` days, today included, in the workspace's zone."""
    today = utcnow().astimezone(ZoneInfo(workspace.timezone or "Asia/Tokyo")).date()
    return today - dt.timedelta(days=days - 1)


def _entries(session: Session) -> tuple[Any, Any, Any]:
    """The table of the topics array's elements, and its topic and polarity, per dialect."""
    if session.get_bind().dialect.name == "postgresql":
        # A JSON null (not a list) would stop jsonb_array_elements: read it as no topics.
        topics = case(
            (func.jsonb_typeof(FeedbackAnalysis.topics) == "array", FeedbackAnalysis.topics),
            else_=literal_column("'[]'::jsonb"),
        )
        element = func.jsonb_array_elements(topics).table_valued("value")
        value = element.c.value
        return element, value.op("->>")("topic"), value.op("->>")("sentiment")
    element = func.json_each(FeedbackAnalysis.topics).table_valued("value")
    value = element.c.value
    return (
        element,
        func.json_extract(value, literal_column("'$.topic'")),
        func.json_extract(value, literal_column("'$.sentiment'")),
    )


def count_topics(
    session: Session,
    workspace: Workspace,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    recent_from: dt.date | None = None,
) -> dict[str, TopicCount]:
    """Topic key -> voices whose newest analysis holds it (received in the dates given);
    `recent` counts those received on or after `recent_from`."""
    latest = (
        select(func.max(FeedbackAnalysis.id).label("id"))
        .where(FeedbackAnalysis.workspace_id == workspace.id)
        .group_by(FeedbackAnalysis.feedback_id)
        .subquery()
    )
    element, topic, sentiment = _entries(session)
    is_recent = (
        case((Feedback.received_on >= recent_from, 1), else_=0)
        if recent_from is not None
        else literal_column("0", Integer)
    )
    query = (
        select(
            topic.label("topic"),
            sentiment.label("sentiment"),
            func.count(func.distinct(FeedbackAnalysis.id)),
            func.count(func.distinct(case((is_recent == 1, FeedbackAnalysis.id)))),
        )
        .select_from(FeedbackAnalysis)
        .join(latest, latest.c.id == FeedbackAnalysis.id)
        .join(Feedback, Feedback.id == FeedbackAnalysis.feedback_id)
        .join(element, literal_column("1") == 1)
        .where(Feedback.workspace_id == workspace.id, topic.is_not(None))
        .group_by(topic, sentiment)
    )
    if since is not None:
        query = query.where(Feedback.received_on >= since)
    if until is not None:
        query = query.where(Feedback.received_on <= until)
    counts: dict[str, TopicCount] = {}
    for key, polarity, voices, recent in session.execute(query):
        count = counts.setdefault(str(key), TopicCount())
        # A voice lists a topic once (the engine and the changes keep keys unique), so the
        # voices of a topic are the sum over its polarities.
        count.voices += int(voices)
        count.recent += int(recent)
        count.sentiments[str(polarity or "neutral")] += int(voices)
    return counts


def topic_rows(session: Session, workspace: Workspace) -> list[TopicRow]:
    """The workspace's active topics with their counts, most voices (all time) first."""
    taxonomy = load_taxonomy(session, workspace)
    counts = count_topics(session, workspace, recent_from=recent_since(workspace))
    empty = TopicCount()
    rows = [
        TopicRow(
            topic=topic,
            recent=counts.get(topic.key, empty).recent,
            total=counts.get(topic.key, empty).voices,
            sentiments=dict(counts.get(topic.key, empty).sentiments),
        )
        for topic in taxonomy.active()
    ]
    return sorted(rows, key=lambda r: (-r.total, r.topic.origin != "custom", r.topic.key))
