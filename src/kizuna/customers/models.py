"""Tables of the customers room: customer, identity (and the digests that let identity
resolution skip unchanged customers), interaction, merges, lifecycle snapshots, per-customer
predictions (customer_score) and saved segments."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    Float,
    ForeignKey,
    Index,
    LargeBinary,
    Numeric,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from kizuna.db.base import Base, BigId, JSONType, WorkspaceScoped, utcnow

__all__ = [
    "Customer",
    "CustomerMerge",
    "CustomerScore",
    "Identity",
    "IdentityDigest",
    "Interaction",
    "LifecycleSnapshot",
    "Segment",
]


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
    # Identity resolution marks an absorbed record instead of rewriting other rooms' rows:
    # always the group's surviving customer (never a chain), so `coalesce(merged_into_id, id)`
    # is the person. NULL for a surviving or unmatched customer.
    # No ON DELETE action: SQLite can only add this column in place (see migration 0002) and
    # does not report an inline action back, so a survivor cannot be deleted while records
    # point at it; unmerge them first (`kizuna customers unmerge`).
    merged_into_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("customer.id"), default=None, index=True
    )
    # Set on surviving customers only (absorbed ones are NULL so counts never double).
    lifecycle_stage: Mapped[str | None] = mapped_column(String(16), default=None)
    lifecycle_at: Mapped[dt.date | None] = mapped_column(Date, default=None)


class Identity(WorkspaceScoped, Base):
    """An identifier seen for a customer: email, phone (E.164), line_id, external:<system>."""

    workspace_index = False  # led by the unique key and the composite indexes
    __tablename__ = "identity"
    # The unique constraint's index also serves lookups by (workspace, kind, value); 0002
    # dropped the separate ix_identity_lookup, which only slowed bulk writes.
    __table_args__ = (UniqueConstraint("workspace_id", "kind", "value_normalized", "customer_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(64))
    value_normalized: Mapped[str] = mapped_column(String(320))
    source: Mapped[str] = mapped_column(String(64), default="import")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class IdentityDigest(WorkspaceScoped, Base):
    """Digests of customers' identifying columns as identity resolution last read them.

    `digests` packs sorted (customer id, digest) pairs, little-endian int64 and uint64, of
    the customers whose `id >> 14` is `block`: a resolve re-normalises only customers whose
    digest changed, and a row per customer would cost the first run a million inserts.
    """

    workspace_index = False  # led by the unique key
    __tablename__ = "identity_digest"
    __table_args__ = (UniqueConstraint("workspace_id", "block"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    block: Mapped[int] = mapped_column(BigInteger)
    digests: Mapped[bytes] = mapped_column(LargeBinary)
    synced_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Interaction(WorkspaceScoped, Base):
    """Anything that happened between a customer and the company."""

    workspace_index = False  # led by the unique key and the composite indexes
    __tablename__ = "interaction"
    __table_args__ = (
        UniqueConstraint("workspace_id", "source", "external_id"),
        Index("ix_interaction_customer_time", "workspace_id", "customer_id", "occurred_at"),
        Index("ix_interaction_day", "workspace_id", "occurred_on", "kind"),
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


class CustomerMerge(WorkspaceScoped, Base):
    """One customer absorbed into another by identity resolution, and why; reversible.

    `survivor_id` is the group's survivor at merge time. Active merges (no `undone_at`) form
    a forest whose roots are the surviving customers, which makes unmerge exact.
    """

    __tablename__ = "customer_merge"
    __table_args__ = (Index("ix_customer_merge_absorbed", "workspace_id", "absorbed_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    absorbed_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    survivor_id: Mapped[int] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), index=True
    )
    # The customer whose identifier matched (may differ from the survivor in a chain).
    matched_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer.id", ondelete="SET NULL"), default=None
    )
    kind: Mapped[str] = mapped_column(String(64))
    value_normalized: Mapped[str] = mapped_column(String(320))
    merged_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    undone_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class LifecycleSnapshot(WorkspaceScoped, Base):
    """A surviving customer's lifecycle stage in one month (first day), for month-over-month flows."""

    __tablename__ = "lifecycle_snapshot"
    __table_args__ = (UniqueConstraint("workspace_id", "month", "customer_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    month: Mapped[dt.date] = mapped_column(Date)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), index=True
    )
    stage: Mapped[str] = mapped_column(String(16))
    as_of: Mapped[dt.date] = mapped_column(Date)


class CustomerScore(WorkspaceScoped, Base):
    """The latest predictions for one surviving customer; replaced on each scoring.

    RFM figures are in days as of `as_of`; CLV is 12 months, discounted (see scores.py).
    Predictions are NULL where a model could not say (no purchase yet, too little data).
    """

    __tablename__ = "customer_score"
    __table_args__ = (UniqueConstraint("workspace_id", "customer_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    as_of: Mapped[dt.date] = mapped_column(Date)
    computed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    frequency: Mapped[int] = mapped_column(default=0)
    recency_days: Mapped[int | None] = mapped_column(default=None)
    tenure_days: Mapped[int | None] = mapped_column(default=None)
    monetary_value: Mapped[float | None] = mapped_column(Float, default=None)
    expected_purchases_90d: Mapped[float | None] = mapped_column(Float, default=None)
    p_alive: Mapped[float | None] = mapped_column(Float, default=None)
    clv_12m: Mapped[float | None] = mapped_column(Float, default=None)
    clv_percentile: Mapped[float | None] = mapped_column(Float, default=None)
    churn_probability: Mapped[float | None] = mapped_column(Float, default=None)
    churn_factors: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    nps_last: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    sentiment_trend: Mapped[float | None] = mapped_column(Float, default=None)
    model_version: Mapped[str] = mapped_column(String(64))


class Segment(WorkspaceScoped, Base):
    """A saved filter over customers: a list of {field, op, value} conditions, all must hold."""

    __tablename__ = "segment"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    conditions: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
