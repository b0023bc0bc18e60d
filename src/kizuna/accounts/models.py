"""Tables of the accounts room."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kizuna.db.base import Base, BigId, JSONType, WorkspaceScoped, utcnow

__all__ = [
    "ROLES",
    "ApiKey",
    "AuditEvent",
    "Invitation",
    "LoginFailure",
    "Membership",
    "User",
    "WebSession",
    "Workspace",
]

# From most to least privileged; what each may do is the permission table
# (`kizuna.accounts.permissions`).
ROLES = ("owner", "admin", "analyst", "agent", "viewer")


class Workspace(Base):
    __tablename__ = "workspace"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Tokyo")
    language: Mapped[str] = mapped_column(String(8), default="ja")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(8), default="ja")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Membership(WorkspaceScoped, Base):
    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("workspace_id", "user_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))


class ApiKey(WorkspaceScoped, Base):
    """An API key: only its SHA-256 is stored; the prefix lets people tell keys apart.

    It acts with `role` (viewer unless its creator chose more), narrowed to `scopes` when
    that list is not empty (permission names), until `expires_at` or `revoked_at`.
    """

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16), default="viewer")
    scopes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class AuditEvent(WorkspaceScoped, Base):
    """Who did what to which record; `details` never holds personal data (ids and counts).

    `actor` is `user:<id>`, `apikey:<id>`, `cli:<login>` or `system`; `target` names the
    record (`segment:12`, `customer:88`, `member:5`), empty when the action has none.
    """

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_workspace_id_occurred_at", "workspace_id", "occurred_at"),
    )
    workspace_index = False

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    target: Mapped[str] = mapped_column(String(200), default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Invitation(WorkspaceScoped, Base):
    """An invitation to join a workspace with a role: a single-use link that expires.

    Only the SHA-256 of the link's token is stored, as for API keys.
    """

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column()
    accepted_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class LoginFailure(Base):
    """One failed login, for throttling; kept only for the throttle's window.

    Not scoped to a workspace: a login comes before any. `key_digest` is an HMAC of the
    client address and the e-mail typed, so the table holds neither.
    """

    __tablename__ = "login_failure"
    __table_args__ = (
        Index("ix_login_failure_key_digest_failed_at", "key_digest", "failed_at"),
        Index("ix_login_failure_failed_at", "failed_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key_digest: Mapped[str] = mapped_column(String(64))
    failed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class WebSession(Base):
    """A browser's session, kept on the server: the cookie holds only a random token, whose
    SHA-256 is `token_hash`. Deleting the row ends the session at once (logout, a role change,
    removal from a workspace, a new password). `data` holds the user id, language and CSRF
    token; no workspace: a session is a person's, across their workspaces."""

    __tablename__ = "web_session"
    __table_args__ = (Index("ix_web_session_expires_at", "expires_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), default=None, index=True
    )
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column()
