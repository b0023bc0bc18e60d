"""customer scores (CLV, churn risk) and saved segments

Adds `customer_score` (one row per surviving customer, replaced on each scoring) and
`segment` (saved customer filters). New tables only, so SQLite needs no batch rebuild.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kizuna.db.base

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "customer_score",
        sa.Column("id", ID, nullable=False),
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("computed_at", kizuna.db.base.UTCDateTime(), nullable=False),
        sa.Column("frequency", sa.Integer(), nullable=False),
        sa.Column("recency_days", sa.Integer(), nullable=True),
        sa.Column("tenure_days", sa.Integer(), nullable=True),
        sa.Column("monetary_value", sa.Float(), nullable=True),
        sa.Column("expected_purchases_90d", sa.Float(), nullable=True),
        sa.Column("p_alive", sa.Float(), nullable=True),
        sa.Column("clv_12m", sa.Float(), nullable=True),
        sa.Column("clv_percentile", sa.Float(), nullable=True),
        sa.Column("churn_probability", sa.Float(), nullable=True),
        sa.Column("churn_factors", JSON, nullable=False),
        sa.Column("nps_last", sa.SmallInteger(), nullable=True),
        sa.Column("sentiment_trend", sa.Float(), nullable=True),
        sa.Column("model_version", sa.String(length=64), nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_customer_score_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_customer_score_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_score")),
        sa.UniqueConstraint(
            "workspace_id", "customer_id", name=op.f("uq_customer_score_workspace_id_customer_id")
        ),
    )
    op.create_index(
        op.f("ix_customer_score_workspace_id"), "customer_score", ["workspace_id"], unique=False
    )
    op.create_table(
        "segment",
        sa.Column("id", ID, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("conditions", JSON, nullable=False),
        sa.Column("created_at", kizuna.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", kizuna.db.base.UTCDateTime(), nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_segment_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segment")),
        sa.UniqueConstraint("workspace_id", "name", name=op.f("uq_segment_workspace_id_name")),
    )
    op.create_index(op.f("ix_segment_workspace_id"), "segment", ["workspace_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_segment_workspace_id"), table_name="segment")
    op.drop_table("segment")
    op.drop_index(op.f("ix_customer_score_workspace_id"), table_name="customer_score")
    op.drop_table("customer_score")
