"""reports: which customers did what on each day (the dashboard's value card) and the
day's voices of customers as the rollups count them (a segment's dashboard)

`dashboard_customer_day` (one row per workspace, part and day: the customers' ids and, for
some parts, a number each or the rows' frame) and `dashboard_state.interaction_mark` (how
far they have read the interactions). The mark starts empty: the next refresh (the first
dashboard view, a subscriber or `kizuna dashboard refresh`) counts every day again.

Revision ID: reports_0004
Revises: reports_0003
Create Date: 2026-12-04 22:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "reports_0004"
down_revision = "reports_0003"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "dashboard_customer_day",
        sa.Column("id", ID, nullable=False),
        sa.Column("part", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("customers", sa.LargeBinary(), nullable=False),
        sa.Column("numbers", sa.LargeBinary(), nullable=True),
        sa.Column("frame", sa.LargeBinary(), nullable=True),
        sa.Column("workspace_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_dashboard_customer_day_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_customer_day")),
        sa.UniqueConstraint(
            "workspace_id",
            "part",
            "day",
            name=op.f("uq_dashboard_customer_day_workspace_id_part_day"),
        ),
    )
    op.add_column("dashboard_state", sa.Column("interaction_mark", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("dashboard_state") as batch:
        batch.drop_column("interaction_mark")
    op.drop_table("dashboard_customer_day")
