"""interaction day index: a workspace's latest day and purchases by day without a scan

Adds `ix_interaction_day` on interaction (workspace_id, occurred_on, kind). The scores'
default moment (the day after the latest interaction) read every interaction of the
workspace on each customer page and on the action list (about 1 s at 100,000
interactions); with the index it is one probe. An index only.

Revision ID: customers_0001
Revises: 0007
Create Date: 2026-12-02 18:00:00
"""

from __future__ import annotations

from alembic import op

revision = "customers_0001"
down_revision = "0007"
branch_labels = ("customers",)
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_interaction_day", "interaction", ["workspace_id", "occurred_on", "kind"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_interaction_day", table_name="interaction")
