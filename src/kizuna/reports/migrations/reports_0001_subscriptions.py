"""reports: who gets the weekly summary e-mail

Starts the reports branch on the shared history with one new table, `report_subscription`
(an address and its language per workspace, unique per workspace and address).

Revision ID: reports_0001
Revises: 0007
Create Date: 2026-12-02 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kizuna.db.base

revision = "reports_0001"
down_revision = "0007"
branch_labels = ("reports",)
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "report_subscription",
        sa.Column("id", ID, nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", kizuna.db.base.UTCDateTime(), nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_report_subscription_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_subscription")),
        sa.UniqueConstraint(
            "workspace_id", "email", name=op.f("uq_report_subscription_workspace_id_email")
        ),
    )


def downgrade() -> None:
    op.drop_table("report_subscription")
