"""identity digests: resolve re-reads only customers whose identifying columns changed

Adds `identity_digest`: per workspace and block of 2**14 customer ids, the packed
(customer id, digest) pairs of the e-mail / phone / LINE columns as the last resolve read
them. A new table only, so SQLite needs no batch rebuild.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kizuna.db.base

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "identity_digest",
        sa.Column("id", ID, nullable=False),
        sa.Column("block", sa.BigInteger(), nullable=False),
        sa.Column("digests", sa.LargeBinary(), nullable=False),
        sa.Column("synced_at", kizuna.db.base.UTCDateTime(), nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_identity_digest_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_digest")),
        sa.UniqueConstraint(
            "workspace_id", "block", name=op.f("uq_identity_digest_workspace_id_block")
        ),
    )


def downgrade() -> None:
    op.drop_table("identity_digest")
