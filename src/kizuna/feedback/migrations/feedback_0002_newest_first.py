"""feedback newest first: a workspace's voices in id order from one index

Adds `ix_feedback_ws_id` on feedback (workspace_id, id). The voice explorer reads a
workspace's voices newest first a page at a time; without this index PostgreSQL may walk
the primary key backwards through every workspace's voices to fill a page of one (seen
as a 10 s page in a database shared by many workspaces). An index only.

Revision ID: feedback_0002
Revises: feedback_0001
Create Date: 2026-12-02 20:00:00
"""

from __future__ import annotations

from alembic import op

revision = "feedback_0002"
down_revision = "feedback_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_feedback_ws_id", "feedback", ["workspace_id", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_feedback_ws_id", table_name="feedback")
