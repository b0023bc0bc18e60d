"""ingest: who runs an import, and its heartbeat

Starts the ingest branch on the shared history. `import_run.worker` (host:pid) and
`import_run.heartbeat_at` (renewed with every committed batch) let Kizuna mark a run whose
process died as interrupted instead of leaving it "running" forever.

Revision ID: ingest_0001
Revises: 0007
Create Date: 2026-12-02 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kizuna.db.base

revision = "ingest_0001"
down_revision = "0007"
branch_labels = ("ingest",)
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("import_run") as batch_op:
        batch_op.add_column(
            sa.Column("worker", sa.String(length=100), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("heartbeat_at", kizuna.db.base.UTCDateTime(), nullable=True))
    with op.batch_alter_table("import_run") as batch_op:
        batch_op.alter_column("worker", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("import_run") as batch_op:
        batch_op.drop_column("heartbeat_at")
        batch_op.drop_column("worker")
