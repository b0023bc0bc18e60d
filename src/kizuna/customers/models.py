"""Tables of the customers room: customer, identity, interaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kizuna.db.base import Base, BigId, JSONType, WorkspaceScoped, utcnow

__all__ = ["Customer", "Identity", "Interaction"]


class Customer(WorkspaceScoped, Base):
    """One person. `external_id` is the key in the system it came from (CRM, shop, ...)."""

    __tablename__ = "customer"
    __table_args__ = (UniqueConstraint("workspace_id", "source", "external_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source: Mapped[str] = mapped_column(String(64), default="import")
    external_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(String(200), default=None)
    email: Mapped[str | None] = mapped_column(String(320), default=None)
    phone: Mapped[str | None] = mapped_column(String(40), default=None)
    line_id: Mapped[str | None] = mapped_column(String(100), default=None)
    birthday: Mapped[dt.date | None] = mapped_column(Date, default=None)
    age_band: Mapped[str | None] = mapped_column(String(16), default=None)
    gender: Mapped[str | None] = mapped_column(String(16), default=None)
    prefecture: Mapped[str | None] = mapped_column(String(16), default=None)
    life_stage: Mapped[str | None] = mapped_column(String(32), default=None)
    interests: Mapped[list[str]] = mapped_column(JSONType, default=list)
    consent_email: Mapped[bool] = mapped_column(default=False)
    consent_analysis: Mapped[bool] = mapped_column(default=True)
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    content_hash: Mapped[str] = mapped_column(String(32), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Identity(WorkspaceScoped, Base):
    """An identifier seen for a customer: email, phone (E.164), line_id, external:<system>."""

    __tablename__ = "identity"
    __table_args__ = (
        UniqueConstraint("workspace_id", "kind", "value_normalized", "customer_id"),
        Index("ix_identity_lookup", "workspace_id", "kind", "value_normalized"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(64))
    value_normalized: Mapped[str] = mapped_column(String(320))
    source: Mapped[str] = mapped_column(String(64), default="import")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Interaction(WorkspaceScoped, Base):
    """Anything that happened between a customer and the company."""

    __tablename__ = "interaction"
    __table_args__ = (
        UniqueConstraint("workspace_id", "source", "external_id"),
        Index("ix_interaction_customer_time", "workspace_id", "customer_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(200))
    customer_ref: Mapped[str | None] = mapped_column(String(200), default=None)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer.id", ondelete="SET NULL"), default=None
    )
    occurred_at: Mapped[dt.datetime] = mapped_column()
    # The calendar day in the workspace's time zone, so periods agree on every engine.
    occurred_on: Mapped[dt.date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(32))
    touchpoint: Mapped[str | None] = mapped_column(String(100), default=None)
    kind: Mapped[str] = mapped_column(String(64))
    direct: Mapped[bool] = mapped_column(default=True)
    amount: Mapped[float | None] = mapped_column(Numeric(14, 2, asdecimal=False), default=None)
    properties: Mapped[dict[str, Any]] = mapped_column(default=dict)
    content_hash: Mapped[str] = mapped_column(String(32), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
