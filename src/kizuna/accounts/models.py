"""Tables of the accounts room."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kizuna.db.base import Base, BigId, WorkspaceScoped, utcnow

__all__ = ["ROLES", "ApiKey", "AuditEvent", "LoginFailure", "Membership", "User", "Workspace"]

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
    """An API key: only its SHA-256 is stored; the prefix lets people tell keys apart."""

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16), default="admin")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class AuditEvent(WorkspaceScoped, Base):
    """Who did what; `details` never holds personal data (ids and counts only)."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


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
