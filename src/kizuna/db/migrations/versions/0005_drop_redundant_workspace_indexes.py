"""drop workspace_id-only indexes that composite indexes already cover

feedback, interaction and identity each have a unique key leading with workspace_id, so
an index on workspace_id alone serves no lookup and costs every insert.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 01:10:00
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TABLES = ("feedback", "interaction", "identity")


def upgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_workspace_id", table_name=table)


def downgrade() -> None:
    for table in TABLES:
        op.create_index(f"ix_{table}_workspace_id", table, ["workspace_id"], unique=False)
