"""accounts: sessions kept on the server

Adds `web_session`: the browser's cookie now holds only a random token (its SHA-256 is
stored), so logging out, a role change or removal ends a session at once, and the cookie
reveals nothing. Sessions made before this migration (signed cookies) are not carried over:
people log in once more.

Revision ID: accounts_0002
Revises: accounts_0001
Create Date: 2026-12-02 13:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kizuna.db.base

revision = "accounts_0002"
down_revision = "accounts_0001"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "web_session",
        sa.Column("id", ID, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", ID, nullable=True),
        sa.Column("data", JSON, nullable=False),
        sa.Column("created_at", kizuna.db.base.UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", kizuna.db.base.UTCDateTime(), nullable=False),
        sa.Column("expires_at", kizuna.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_web_session_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_web_session_token_hash")),
    )
    op.create_index("ix_web_session_expires_at", "web_session", ["expires_at"])
    op.create_index(op.f("ix_web_session_user_id"), "web_session", ["user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_web_session_user_id"), table_name="web_session")
    op.drop_index("ix_web_session_expires_at", table_name="web_session")
    op.drop_table("web_session")
