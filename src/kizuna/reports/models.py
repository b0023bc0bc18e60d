"""The reports feature's table: who gets the weekly summary e-mail of a workspace."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kizuna.db.base import Base, BigId, WorkspaceScoped, utcnow

__all__ = ["ReportSubscription"]


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
