"""feedback of a person: one index by customer and workspace

Replaces `ix_feedback_customer_id` (customer_id) with `ix_feedback_customer_ws`
(customer_id, workspace_id). Every reader of a person's voices (profile, timeline, context
card, segments on the dashboard, the explorer's customer filters) asks for
`workspace_id = ? AND customer_id IN (...)`. SQLite keeps no statistics, so between the
one-column customer index and `ix_feedback_ws_id` (workspace_id, id) it chose the
workspace's: at 1 M voices in one workspace a profile read every voice (0.9 s for the
timeline's page; 0.6 ms with this index, which matches both columns). Customer first, so
deleting a customer still finds its voices by this index. An index only; the number of
indexes on feedback stays the same.

Revision ID: feedback_0004
Revises: feedback_0003
Create Date: 2026-12-03 13:20:00
"""

from __future__ import annotations

from alembic import op

revision = "feedback_0004"
down_revision = "feedback_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_feedback_customer_ws", "feedback", ["customer_id", "workspace_id"])
    op.drop_index("ix_feedback_customer_id", table_name="feedback")


def downgrade() -> None:
    op.create_index("ix_feedback_customer_id", "feedback", ["customer_id"])
    op.drop_index("ix_feedback_customer_ws", table_name="feedback")
