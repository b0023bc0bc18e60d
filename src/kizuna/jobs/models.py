"""Tables of the jobs room: durable work, recurring schedules and domain events (the outbox).

- `job`: one unit of background work with retries and backoff; `key` (unique when set)
  makes enqueueing idempotent, `priority` orders ready work (higher first).
- `job_schedule`: a recurring job, a cron line read in its time zone; the worker enqueues
  each due run under the key `schedule:<id>:<due time>`, so two workers never run it twice.
- `domain_event`: what happened, written in the same transaction as the data it describes;
  `event_delivery`: which subscriber has handled which event (each once).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from kizuna.db.base import Base, BigId, WorkspaceScoped, utcnow

__all__ = ["JOB_STATES", "READY_CONDITION", "DomainEvent", "EventDelivery", "Job", "JobSchedule"]

JOB_STATES = ("queued", "running", "done", "failed", "dead")
# Ready to claim ('failed': waiting for its retry time), written out rather than bound: the
# databases use a partial index only for a query whose condition they can see implies its own.
READY_CONDITION = "state IN ('queued', 'failed')"


class Job(Base):
    """One unit of background work. `workspace_id` is set for work on a workspace's data."""

    __tablename__ = "job"
    __table_args__ = (Index("ix_job_ready", "state", "priority", "run_after"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    workspace_id: Mapped[int | None] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), default=None, index=True
    )
    kind: Mapped[str] = mapped_column(String(100))
    key: Mapped[str | None] = mapped_column(String(200), unique=True, default=None)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    run_after: Mapped[dt.datetime] = mapped_column(default=utcnow)
    locked_by: Mapped[str | None] = mapped_column(String(100), default=None)
    locked_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(default=None)


# The claim's order over ready jobs only: the next job is the index's first entry, where
# `ix_job_ready` (priority ascending) left every ready job to be sorted at each claim.
Index(
    "ix_job_claim",
    Job.priority.desc(),
    Job.run_after,
    Job.id,
    sqlite_where=text(READY_CONDITION),
    postgresql_where=text(READY_CONDITION),
)


class JobSchedule(Base):
    """A recurring job: `cron` (minute hour day month weekday) in `timezone`."""

    __tablename__ = "job_schedule"
    __table_args__ = (
        UniqueConstraint("workspace_id", "name"),
        Index("ix_job_schedule_due", "enabled", "next_run_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    workspace_id: Mapped[int | None] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), default=None
    )
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    cron: Mapped[str] = mapped_column(String(100))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Tokyo")
    enabled: Mapped[bool] = mapped_column(default=True)
    next_run_at: Mapped[dt.datetime] = mapped_column()
    last_run_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class DomainEvent(WorkspaceScoped, Base):
    """One typed event; `key` (unique per workspace and kind when set) makes raising idempotent."""

    __tablename__ = "domain_event"
    __table_args__ = (
        UniqueConstraint("workspace_id", "kind", "key"),
        Index("ix_domain_event_workspace_id_occurred_at", "workspace_id", "occurred_at"),
    )
    workspace_index = False

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(100))
    key: Mapped[str | None] = mapped_column(String(200), default=None)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    occurred_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class EventDelivery(WorkspaceScoped, Base):
    """A subscriber handled an event; written in the subscriber's own transaction."""

    __tablename__ = "event_delivery"
    __table_args__ = (UniqueConstraint("event_id", "subscriber"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("domain_event.id", ondelete="CASCADE"))
    subscriber: Mapped[str] = mapped_column(String(100))
    delivered_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
