"""How many voices hold each topic, and with which polarity, as the voice explorer counts.

A voice counts once for a topic when its newest analysis lists the topic, exactly what
the explorer's `topic` filter matches (`kizuna.feedback.explorer`), so a count here and
the number of voices the explorer shows for the same topic and dates agree. The count
runs where the data lives: the topics' JSON array is expanded by the database
(`json_each` on SQLite, `jsonb_array_elements` on PostgreSQL) and grouped by topic and
polarity, one query for all time and the last 30 days together.

The Topics page (`topic_rows`) reads the same counts from the dashboard's daily rollups
instead (`kizuna.reports.rollup_topics`; expanding 1 M voices' topics per request took
7.2 s): the rollups' customer voices plus the employee voices they leave out, counted here
from those voices alone (`count_topics(source=...)`, through the feedback table's
(workspace, source, external id) index). Topics reads the reports room's service; reports
imports nothing of topics.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, case, func, literal_column, select
from sqlalchemy.orm import Session, aliased

from kizuna.accounts.models import Workspace
from kizuna.db.base import utcnow
from kizuna.feedback.models import Feedback, FeedbackAnalysis
from kizuna.reports.rollup_topics import EMPLOYEE_SOURCE, rollup_topic_counts
from kizuna.topics.service import load_taxonomy
from kizuna.topics.taxonomy import TopicDef

__all__ = [
    "RECENT_DAYS",
    "TopicCount",
    "TopicRow",
    "count_all_topics",
    "count_topics",
    "recent_since",
    "topic_rows",
]

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


def _entries(session: Session, topics: Any) -> tuple[Any, Any, Any]:
    """The table of the topics array's elements, and its topic and polarity, per dialect."""
    if session.get_bind().dialect.name == "postgresql":
        # A JSON null (not a list) would stop jsonb_array_elements: read it as no topics.
        topics = case(
            (func.jsonb_typeof(topics) == "array", topics),
            else_=literal_column("'[]'::jsonb"),
        )
        element = func.jsonb_array_elements(topics).table_valued("value")
        value = element.c.value
        return element, value.op("->>")("topic"), value.op("->>")("sentiment")
    element = func.json_each(topics).table_valued("value")
    value = element.c.value
    return (
        element,
        func.json_extract(value, literal_column("'$.topic'")),
        func.json_extract(value, literal_column("'$.sentiment'")),
    )


def _newest_analyses(session: Session, workspace: Workspace, source: str | None) -> Any:
    """Each voice joined to its newest analysis, and that analysis's id and topics.

    For all voices: the newest analysis id of every voice of the workspace, grouped once.
    For the voices of one source: the newest analysis looked up per voice through the
    `feedback_id` index, so only that source's voices (found by the (workspace, source,
    external id) index) and their analyses are read; `+ 0` keeps the lookup off the
    analysis table's workspace index. On PostgreSQL a LATERAL subquery, since with a
    correlated `max` it hashed every analysis of the table to match the voices' newest ids.
    """
    if source is None:
        latest = (
            select(func.max(FeedbackAnalysis.id).label("id"))
            .where(FeedbackAnalysis.workspace_id == workspace.id)
            .group_by(FeedbackAnalysis.feedback_id)
            .subquery()
        )
        joined = (
            select()
            .select_from(FeedbackAnalysis)
            .join(latest, latest.c.id == FeedbackAnalysis.id)
            .join(Feedback, Feedback.id == FeedbackAnalysis.feedback_id)
        )
        return joined, FeedbackAnalysis.id, FeedbackAnalysis.topics
    if session.get_bind().dialect.name == "postgresql":
        newest = (
            select(FeedbackAnalysis.id, FeedbackAnalysis.topics)
            .where(
                FeedbackAnalysis.feedback_id == Feedback.id,
                (FeedbackAnalysis.workspace_id + 0) == workspace.id,
            )
            .order_by(FeedbackAnalysis.id.desc())
            .limit(1)
            .lateral("newest")
        )
        joined = select().select_from(Feedback).join(newest, literal_column("1") == 1)
        return joined.where(Feedback.source == source), newest.c.id, newest.c.topics
    other = aliased(FeedbackAnalysis)
    newest_id = (
        select(func.max(other.id))
        .where(other.feedback_id == Feedback.id, (other.workspace_id + 0) == workspace.id)
        .correlate(Feedback)
        .scalar_subquery()
    )
    joined = (
        select()
        .select_from(Feedback)
        .join(
            FeedbackAnalysis,
            (FeedbackAnalysis.feedback_id == Feedback.id) & (FeedbackAnalysis.id == newest_id),
        )
        .where(Feedback.source == source)
    )
    return joined, FeedbackAnalysis.id, FeedbackAnalysis.topics


def count_topics(
    session: Session,
    workspace: Workspace,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    recent_from: dt.date | None = None,
    source: str | None = None,
) -> dict[str, TopicCount]:
    """Topic key -> voices whose newest analysis holds it (received in the dates given);
    `recent` counts those received on or after `recent_from`; `source`: that source's
    voices only, reading those alone."""
    joined, analysis_id, topics = _newest_analyses(session, workspace, source)
    element, topic, sentiment = _entries(session, topics)
    is_recent = (
        case((Feedback.received_on >= recent_from, 1), else_=0)
        if recent_from is not None
        else literal_column("0", Integer)
    )
    query = (
        joined.add_columns(
            topic.label("topic"),
            sentiment.label("sentiment"),
            func.count(func.distinct(analysis_id)),
            func.count(func.distinct(case((is_recent == 1, analysis_id)))),
        )
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


def count_all_topics(
    session: Session, workspace: Workspace, recent_from: dt.date
) -> dict[str, TopicCount]:
    """What `count_topics(recent_from=...)` counts, from the dashboard's rollups (refreshed
    first) plus the employee voices they leave out, counted live from those voices only.

    The rollups note a voice under each polarity its mentions of a topic have; one with no
    polarity (which `count_topics` reads as neutral) is under none of the four, so it is
    counted as neutral here: the voices less those under a polarity.
    """
    counts: dict[str, TopicCount] = {}
    for key, rolled in rollup_topic_counts(session, workspace.id, recent_from).items():
        count = counts[key] = TopicCount(voices=rolled.voices, recent=rolled.recent)
        for polarity, voices in (
            ("positive", rolled.positive),
            ("neutral", rolled.neutral + rolled.unlabelled),
            ("negative", rolled.negative),
            ("mixed", rolled.mixed),
        ):
            if voices:
                count.sentiments[polarity] += voices
    employees = count_topics(session, workspace, recent_from=recent_from, source=EMPLOYEE_SOURCE)
    for key, live in employees.items():
        count = counts.setdefault(key, TopicCount())
        count.voices += live.voices
        count.recent += live.recent
        count.sentiments.update(live.sentiments)
    return counts


def topic_rows(session: Session, workspace: Workspace) -> list[TopicRow]:
    """The workspace's active topics with their counts, most voices (all time) first."""
    taxonomy = load_taxonomy(session, workspace)
    counts = count_all_topics(session, workspace, recent_since(workspace))
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
