"""login failures: the login throttle's window, shared by every web process

Adds `login_failure` (an HMAC of client address and e-mail, and when the login failed),
so throttling holds across web processes and restarts. A new table only.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kizuna.db.base

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "login_failure",
        sa.Column("id", ID, nullable=False),
        sa.Column("key_digest", sa.String(length=64), nullable=False),
        sa.Column("failed_at", kizuna.db.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failure")),
    )
    op.create_index(
        "ix_login_failure_key_digest_failed_at",
        "login_failure",
        ["key_digest", "failed_at"],
        unique=False,
    )
    op.create_index("ix_login_failure_failed_at", "login_failure", ["failed_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_login_failure_failed_at", table_name="login_failure")
    op.drop_index("ix_login_failure_key_digest_failed_at", table_name="login_failure")
    op.drop_table("login_failure")
