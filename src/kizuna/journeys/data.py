"""Reading a scope's interactions and analysed voices over a period, as frames.

A scope is `all` (every customer), `segment:<id>` (the customers a saved segment selects
now) or `persona:<id>` (the members of a persona). A period is `90d`, `365d` or `all`,
ending on the workspace's latest interaction day (never after today, in the workspace's
time zone), so imported or demo data that ends in the past still has a "last 90 days".
Merged records count for their surviving customer. Employee answers (eNPS) are not
customer voices and are left out. Only these reads touch the database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kizuna.accounts.models import Workspace
from kizuna.customers.bulk import column_frame
from kizuna.customers.lifecycle import today_in
from kizuna.customers.models import Customer, Interaction
from kizuna.errors import InvalidInput, NotFound
from kizuna.feedback.models import Feedback, FeedbackAnalysis

__all__ = [
    "PERIODS",
    "JourneyData",
    "check_scope",
    "load_journey_data",
    "period_bounds",
    "scope_customers",
]

PERIODS: dict[str, int | None] = {"90d": 90, "365d": 365, "all": None}
_INTERACTION_COLUMNS = ["id", "customer", "at", "channel", "kind", "touchpoint", "direct"]
_VOICE_COLUMNS = [
    "id",
    "customer",
    "at",
    "source",
    "channel",
    "touchpoint",
    "interaction_id",
    "text",
    "nps",
    "csat",
    "ces",
]
_ANALYSIS_COLUMNS = [
    "analysis_id",
    "id",
    "sentiment",
    "sentiment_score",
    "delight",
    "emotions",
    "topics",
    "experience_values",
]


@dataclass
class JourneyData:
    """What the journey analytics read: interactions and voices of one scope and period."""

    interactions: pd.DataFrame
    voices: pd.DataFrame
    start: dt.date | None
    end: dt.date


def check_scope(session: Session, workspace: Workspace, scope: str) -> tuple[str, int | None]:
    """("all" | "segment" | "persona", id): a scope string checked against the workspace."""
    kind, _, raw = scope.partition(":")
    if kind == "all" and not raw:
        return "all", None
    if kind not in ("segment", "persona") or not raw.isdigit():
        raise InvalidInput(
            f"Unknown scope {scope!r}: use all, segment:<id> or persona:<id>.",
            f"対象 {scope!r} は使えません。all、segment:<id>、persona:<id> のいずれかにしてください。",
            scope=scope,
        )
    number = int(raw)
    if kind == "segment":
        from kizuna.customers.segments import get_segment

        get_segment(session, workspace, number)
    else:
        from kizuna.personas.models import Persona

        found = session.scalar(
            select(Persona.id).where(Persona.workspace_id == workspace.id, Persona.id == number)
        )
        if found is None:
            raise NotFound(
                f"Persona {number} does not exist in this workspace. See the personas page.",
                f"ペルソナ {number} はこのワークスペースにありません。ペルソナのページを確認してください。",
                persona_id=number,
            )
    return kind, number


def scope_customers(session: Session, workspace: Workspace, scope: str) -> set[int] | None:
    """The surviving customers a scope covers; None for everyone."""
    kind, number = check_scope(session, workspace, scope)
    if kind == "all" or number is None:
        return None
    if kind == "segment":
        from kizuna.customers.segments import get_segment, segment_customer_ids

        segment = get_segment(session, workspace, number)
        return set(segment_customer_ids(session, workspace, list(segment.conditions), limit=2**62))
    from kizuna.personas.models import PersonaMember

    return set(
        session.scalars(
            select(PersonaMember.customer_id).where(
                PersonaMember.workspace_id == workspace.id, PersonaMember.persona_id == number
            )
        )
    )


def period_bounds(
    session: Session, workspace: Workspace, period: str
) -> tuple[dt.date | None, dt.date]:
    """(first day or None, last day) of a period, ending on the latest interaction day."""
    if period not in PERIODS:
        raise InvalidInput(
            f"Unknown period {period!r}: use {', '.join(PERIODS)}.",
            f"期間 {period!r} は使えません。{'、'.join(PERIODS)} のいずれかにしてください。",
            period=period,
        )
    last = session.scalar(
        select(func.max(Interaction.occurred_on)).where(Interaction.workspace_id == workspace.id)
    )
    today = today_in(workspace)
    end = today if last is None else min(today, last)
    days = PERIODS[period]
    return (None if days is None else end - dt.timedelta(days=days - 1)), end


def _in_scope(frame: pd.DataFrame, customers: set[int] | None) -> pd.DataFrame:
    if customers is None:
        return frame.reset_index(drop=True)
    return frame[frame["customer"].isin(customers)].reset_index(drop=True)


def load_journey_data(
    session: Session,
    workspace: Workspace,
    scope: str,
    period: str,
    *,
    with_properties: bool = False,
) -> JourneyData:
    """The scope's interactions and voices over the period (voices with their latest analysis).

    Interactions without a customer are left out (a journey is a person's); voices without
    one count only for the whole workspace's touchpoint figures.
    """
    customers = scope_customers(session, workspace, scope)
    start, end = period_bounds(session, workspace, period)
    person = func.coalesce(Customer.merged_into_id, Customer.id)
    columns: list[Any] = [
        Interaction.id,
        person,
        Interaction.occurred_at,
        Interaction.channel,
        Interaction.kind,
        Interaction.touchpoint,
        Interaction.direct,
    ]
    if with_properties:
        columns.append(Interaction.properties)
    query = (
        select(*columns)
        .join(Customer, Customer.id == Interaction.customer_id)
        .where(Interaction.workspace_id == workspace.id, Interaction.occurred_on <= end)
    )
    if start is not None:
        query = query.where(Interaction.occurred_on >= start)
    names = _INTERACTION_COLUMNS + (["properties"] if with_properties else [])
    interactions = _in_scope(column_frame(session.execute(query).all(), names), customers)
    interactions["at"] = pd.to_datetime(interactions["at"], utc=True)
    voices = _load_voices(session, workspace, start, end, customers, with_properties)
    return JourneyData(interactions=interactions, voices=voices, start=start, end=end)


def _load_voices(
    session: Session,
    workspace: Workspace,
    start: dt.date | None,
    end: dt.date,
    customers: set[int] | None,
    with_properties: bool,
) -> pd.DataFrame:
    person = func.coalesce(Customer.merged_into_id, Customer.id)
    columns: list[Any] = [
        Feedback.id,
        person,
        Feedback.received_at,
        Feedback.source,
        Feedback.channel,
        Feedback.touchpoint,
        Feedback.interaction_id,
        Feedback.text,
        Feedback.nps,
        Feedback.csat,
        Feedback.ces,
    ]
    if with_properties:
        columns.append(Feedback.properties)
    query = (
        select(*columns)
        .outerjoin(Customer, Customer.id == Feedback.customer_id)
        .where(
            Feedback.workspace_id == workspace.id,
            Feedback.received_on <= end,
            Feedback.source != "employee",
        )
    )
    if start is not None:
        query = query.where(Feedback.received_on >= start)
    names = _VOICE_COLUMNS + (["properties"] if with_properties else [])
    voices = column_frame(session.execute(query).all(), names)
    if customers is not None:
        voices = voices[voices["customer"].isin(customers)]
    voices = voices.reset_index(drop=True)
    voices["at"] = pd.to_datetime(voices["at"], utc=True)
    for score in ("nps", "csat", "ces"):
        voices[score] = pd.to_numeric(voices[score], errors="coerce")
    analysis_query = select(
        FeedbackAnalysis.id,
        FeedbackAnalysis.feedback_id,
        FeedbackAnalysis.sentiment,
        FeedbackAnalysis.sentiment_score,
        FeedbackAnalysis.delight,
        FeedbackAnalysis.emotions,
        FeedbackAnalysis.topics,
        FeedbackAnalysis.experience_values,
    ).where(FeedbackAnalysis.workspace_id == workspace.id)
    analysis = column_frame(session.execute(analysis_query).all(), _ANALYSIS_COLUMNS)
    # The latest analysis of each voice (a re-analysis with a newer engine wins).
    analysis = analysis.sort_values("analysis_id").drop_duplicates("id", keep="last")
    voices = voices.merge(analysis.drop(columns="analysis_id"), on="id", how="left")
    for score in ("sentiment_score", "delight"):
        voices[score] = pd.to_numeric(voices[score], errors="coerce")
    return voices
