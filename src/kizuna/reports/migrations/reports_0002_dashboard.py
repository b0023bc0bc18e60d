"""reports: the dashboard's daily rollups, their bookkeeping and the workspace's targets

`dashboard_day` (counts and sums per day and dimension values), `dashboard_topic_day` (voices
per topic, day and dimension values), `dashboard_state` (how far the rollups have read),
`dashboard_dirty_day` (days to count again) and `dashboard_target` (a target per metric).

Revision ID: reports_0002
Revises: reports_0001
Create Date: 2026-12-02 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kizuna.db.base

revision = "reports_0002"
down_revision = "reports_0001"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "dashboard_day",
        sa.Column("id", ID, nullable=False),
        sa.Column("voices", sa.Integer(), nullable=False),
        sa.Column("nps_n", sa.Integer(), nullable=False),
        sa.Column("promoters", sa.Integer(), nullable=False),
        sa.Column("detractors", sa.Integer(), nullable=False),
        sa.Column("csat_n", sa.Integer(), nullable=False),
        sa.Column("csat_top2", sa.Integer(), nullable=False),
        sa.Column("ces_n", sa.Integer(), nullable=False),
        sa.Column("ces_total", sa.BigInteger(), nullable=False),
        sa.Column("ces_total_sq", sa.BigInteger(), nullable=False),
        sa.Column("ces_easy", sa.Integer(), nullable=False),
        sa.Column("analysed", sa.Integer(), nullable=False),
        sa.Column("positive", sa.Integer(), nullable=False),
        sa.Column("neutral", sa.Integer(), nullable=False),
        sa.Column("negative", sa.Integer(), nullable=False),
        sa.Column("mixed", sa.Integer(), nullable=False),
        sa.Column("sentiment_n", sa.Integer(), nullable=False),
        sa.Column("sentiment_sum", sa.Float(), nullable=False),
        sa.Column("delight_n", sa.Integer(), nullable=False),
        sa.Column("delight_sum", sa.Float(), nullable=False),
        sa.Column("exceeded", sa.Integer(), nullable=False),
        sa.Column("met", sa.Integer(), nullable=False),
        sa.Column("below", sa.Integer(), nullable=False),
        sa.Column("grain", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("touchpoint", sa.String(length=100), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("survey", sa.String(length=100), nullable=False),
        sa.Column("store", sa.String(length=100), nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_dashboard_day_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_day")),
    )
    op.create_index(
        "ix_dashboard_day_ws_grain_day",
        "dashboard_day",
        ["workspace_id", "grain", "day"],
        unique=False,
    )
    op.create_table(
        "dashboard_dirty_day",
        sa.Column("id", ID, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_dashboard_dirty_day_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_dirty_day")),
        sa.UniqueConstraint(
            "workspace_id", "day", name=op.f("uq_dashboard_dirty_day_workspace_id_day")
        ),
    )
    op.create_table(
        "dashboard_state",
        sa.Column("id", ID, nullable=False),
        sa.Column("feedback_mark", sa.BigInteger(), nullable=False),
        sa.Column("analysis_mark", sa.BigInteger(), nullable=False),
        sa.Column("built_at", kizuna.db.base.UTCDateTime(), nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_dashboard_state_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_state")),
        sa.UniqueConstraint("workspace_id", name=op.f("uq_dashboard_state_workspace_id")),
    )
    op.create_table(
        "dashboard_target",
        sa.Column("id", ID, nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", kizuna.db.base.UTCDateTime(), nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_dashboard_target_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_target")),
        sa.UniqueConstraint(
            "workspace_id", "metric", name=op.f("uq_dashboard_target_workspace_id_metric")
        ),
    )
    op.create_table(
        "dashboard_topic_day",
        sa.Column("id", ID, nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("voices", sa.Integer(), nullable=False),
        sa.Column("positive", sa.Integer(), nullable=False),
        sa.Column("neutral", sa.Integer(), nullable=False),
        sa.Column("negative", sa.Integer(), nullable=False),
        sa.Column("mixed", sa.Integer(), nullable=False),
        sa.Column("nps_n", sa.Integer(), nullable=False),
        sa.Column("promoters", sa.Integer(), nullable=False),
        sa.Column("detractors", sa.Integer(), nullable=False),
        sa.Column("grain", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("touchpoint", sa.String(length=100), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("survey", sa.String(length=100), nullable=False),
        sa.Column("store", sa.String(length=100), nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_dashboard_topic_day_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_topic_day")),
    )
    op.create_index(
        "ix_dashboard_topic_day_ws_grain_day",
        "dashboard_topic_day",
        ["workspace_id", "grain", "day"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_dashboard_topic_day_ws_grain_day", table_name="dashboard_topic_day")
    op.drop_table("dashboard_topic_day")
    op.drop_table("dashboard_target")
    op.drop_table("dashboard_state")
    op.drop_table("dashboard_dirty_day")
    op.drop_index("ix_dashboard_day_ws_grain_day", table_name="dashboard_day")
    op.drop_table("dashboard_day")
