"""Tables of the loop room: departments, rules, cases and their history, improvements,
praise, webhooks and the workspace's loop settings (business calendar, SLA, root causes).

Every table holds `workspace_id`. People are referenced by `user_account.id` with
ON DELETE SET NULL and a name kept beside it, so a deleted user's cases stay readable (and
reassignable); voices and customers likewise (SET NULL), so a case outlives them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kizuna.db.base import Base, BigId, JSONType, WorkspaceScoped, utcnow

__all__ = [
    "CASE_STATUSES",
    "IMPROVEMENT_STATUSES",
    "OPEN_STATUSES",
    "PRIORITIES",
    "RULE_STATUSES",
    "Case",
    "CaseEvent",
    "Department",
    "DepartmentMember",
    "Improvement",
    "ImprovementLink",
    "LoopSettings",
    "Praise",
    "PraiseTarget",
    "Rule",
    "RuleMatch",
    "SavedView",
    "VoiceTag",
    "Webhook",
    "WebhookDelivery",
]

CASE_STATUSES = (
    "new",
    "assigned",
    "in_progress",
    "waiting",
    "resolved",
    "closed",
    "reopened",
)
OPEN_STATUSES = ("new", "assigned", "in_progress", "waiting", "reopened")
PRIORITIES = (1, 2, 3, 4)  # urgent, high, normal, low
RULE_STATUSES = ("draft", "active", "held", "off")
IMPROVEMENT_STATUSES = ("idea", "planned", "in_progress", "shipped")


def _user_fk() -> Any:
    return ForeignKey("user_account.id", ondelete="SET NULL")


class LoopSettings(WorkspaceScoped, Base):
    """One row per workspace: business calendar, SLA per priority, root causes, limits."""

    workspace_index = False
    __tablename__ = "loop_settings"
    __table_args__ = (UniqueConstraint("workspace_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    calendar: Mapped[dict[str, Any]] = mapped_column(default=dict)
    sla: Mapped[dict[str, Any]] = mapped_column(default=dict)
    root_causes: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Department(WorkspaceScoped, Base):
    """A team that works cases (front desk, housekeeping, call centre, ...)."""

    workspace_index = False
    __tablename__ = "loop_department"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    lead_id: Mapped[int | None] = mapped_column(_user_fk(), default=None)
    email: Mapped[str | None] = mapped_column(String(320), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class DepartmentMember(WorkspaceScoped, Base):
    __tablename__ = "loop_department_member"
    __table_args__ = (UniqueConstraint("department_id", "user_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    department_id: Mapped[int] = mapped_column(
        ForeignKey("loop_department.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )


class Rule(WorkspaceScoped, Base):
    """When a voice meets `conditions`, do `actions`. `status`: draft, active, held, off."""

    __tablename__ = "loop_rule"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    conditions: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    actions: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    hold_reason: Mapped[str | None] = mapped_column(String(32), default=None)
    max_cases_per_hour: Mapped[int] = mapped_column(Integer, default=20)
    timed: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    last_test: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class RuleMatch(WorkspaceScoped, Base):
    """A rule fired for a voice: once per (rule, voice), whatever re-delivers the event."""

    workspace_index = False
    __tablename__ = "loop_rule_match"
    __table_args__ = (
        UniqueConstraint("rule_id", "feedback_id"),
        Index("ix_loop_rule_match_workspace_id_matched_at", "workspace_id", "matched_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("loop_rule.id", ondelete="CASCADE"))
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"))
    case_id: Mapped[int | None] = mapped_column(BigId, default=None)
    matched_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    outcome: Mapped[str] = mapped_column(String(16), default="done")


class Case(WorkspaceScoped, Base):
    """One piece of follow-up work on a voice, with its SLA clocks and optimistic `version`."""

    workspace_index = False
    __tablename__ = "loop_case"
    __table_args__ = (
        Index("ix_loop_case_workspace_id_status", "workspace_id", "status"),
        Index("ix_loop_case_workspace_id_department_id", "workspace_id", "department_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="new")
    priority: Mapped[int] = mapped_column(SmallInteger, default=3)
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("loop_department.id", ondelete="SET NULL"), default=None
    )
    owner_id: Mapped[int | None] = mapped_column(_user_fk(), default=None)
    owner_name: Mapped[str | None] = mapped_column(String(320), default=None)
    feedback_id: Mapped[int | None] = mapped_column(
        ForeignKey("feedback.id", ondelete="SET NULL"), default=None, index=True
    )
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer.id", ondelete="SET NULL"), default=None, index=True
    )
    rule_id: Mapped[int | None] = mapped_column(
        ForeignKey("loop_rule.id", ondelete="SET NULL"), default=None
    )
    tags: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    opened_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    first_response_due: Mapped[dt.datetime | None] = mapped_column(default=None)
    first_responded_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    resolution_due: Mapped[dt.datetime | None] = mapped_column(default=None)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    closed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    paused_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    paused_remaining_minutes: Mapped[int | None] = mapped_column(Integer, default=None)
    warned: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    escalated_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    breached: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    root_cause: Mapped[str | None] = mapped_column(String(64), default=None)
    resolution_note: Mapped[str | None] = mapped_column(Text, default=None)
    reopened_count: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CaseEvent(WorkspaceScoped, Base):
    """One line of a case's history: who did what, when (comments and handoff notes kept)."""

    workspace_index = False
    __tablename__ = "loop_case_event"
    __table_args__ = (Index("ix_loop_case_event_case_id_id", "case_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("loop_case.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    actor_name: Mapped[str] = mapped_column(String(320), default="")
    kind: Mapped[str] = mapped_column(String(32))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    body: Mapped[str | None] = mapped_column(Text, default=None)


class SavedView(WorkspaceScoped, Base):
    """A person's saved inbox filters."""

    __tablename__ = "loop_saved_view"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), default=None
    )
    name: Mapped[str] = mapped_column(String(100))
    filters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class VoiceTag(WorkspaceScoped, Base):
    """A tag a rule (or a person) put on a voice."""

    workspace_index = False
    __tablename__ = "loop_voice_tag"
    __table_args__ = (UniqueConstraint("workspace_id", "feedback_id", "tag"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"))
    tag: Mapped[str] = mapped_column(String(64))
    rule_id: Mapped[int | None] = mapped_column(
        ForeignKey("loop_rule.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Improvement(WorkspaceScoped, Base):
    """A change made because customers asked: idea -> planned -> in_progress -> shipped."""

    __tablename__ = "loop_improvement"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("loop_department.id", ondelete="SET NULL"), default=None
    )
    topic: Mapped[str | None] = mapped_column(String(64), default=None)
    status: Mapped[str] = mapped_column(String(16), default="idea")
    public: Mapped[bool] = mapped_column(default=True)
    shipped_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ImprovementLink(WorkspaceScoped, Base):
    """A voice that asked for an improvement; `notify_state` once its contributor was told."""

    workspace_index = False
    __tablename__ = "loop_improvement_link"
    __table_args__ = (
        UniqueConstraint("improvement_id", "feedback_id"),
        Index("ix_loop_improvement_link_workspace_id_customer_id", "workspace_id", "customer_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    improvement_id: Mapped[int] = mapped_column(
        ForeignKey("loop_improvement.id", ondelete="CASCADE")
    )
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer.id", ondelete="SET NULL"), default=None
    )
    linked_by: Mapped[str] = mapped_column(String(200), default="")
    linked_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # sent, no_consent, no_address, duplicate (the person was told through another voice)
    notify_state: Mapped[str | None] = mapped_column(String(16), default=None)
    notified_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class PraiseTarget(WorkspaceScoped, Base):
    """A staff member, team, role or store that voices may praise, found by its names."""

    __tablename__ = "loop_praise_target"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="staff")
    name: Mapped[str] = mapped_column(String(200))
    aliases: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("loop_department.id", ondelete="SET NULL"), default=None
    )
    digest_emails: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Praise(WorkspaceScoped, Base):
    """A voice praising a target."""

    workspace_index = False
    __tablename__ = "loop_praise"
    __table_args__ = (
        UniqueConstraint("target_id", "feedback_id"),
        Index("ix_loop_praise_workspace_id_created_at", "workspace_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("loop_praise_target.id", ondelete="CASCADE"))
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"))
    matched: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Webhook(WorkspaceScoped, Base):
    """An HTTPS endpoint told about loop events, each body signed with HMAC-SHA256."""

    __tablename__ = "loop_webhook"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(128))
    events: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class WebhookDelivery(WorkspaceScoped, Base):
    """One event sent to one endpoint: queued -> delivered, or retrying -> failed."""

    workspace_index = False
    __tablename__ = "loop_webhook_delivery"
    __table_args__ = (
        UniqueConstraint("workspace_id", "key"),
        Index("ix_loop_webhook_delivery_webhook_id_id", "webhook_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("loop_webhook.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    event: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_status: Mapped[int | None] = mapped_column(Integer, default=None)
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(default=None)
