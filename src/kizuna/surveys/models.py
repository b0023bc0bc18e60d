"""Tables of the surveys room.

- `survey`: one survey of a workspace, its public `key` (in every link), status
  (draft -> live -> closed), current `version` and that version's definition; the logo's
  bytes are kept here so the answering page asks nothing of another server.
- `survey_version`: every version of a survey's definition. A response names the version it
  was answered on, so editing a live survey keeps earlier answers readable.
- `survey_policy`: the workspace's contact rules for every channel together (at most once
  per N days, quiet hours, consent), link lifetime, partial time-out, the submission rate
  limit and the origins allowed to frame the widget.
- `survey_invitation`: one personal invitation (e-mail, personal link, interaction trigger):
  who, where (touchpoint, hidden fields), when it was sent, opened, started, completed, or
  why it was skipped. `key` is unique per workspace, so each invitation is made once.
- `survey_response`: one respondent's answers, saved page by page (`partial`) until
  `completed`; `response_key` is unique per survey, so a resubmitted page updates.
  `feedback_id` is the voice it became.
- `survey_view`: views of a survey's first page by day and channel (the "opened" step of
  public links, QR codes and the widget, where there is no invitation).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from kizuna.db.base import Base, BigId, JSONType, WorkspaceScoped, utcnow

__all__ = [
    "INVITATION_CHANNELS",
    "INVITATION_STATES",
    "RESPONSE_CHANNELS",
    "RESPONSE_STATES",
    "SKIP_REASONS",
    "SURVEY_STATUSES",
    "Survey",
    "SurveyInvitation",
    "SurveyPolicy",
    "SurveyResponse",
    "SurveyVersion",
    "SurveyView",
]

SURVEY_STATUSES = ("draft", "live", "closed")
RESPONSE_STATES = ("partial", "completed")
# How a respondent reached the survey (stored on the response; the voice's channel follows).
RESPONSE_CHANNELS = ("link", "personal", "email", "qr", "widget", "api")
INVITATION_CHANNELS = ("email", "personal", "trigger")
# scheduled: waits for its send time (a trigger's delay, quiet hours); sent: the e-mail is in
# the outbox (or the personal link was handed out); skipped: a contact rule said no.
INVITATION_STATES = ("scheduled", "sent", "skipped")
SKIP_REASONS = (
    "frequency",
    "quiet_hours",
    "no_consent",
    "unsubscribed",
    "no_email",
    "no_customer",
    "survey_closed",
    "response_cap",
    "already_invited",
)


class Survey(WorkspaceScoped, Base):
    """A survey and its current definition (older ones in `survey_version`)."""

    __tablename__ = "survey"
    __table_args__ = (UniqueConstraint("key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    source: Mapped[str] = mapped_column(String(16), default="survey")
    template: Mapped[str | None] = mapped_column(String(64), default=None)
    version: Mapped[int] = mapped_column(Integer, default=1)
    definition: Mapped[dict[str, Any]] = mapped_column(default=dict)
    closes_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    response_cap: Mapped[int | None] = mapped_column(Integer, default=None)
    logo: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    logo_type: Mapped[str | None] = mapped_column(String(32), default=None)
    created_by: Mapped[str] = mapped_column(String(200), default="system")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    published_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    closed_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    def __repr__(self) -> str:
        return f"Survey(id={self.id}, key={self.key!r}, status={self.status!r})"


class SurveyVersion(WorkspaceScoped, Base):
    """One version of a survey's definition, kept for the answers given on it."""

    __tablename__ = "survey_version"
    __table_args__ = (UniqueConstraint("survey_id", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by: Mapped[str] = mapped_column(String(200), default="system")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SurveyPolicy(WorkspaceScoped, Base):
    """The workspace's contact rules and answering limits (one row, made on first use)."""

    __tablename__ = "survey_policy"
    __table_args__ = (UniqueConstraint("workspace_id"),)
    workspace_index = False

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    frequency_days: Mapped[int] = mapped_column(Integer, default=30)
    quiet_start: Mapped[str] = mapped_column(String(5), default="21:00")
    quiet_end: Mapped[str] = mapped_column(String(5), default="09:00")
    require_consent: Mapped[bool] = mapped_column(default=True)
    link_days: Mapped[int] = mapped_column(Integer, default=30)
    partial_timeout_minutes: Mapped[int] = mapped_column(Integer, default=60)
    rate_limit_per_minute: Mapped[int] = mapped_column(Integer, default=60)
    allowed_origins: Mapped[list[str]] = mapped_column(JSONType, default=list)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SurveyInvitation(WorkspaceScoped, Base):
    """One personal invitation: to whom, through what, and how far it went (or why not)."""

    __tablename__ = "survey_invitation"
    __table_args__ = (
        UniqueConstraint("workspace_id", "key"),
        Index("ix_survey_invitation_contact", "workspace_id", "customer_id", "sent_at"),
        Index("ix_survey_invitation_survey_state", "survey_id", "state"),
    )
    workspace_index = False

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer.id", ondelete="SET NULL"), default=None
    )
    interaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("interaction.id", ondelete="SET NULL"), default=None
    )
    channel: Mapped[str] = mapped_column(String(16))
    touchpoint: Mapped[str | None] = mapped_column(String(100), default=None)
    hidden: Mapped[dict[str, Any]] = mapped_column(default=dict)
    language: Mapped[str] = mapped_column(String(8), default="ja")
    state: Mapped[str] = mapped_column(String(16), default="scheduled")
    skip_reason: Mapped[str | None] = mapped_column(String(32), default=None)
    # Why a send was put off (quiet hours), while it waits.
    deferred_reason: Mapped[str | None] = mapped_column(String(32), default=None)
    send_after: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column()
    sent_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    opened_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    started_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    completed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    reminders: Mapped[int] = mapped_column(Integer, default=0)
    reminded_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    mail_key: Mapped[str | None] = mapped_column(String(200), default=None)
    created_by: Mapped[str] = mapped_column(String(200), default="system")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SurveyResponse(WorkspaceScoped, Base):
    """One respondent's answers (question id -> value), saved as they go."""

    __tablename__ = "survey_response"
    __table_args__ = (
        UniqueConstraint("survey_id", "response_key"),
        Index("ix_survey_response_survey_state", "survey_id", "state"),
        Index("ix_survey_response_pending", "workspace_id", "state", "updated_at"),
    )
    workspace_index = False

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    response_key: Mapped[str] = mapped_column(String(64))
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("survey_invitation.id", ondelete="SET NULL"), default=None, unique=True
    )
    channel: Mapped[str] = mapped_column(String(16), default="link")
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer.id", ondelete="SET NULL"), default=None
    )
    customer_ref: Mapped[str | None] = mapped_column(String(200), default=None)
    touchpoint: Mapped[str | None] = mapped_column(String(100), default=None)
    hidden: Mapped[dict[str, Any]] = mapped_column(default=dict)
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # How the answers came (e.g. when an e-mail score link was followed), never shown.
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    language: Mapped[str] = mapped_column(String(8), default="ja")
    state: Mapped[str] = mapped_column(String(16), default="partial")
    page: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    seconds: Mapped[int | None] = mapped_column(Integer, default=None)
    feedback_id: Mapped[int | None] = mapped_column(
        ForeignKey("feedback.id", ondelete="SET NULL"), default=None
    )
    voice_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class SurveyView(WorkspaceScoped, Base):
    """How often a survey's first page was opened, per day and channel."""

    __tablename__ = "survey_view"
    __table_args__ = (UniqueConstraint("survey_id", "day", "channel"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"))
    day: Mapped[dt.date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(16))
    views: Mapped[int] = mapped_column(Integer, default=0)
