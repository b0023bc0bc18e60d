"""Tables of the feedback room: feedback and its text analysis."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Date,
    Float,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from kizuna.db.base import Base, BigId, JSONType, WorkspaceScoped, utcnow

__all__ = [
    "SOURCES",
    "Feedback",
    "FeedbackAnalysis",
    "FeedbackSearchState",
    "VoiceTag",
    "VoiceTagging",
    "analysis_scope",
]

# "employee" holds answers of employee surveys (eNPS); every customer metric leaves it out.
SOURCES = (
    "survey",
    "review",
    "sns",
    "ticket",
    "chat",
    "interview",
    "community",
    "employee",
    "import",
)


class Feedback(WorkspaceScoped, Base):
    """One voice. Scores: nps 0-10, csat 1-5, ces 1-7, rating 1-5; any may be missing."""

    workspace_index = False  # led by the unique key and the composite indexes
    __tablename__ = "feedback"
    __table_args__ = (
        UniqueConstraint("workspace_id", "source", "external_id"),
        Index("ix_feedback_ws_received", "workspace_id", "received_on"),
        Index("ix_feedback_ws_id", "workspace_id", "id"),
        # A person's voices: customer first (deleting a customer finds them by it), then the
        # workspace, so a query naming both reads this index rather than the workspace's
        # (SQLite keeps no statistics; feedback_0004).
        Index("ix_feedback_customer_ws", "customer_id", "workspace_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(32))
    touchpoint: Mapped[str | None] = mapped_column(String(100), default=None)
    customer_ref: Mapped[str | None] = mapped_column(String(200), default=None)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer.id", ondelete="SET NULL"), default=None
    )
    interaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("interaction.id", ondelete="SET NULL"), default=None
    )
    received_at: Mapped[dt.datetime] = mapped_column()
    # The calendar day in the workspace's time zone, so periods agree on every engine.
    received_on: Mapped[dt.date] = mapped_column(Date)
    text: Mapped[str | None] = mapped_column(Text, default=None)
    language: Mapped[str | None] = mapped_column(String(8), default=None)
    nps: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    csat: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    ces: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    rating: Mapped[float | None] = mapped_column(Float, default=None)
    properties: Mapped[dict[str, Any]] = mapped_column(default=dict)
    content_hash: Mapped[str] = mapped_column(String(32), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class FeedbackAnalysis(WorkspaceScoped, Base):
    """What the text engine found in one feedback, per engine version."""

    __tablename__ = "feedback_analysis"
    __table_args__ = (
        UniqueConstraint("feedback_id", "engine_version"),
        # A voice's newest analysis is the first entry of this index read backwards; without
        # it PostgreSQL may walk the whole table's primary key backwards looking for one.
        Index("ix_feedback_analysis_feedback_id_id", "feedback_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"))
    engine_version: Mapped[str] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(8), default=None)
    sentiment: Mapped[str | None] = mapped_column(String(16), default=None)
    sentiment_score: Mapped[float | None] = mapped_column(Float, default=None)
    delight: Mapped[float | None] = mapped_column(Float, default=None)
    expectation: Mapped[str | None] = mapped_column(String(16), default=None)
    emotions: Mapped[dict[str, Any]] = mapped_column(default=dict)
    topics: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    experience_values: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    cues: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    truncated: Mapped[bool] = mapped_column(default=False)
    analyzed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


def analysis_scope(workspace_id: int) -> ColumnElement[bool]:
    """`FeedbackAnalysis.workspace_id == workspace_id`, written so that no index serves it.

    For use beside `FeedbackAnalysis.feedback_id.in_(ids)`: SQLite, which keeps no
    statistics, would otherwise read the workspace's index, every analysis the workspace
    has, instead of the few rows of those ids (at 1 M voices 1.5-2.7 s against 1-4 ms per
    call). "+ 0" keeps the scope exact and leaves the choice to the feedback ids' index.
    """
    return FeedbackAnalysis.workspace_id + 0 == workspace_id


class FeedbackSearchState(Base):
    """How far the search index of a workspace has read: every voice with a larger id is
    searched by substring until the index subscriber has caught up (`kizuna.feedback.search`).

    The index itself (`feedback_search`) is built by dialect-specific SQL in the migration
    (an FTS5 table on SQLite, a tsvector with a GIN index on PostgreSQL), so it is not here."""

    __tablename__ = "feedback_search_state"

    workspace_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("workspace.id", ondelete="CASCADE"), primary_key=True
    )
    indexed_through: Mapped[int] = mapped_column(BigInteger, default=0)


class VoiceTag(WorkspaceScoped, Base):
    """A tag analysts put on voices, named once per workspace."""

    workspace_index = False  # led by the unique key
    __tablename__ = "voice_tag"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    created_by: Mapped[str] = mapped_column(String(200), default="system")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class VoiceTagging(WorkspaceScoped, Base):
    """One tag on one voice."""

    workspace_index = False
    __tablename__ = "voice_tagging"
    __table_args__ = (Index("ix_voice_tagging_feedback", "feedback_id"),)

    tag_id: Mapped[int] = mapped_column(
        ForeignKey("voice_tag.id", ondelete="CASCADE"), primary_key=True
    )
    feedback_id: Mapped[int] = mapped_column(
        ForeignKey("feedback.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
