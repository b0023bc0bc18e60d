"""journeys: the journey, its stages, touchpoint rules and stored analytics

Starts the journeys branch on the shared history: `journey` (one per workspace),
`journey_stage`, `touchpoint_rule` and `journey_snapshot` (computed analytics per scope
and period).

Revision ID: journeys_0001
Revises: 0007
Create Date: 2026-12-02 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kizuna.db.base

revision = "journeys_0001"
down_revision = "0007"
branch_labels = ("journeys",)
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _workspace_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["workspace_id"],
        ["workspace.id"],
        name=op.f(f"fk_{table}_workspace_id_workspace"),
        ondelete="CASCADE",
    )


def _journey_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["journey_id"],
        ["journey.id"],
        name=op.f(f"fk_{table}_journey_id_journey"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "journey",
        sa.Column("id", ID, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", kizuna.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", kizuna.db.base.UTCDateTime(), nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        _workspace_fk("journey"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journey")),
        sa.UniqueConstraint("workspace_id", "name", name=op.f("uq_journey_workspace_id_name")),
    )
    op.create_table(
        "journey_stage",
        sa.Column("id", ID, nullable=False),
        sa.Column("journey_id", ID, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("in_funnel", sa.Boolean(), nullable=False),
        sa.Column("goal", sa.Text(), nullable=True),
        sa.Column("opportunity", sa.Text(), nullable=True),
        sa.Column("workspace_id", ID, nullable=False),
        _journey_fk("journey_stage"),
        _workspace_fk("journey_stage"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journey_stage")),
        sa.UniqueConstraint("journey_id", "code", name=op.f("uq_journey_stage_journey_id_code")),
    )
    op.create_index(op.f("ix_journey_stage_journey_id"), "journey_stage", ["journey_id"])
    op.create_index(op.f("ix_journey_stage_workspace_id"), "journey_stage", ["workspace_id"])
    op.create_table(
        "touchpoint_rule",
        sa.Column("id", ID, nullable=False),
        sa.Column("journey_id", ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("applies_to", sa.String(length=16), nullable=False),
        sa.Column("match", JSON, nullable=False),
        sa.Column("stage_code", sa.String(length=64), nullable=False),
        sa.Column("touchpoint", sa.String(length=100), nullable=True),
        sa.Column("direct", sa.Boolean(), nullable=True),
        sa.Column("created_at", kizuna.db.base.UTCDateTime(), nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        _journey_fk("touchpoint_rule"),
        _workspace_fk("touchpoint_rule"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_touchpoint_rule")),
    )
    op.create_index(op.f("ix_touchpoint_rule_journey_id"), "touchpoint_rule", ["journey_id"])
    op.create_index(op.f("ix_touchpoint_rule_workspace_id"), "touchpoint_rule", ["workspace_id"])
    op.create_table(
        "journey_snapshot",
        sa.Column("id", ID, nullable=False),
        sa.Column("journey_id", ID, nullable=False),
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("journey_version", sa.Integer(), nullable=False),
        sa.Column("start", sa.Date(), nullable=True),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("customers", sa.Integer(), nullable=False),
        sa.Column("interactions", sa.Integer(), nullable=False),
        sa.Column("voices", sa.Integer(), nullable=False),
        sa.Column("result", JSON, nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("computed_at", kizuna.db.base.UTCDateTime(), nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        _journey_fk("journey_snapshot"),
        _workspace_fk("journey_snapshot"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journey_snapshot")),
        sa.UniqueConstraint(
            "workspace_id",
            "journey_id",
            "scope",
            "period",
            name=op.f("uq_journey_snapshot_workspace_id_journey_id_scope_period"),
        ),
    )
    op.create_index(op.f("ix_journey_snapshot_journey_id"), "journey_snapshot", ["journey_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_journey_snapshot_journey_id"), table_name="journey_snapshot")
    op.drop_table("journey_snapshot")
    op.drop_index(op.f("ix_touchpoint_rule_workspace_id"), table_name="touchpoint_rule")
    op.drop_index(op.f("ix_touchpoint_rule_journey_id"), table_name="touchpoint_rule")
    op.drop_table("touchpoint_rule")
    op.drop_index(op.f("ix_journey_stage_workspace_id"), table_name="journey_stage")
    op.drop_index(op.f("ix_journey_stage_journey_id"), table_name="journey_stage")
    op.drop_table("journey_stage")
    op.drop_table("journey")
