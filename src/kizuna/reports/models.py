"""The reports feature's tables: who gets the weekly summary e-mail, and the dashboard's daily
rollups, their bookkeeping and the workspace's targets."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Date,
    Float,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from kizuna.db.base import Base, BigId, WorkspaceScoped, utcnow

__all__ = [
    "DashboardCustomerDay",
    "DashboardDay",
    "DashboardDirtyDay",
    "DashboardState",
    "DashboardTarget",
    "DashboardTopicDay",
    "ReportSubscription",
]


class ReportSubscription(WorkspaceScoped, Base):
    """One address that receives the workspace's weekly summary, in its language."""

    __tablename__ = "report_subscription"
    __table_args__ = (UniqueConstraint("workspace_id", "email"),)
    workspace_index = False

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    language: Mapped[str] = mapped_column(String(8), default="ja")
    created_by: Mapped[str] = mapped_column(String(200), default="system")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# --- the dashboard's daily rollups (kizuna.reports.rollups keeps them) ----------------------
# Dimension columns hold "" for "not given", so equality filters and the unique keys work the
# same on SQLite and PostgreSQL (NULLs are never equal there). `grain` says which dimensions a
# row keeps apart: "all" (none: the day's total), one dimension's name (that dimension, the
# others "") or "full" (every dimension: one row per day and distinct combination). A filter
# on one dimension reads that dimension's small grain; a filter on several at once sums the
# "full" rows that match (reports_0003 added them).


class _Dimensions:
    grain: Mapped[str] = mapped_column(String(16), default="full")
    day: Mapped[dt.date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(32), default="")
    touchpoint: Mapped[str] = mapped_column(String(100), default="")
    language: Mapped[str] = mapped_column(String(8), default="")
    source: Mapped[str] = mapped_column(String(64), default="")
    survey: Mapped[str] = mapped_column(String(100), default="")
    store: Mapped[str] = mapped_column(String(100), default="")


class DashboardDay(_Dimensions, WorkspaceScoped, Base):
    """Counts and sums of one day's voices sharing the same dimension values.

    Score columns count the answers that have the score (customer sources only; employee
    answers are left out as every customer metric leaves them out), so NPS, CSAT and CES
    with exact intervals follow from them (`kizuna.analytics.metrics.finish_metric`).
    Sentiment, delight and expectation come from each voice's newest analysis.
    """

    __tablename__ = "dashboard_day"
    __table_args__ = (Index("ix_dashboard_day_ws_grain_day", "workspace_id", "grain", "day"),)
    workspace_index = False

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    voices: Mapped[int] = mapped_column(Integer, default=0)
    nps_n: Mapped[int] = mapped_column(Integer, default=0)
    promoters: Mapped[int] = mapped_column(Integer, default=0)
    detractors: Mapped[int] = mapped_column(Integer, default=0)
    csat_n: Mapped[int] = mapped_column(Integer, default=0)
    csat_top2: Mapped[int] = mapped_column(Integer, default=0)
    ces_n: Mapped[int] = mapped_column(Integer, default=0)
    ces_total: Mapped[int] = mapped_column(BigInteger, default=0)
    ces_total_sq: Mapped[int] = mapped_column(BigInteger, default=0)
    ces_easy: Mapped[int] = mapped_column(Integer, default=0)
    analysed: Mapped[int] = mapped_column(Integer, default=0)
    positive: Mapped[int] = mapped_column(Integer, default=0)
    neutral: Mapped[int] = mapped_column(Integer, default=0)
    negative: Mapped[int] = mapped_column(Integer, default=0)
    mixed: Mapped[int] = mapped_column(Integer, default=0)
    sentiment_n: Mapped[int] = mapped_column(Integer, default=0)
    sentiment_sum: Mapped[float] = mapped_column(Float, default=0.0)
    delight_n: Mapped[int] = mapped_column(Integer, default=0)
    delight_sum: Mapped[float] = mapped_column(Float, default=0.0)
    exceeded: Mapped[int] = mapped_column(Integer, default=0)
    met: Mapped[int] = mapped_column(Integer, default=0)
    below: Mapped[int] = mapped_column(Integer, default=0)


class DashboardTopicDay(_Dimensions, WorkspaceScoped, Base):
    """Voices of one day mentioning a topic (each voice once per topic), by polarity.

    A voice counts under a polarity when any of its mentions of the topic has it, which is
    what the voice explorer's `topic` and `topic_sentiment` filters match.
    """

    __tablename__ = "dashboard_topic_day"
    __table_args__ = (Index("ix_dashboard_topic_day_ws_grain_day", "workspace_id", "grain", "day"),)
    workspace_index = False

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    topic: Mapped[str] = mapped_column(String(64))
    voices: Mapped[int] = mapped_column(Integer, default=0)
    positive: Mapped[int] = mapped_column(Integer, default=0)
    neutral: Mapped[int] = mapped_column(Integer, default=0)
    negative: Mapped[int] = mapped_column(Integer, default=0)
    mixed: Mapped[int] = mapped_column(Integer, default=0)
    nps_n: Mapped[int] = mapped_column(Integer, default=0)
    promoters: Mapped[int] = mapped_column(Integer, default=0)
    detractors: Mapped[int] = mapped_column(Integer, default=0)


class DashboardState(WorkspaceScoped, Base):
    """How far the rollups have read: the highest feedback and analysis ids seen."""

    __tablename__ = "dashboard_state"
    __table_args__ = (UniqueConstraint("workspace_id"),)
    workspace_index = False

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    feedback_mark: Mapped[int] = mapped_column(BigInteger, default=0)
    analysis_mark: Mapped[int] = mapped_column(BigInteger, default=0)
    # The highest interaction id the customer days have read; None: never counted.
    interaction_mark: Mapped[int | None] = mapped_column(BigInteger, default=None)
    built_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class DashboardCustomerDay(WorkspaceScoped, Base):
    """Which customers did one thing on one day (`kizuna.reports.customer_days`), or the
    day's voices of customers as the rollups count them (`kizuna.reports.segment_days`).

    `part` names the thing ("voiced", "nps", "interacted", "event", "community",
    "purchase"); `customers` holds their ids, ascending, as little-endian 64-bit integers,
    and `numbers`, for "nps" and "purchase", one little-endian double per id (the day's last
    NPS answer, the day's purchase amount). Parts "voices" and "topics": `customers` holds
    one id per row of `frame`, an Arrow IPC stream of the rows (dimensions and counts).
    """

    __tablename__ = "dashboard_customer_day"
    __table_args__ = (UniqueConstraint("workspace_id", "part", "day"),)
    workspace_index = False

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    part: Mapped[str] = mapped_column(String(16))
    day: Mapped[dt.date] = mapped_column(Date)
    customers: Mapped[bytes] = mapped_column(LargeBinary)
    numbers: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    frame: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)


class DashboardDirtyDay(WorkspaceScoped, Base):
    """A day whose rollups must be counted again (a voice of it was changed or analysed)."""

    __tablename__ = "dashboard_dirty_day"
    __table_args__ = (UniqueConstraint("workspace_id", "day"),)
    workspace_index = False

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date)


class DashboardTarget(WorkspaceScoped, Base):
    """The value a workspace aims for on one metric (NPS points, CSAT %, CES mean, ...)."""

    __tablename__ = "dashboard_target"
    __table_args__ = (UniqueConstraint("workspace_id", "metric"),)
    workspace_index = False

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    metric: Mapped[str] = mapped_column(String(32))
    target: Mapped[float] = mapped_column(Float)
    updated_by: Mapped[str] = mapped_column(String(200), default="system")
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
