"""ingest: where an interrupted import resumes

`import_run.fingerprint` (the file's size, time and first and last bytes, with the
import's options) tells a rerun of the same file; `resume_rows`, `resume_line` and
`resume_offset`, written with each committed batch, say where the next batch begins;
`resumed_at` is when a rerun last continued the run.

Revision ID: ingest_0002
Revises: ingest_0001
Create Date: 2026-12-02 17:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kizuna.db.base

revision = "ingest_0002"
down_revision = "ingest_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("import_run") as batch_op:
        batch_op.add_column(sa.Column("fingerprint", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("resume_rows", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("resume_line", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("resume_offset", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("resumed_at", kizuna.db.base.UTCDateTime(), nullable=True))
    with op.batch_alter_table("import_run") as batch_op:
        batch_op.alter_column("resume_rows", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("import_run") as batch_op:
        for name in ("resumed_at", "resume_offset", "resume_line", "resume_rows", "fingerprint"):
            batch_op.drop_column(name)
