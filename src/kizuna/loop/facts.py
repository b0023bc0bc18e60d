"""What rules can see: the fields of a voice, of its customer and of time, as one frame.

`RULE_FIELDS` declares each field for the one condition language
(`kizuna.analytics.conditions`); `voice_frame` reads voices (with their text analysis and,
when a rule asks, their customer's scores, segments and consent) into a pandas frame of
those columns, one row per voice, in a few queries however many voices there are.

- voice: nps, nps_group (promoter/passive/detractor), csat, ces, rating, sentiment,
  sentiment_score, emotions (those scored 0.3 or more), delight, expectation, topics,
  positive_topics, negative_topics, channel, touchpoint, source, language, text (words);
- customer: clv_percentile, churn_probability, lifecycle_stage, segment (saved segment
  ids), consent_email, has_customer;
- time: days_without_reply (days since the voice came in with no follow-up reply sent;
  rules using it run hourly, not when the voice arrives).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
from sqlalchemy import and_, func, null, select
from sqlalchemy.orm import Session, aliased

from kizuna.accounts.models import Workspace
from kizuna.analytics.conditions import FieldSpec, referenced_fields
from kizuna.customers.models import Customer, CustomerScore, Segment
from kizuna.feedback.models import SOURCES, Feedback, FeedbackAnalysis
from kizuna.loop.models import Case, CaseEvent

__all__ = ["CUSTOMER_FIELDS", "RULE_FIELDS", "TIME_FIELDS", "field_group", "voice_frame"]

EMOTION_THRESHOLD = 0.3
_SENTIMENTS = ("positive", "negative", "neutral", "mixed")
_EMOTIONS = ("joy", "trust", "surprise", "anticipation", "anger", "sadness", "fear", "disgust")
_CHANNELS = (
    "web",
    "app",
    "store",
    "call_center",
    "email",
    "sns",
    "review_site",
    "event",
    "community",
    "chat",
    "internal",
    "other",
)


def _topics() -> tuple[str, ...] | None:
    try:
        from kizuna.analytics.text.topics import list_topics

        return tuple(str(t) for t in list_topics()["topic"])
    except Exception:  # pragma: no cover - an unreadable taxonomy checks no topic names
        return None


_TOPICS = _topics()
RULE_FIELDS: dict[str, FieldSpec] = {
    "nps": FieldSpec("number", 0, 10),
    "nps_group": FieldSpec("code", values=("promoter", "passive", "detractor")),
    "csat": FieldSpec("number", 1, 5),
    "ces": FieldSpec("number", 1, 7),
    "rating": FieldSpec("number", 1, 5),
    "sentiment": FieldSpec("code", values=_SENTIMENTS),
    "sentiment_score": FieldSpec("number", -1, 1),
    "emotions": FieldSpec("list", values=_EMOTIONS),
    "delight": FieldSpec("number", 0, 1),
    "expectation": FieldSpec("code", values=("exceeded", "met", "below", "unknown")),
    "topics": FieldSpec("list", values=_TOPICS),
    "positive_topics": FieldSpec("list", values=_TOPICS),
    "negative_topics": FieldSpec("list", values=_TOPICS),
    "channel": FieldSpec("code", values=_CHANNELS),
    "touchpoint": FieldSpec("text"),
    "source": FieldSpec("code", values=SOURCES),
    "language": FieldSpec("code", values=("ja", "en", "other")),
    "text": FieldSpec("words"),
    "clv_percentile": FieldSpec("number", 0, 100),
    "churn_probability": FieldSpec("number", 0, 1),
    "lifecycle_stage": FieldSpec(
        "code", values=("prospect", "new", "active", "loyal", "at-risk", "lapsed", "won-back")
    ),
    "segment": FieldSpec("list"),
    "consent_email": FieldSpec("bool"),
    "has_customer": FieldSpec("bool"),
    "days_without_reply": FieldSpec("number", 0, 3650),
}
CUSTOMER_FIELDS = frozenset(
    {"clv_percentile", "churn_probability", "lifecycle_stage", "segment", "consent_email"}
)
TIME_FIELDS = frozenset({"days_without_reply"})


def field_group(field: str) -> str:
    if field in TIME_FIELDS:
        return "time"
    if field in CUSTOMER_FIELDS or field == "has_customer":
        return "customer"
    return "voice"


def _nps_group(nps: Any) -> str | None:
    if nps is None or nps != nps:
        return None
    return "promoter" if nps >= 9 else "passive" if nps >= 7 else "detractor"


def _ids(column: Any, ids: list[int]) -> Any:
    """`column IN ids`, or a range when the ids are dense (a batch of new voices is): a
    range compiles once, where thousands of bound parameters are rendered every time."""
    low, high = min(ids), max(ids)
    if high - low + 1 <= 2 * len(ids) + 100:
        return and_(column >= low, column <= high)
    return column.in_(ids)


def voice_frame(
    session: Session,
    workspace: Workspace,
    feedback_ids: Sequence[int],
    *,
    wanted: Iterable[str] | None = None,
    engine_version: str | None = None,
    now: dt.datetime | None = None,
) -> pd.DataFrame:
    """One row per voice (index: feedback id) with the rule fields `wanted` (all: None).

    The analysis is the one of `engine_version` when given (the event's), else the newest.
    "received_at" may be asked for too (it is read when time matters: tests, timed rules).
    """
    fields = set(RULE_FIELDS if wanted is None else wanted) | {"customer_id"}
    ids = list(dict.fromkeys(int(i) for i in feedback_ids))
    if not ids:
        return pd.DataFrame(columns=sorted(fields | {"received_at"}))
    times = wanted is None or bool(fields & {"received_at", "days_without_reply"})
    columns: list[Any] = [
        Feedback.id,
        Feedback.customer_id,
        Feedback.nps,
        Feedback.csat,
        Feedback.ces,
        Feedback.rating,
        Feedback.channel,
        Feedback.touchpoint,
        Feedback.source,
        Feedback.language,
        Feedback.text,
    ]
    if times:
        columns.append(Feedback.received_at)
    wanted_ids = set(ids)
    rows = [
        row
        for row in session.connection().execute(
            select(*columns).where(Feedback.workspace_id == workspace.id, _ids(Feedback.id, ids))
        )
        if row[0] in wanted_ids
    ]
    frame = pd.DataFrame(rows, columns=[c.key for c in columns]).set_index("id", drop=False)
    frame["nps_group"] = [_nps_group(v) for v in frame["nps"]]
    _add_analysis(session, workspace, frame, engine_version, fields)
    if fields & (CUSTOMER_FIELDS | {"has_customer"}):
        _add_customers(session, workspace, frame, fields)
    if "days_without_reply" in fields:
        _add_replies(session, workspace, frame, now or dt.datetime.now(dt.UTC))
    return frame


_TOPIC_FIELDS = {"topics", "positive_topics", "negative_topics"}


def _add_analysis(
    session: Session,
    workspace: Workspace,
    frame: pd.DataFrame,
    engine_version: str | None,
    fields: set[str],
) -> None:
    ids = list(frame.index)
    if not ids:
        return
    emotions_wanted = "emotions" in fields
    topics_wanted = bool(fields & _TOPIC_FIELDS)
    # JSON columns are parsed only when a rule looks at them.
    query = select(
        FeedbackAnalysis.feedback_id,
        FeedbackAnalysis.sentiment,
        FeedbackAnalysis.sentiment_score,
        FeedbackAnalysis.delight,
        FeedbackAnalysis.expectation,
        FeedbackAnalysis.emotions if emotions_wanted else null(),
        FeedbackAnalysis.topics if topics_wanted else null(),
        FeedbackAnalysis.language,
    ).where(FeedbackAnalysis.workspace_id == workspace.id, _ids(FeedbackAnalysis.feedback_id, ids))
    if engine_version is not None:
        query = query.where(FeedbackAnalysis.engine_version == engine_version)
    else:
        newest = (
            select(func.max(FeedbackAnalysis.id))
            .where(
                FeedbackAnalysis.workspace_id == workspace.id,
                _ids(FeedbackAnalysis.feedback_id, ids),
            )
            .group_by(FeedbackAnalysis.feedback_id)
        )
        query = query.where(FeedbackAnalysis.id.in_(newest))
    wanted_ids = set(ids)
    found: dict[int, tuple[Any, ...]] = {}
    # Core, not ORM, execution: thousands of rows without the ORM's per-row work.
    for (
        fid,
        sentiment,
        score,
        delight,
        expectation,
        emotions,
        topics,
        language,
    ) in session.connection().execute(query):
        if fid not in wanted_ids:
            continue
        strong = (
            frozenset(k for k, v in (emotions or {}).items() if (v or 0) >= EMOTION_THRESHOLD)
            if emotions_wanted
            else None
        )
        named = [t for t in (topics or []) if isinstance(t, dict) and t.get("topic")]
        found[fid] = (
            sentiment,
            score,
            delight,
            expectation,
            strong,
            frozenset(str(t["topic"]) for t in named) if topics_wanted else None,
            frozenset(str(t["topic"]) for t in named if t.get("sentiment") == "positive")
            if topics_wanted
            else None,
            frozenset(str(t["topic"]) for t in named if t.get("sentiment") == "negative")
            if topics_wanted
            else None,
            language,
        )
    empty = (None, None, None, None, None, None, None, None, None)
    values = [found.get(i, empty) for i in ids]
    for position, name in enumerate(
        (
            "sentiment",
            "sentiment_score",
            "delight",
            "expectation",
            "emotions",
            "topics",
            "positive_topics",
            "negative_topics",
            "analysis_language",
        )
    ):
        frame[name] = [v[position] for v in values]
    frame["language"] = frame["language"].where(
        frame["language"].notna(), frame["analysis_language"]
    )


def _add_customers(
    session: Session, workspace: Workspace, frame: pd.DataFrame, fields: set[str]
) -> None:
    """The person behind each voice (a merged record counts as its survivor) and their
    stage, consent and scores, in one query joined from the voices."""
    ids = [int(i) for i in frame.index]
    person = aliased(Customer)
    joined = and_(
        CustomerScore.customer_id == person.id, CustomerScore.workspace_id == workspace.id
    )
    facts: dict[int, tuple[Any, ...]] = {}
    wanted_ids = set(ids)
    if ids:
        for fid, pid, stage, consent, percentile, churn in session.connection().execute(
            select(
                Feedback.id,
                person.id,
                person.lifecycle_stage,
                person.consent_email,
                CustomerScore.clv_percentile,
                CustomerScore.churn_probability,
            )
            .join(Customer, Customer.id == Feedback.customer_id)
            .join(person, person.id == func.coalesce(Customer.merged_into_id, Customer.id))
            .outerjoin(CustomerScore, joined)
            .where(Feedback.workspace_id == workspace.id, _ids(Feedback.id, ids))
        ):
            if fid in wanted_ids:
                facts[fid] = (stage, consent, percentile, churn, pid)
    segments: dict[int, set[str]] = {}
    people = list({f[4] for f in facts.values()})
    if "segment" in fields and people:
        from kizuna.customers.segments import customers_in_segment

        for segment in session.scalars(select(Segment).where(Segment.workspace_id == workspace.id)):
            for member in customers_in_segment(
                session, workspace, list(segment.conditions), people
            ):
                segments.setdefault(member, set()).add(str(segment.id))
    empty = (None, None, None, None, None)
    rows = [facts.get(fid, empty) for fid in ids]
    frame["lifecycle_stage"] = [r[0] for r in rows]
    frame["consent_email"] = [r[1] for r in rows]
    frame["clv_percentile"] = [r[2] for r in rows]
    frame["churn_probability"] = [r[3] for r in rows]
    frame["segment"] = pd.Series(
        [frozenset(segments.get(r[4], ())) if r[4] is not None else None for r in rows],
        index=frame.index,
        dtype=object,
    )
    frame["person_id"] = [r[4] for r in rows]
    frame["has_customer"] = [r[4] is not None for r in rows]


def _add_replies(
    session: Session, workspace: Workspace, frame: pd.DataFrame, now: dt.datetime
) -> None:
    ids = list(frame.index)
    replied = set(
        session.scalars(
            select(Case.feedback_id)
            .join(CaseEvent, CaseEvent.case_id == Case.id)
            .where(
                Case.workspace_id == workspace.id,
                Case.feedback_id.in_(ids),
                CaseEvent.kind == "reply",
            )
        )
    )
    frame["days_without_reply"] = [
        None if fid in replied else max(0, (now - received).days)
        for fid, received in zip(frame.index, frame["received_at"], strict=True)
    ]


def wanted_fields(conditions: Any) -> set[str]:
    return set(referenced_fields(conditions))
