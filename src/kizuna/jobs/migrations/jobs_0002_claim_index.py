"""jobs: an index in the claim's order over ready jobs

`ix_job_claim` on `job (priority DESC, run_after, id) WHERE state IN ('queued', 'failed')`:
a worker's claim reads its first entry, where the ready index (priority ascending) left every
ready job to be sorted at every claim, which made ten thousand queued e-mails cost
milliseconds each to claim.

Revision ID: jobs_0002
Revises: jobs_0001
Create Date: 2026-12-02 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "jobs_0002"
down_revision = "jobs_0001"
branch_labels = None
depends_on = None

READY = "state IN ('queued', 'failed')"


def upgrade() -> None:
    op.create_index(
        "ix_job_claim",
        "job",
        [sa.text("priority DESC"), "run_after", "id"],
        sqlite_where=sa.text(READY),
        postgresql_where=sa.text(READY),
    )


def downgrade() -> None:
    op.drop_index("ix_job_claim", table_name="job")
