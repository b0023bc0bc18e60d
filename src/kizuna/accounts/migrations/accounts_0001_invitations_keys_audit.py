"""accounts: invitations, API keys with scopes and expiry, audit targets

Starts the accounts branch on the shared history. Adds `invitation` (single-use links to
join a workspace with a role), `api_key.scopes`, `.created_by` and `.expires_at`, and
`audit_event.target` with an index for reading one workspace's log newest first.

Revision ID: accounts_0001
Revises: 0007
Create Date: 2026-12-02 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kizuna.db.base

revision = "accounts_0001"
down_revision = "0007"
branch_labels = ("accounts",)
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "invitation",
        sa.Column("id", ID, nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("invited_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", kizuna.db.base.UTCDateTime(), nullable=False),
        sa.Column("expires_at", kizuna.db.base.UTCDateTime(), nullable=False),
        sa.Column("accepted_at", kizuna.db.base.UTCDateTime(), nullable=True),
        sa.Column("revoked_at", kizuna.db.base.UTCDateTime(), nullable=True),
        sa.Column("workspace_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_invitation_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invitation_token_hash")),
    )
    op.create_index(op.f("ix_invitation_workspace_id"), "invitation", ["workspace_id"])
    with op.batch_alter_table("api_key") as batch_op:
        batch_op.add_column(sa.Column("scopes", JSON, nullable=False, server_default="[]"))
        batch_op.add_column(
            sa.Column("created_by", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("expires_at", kizuna.db.base.UTCDateTime(), nullable=True))
    with op.batch_alter_table("api_key") as batch_op:
        batch_op.alter_column("scopes", server_default=None)
        batch_op.alter_column("created_by", server_default=None)
    with op.batch_alter_table("audit_event") as batch_op:
        batch_op.add_column(
            sa.Column("target", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.drop_index("ix_audit_event_workspace_id")
        batch_op.create_index(
            "ix_audit_event_workspace_id_occurred_at", ["workspace_id", "occurred_at"]
        )
    with op.batch_alter_table("audit_event") as batch_op:
        batch_op.alter_column("target", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("audit_event") as batch_op:
        batch_op.drop_index("ix_audit_event_workspace_id_occurred_at")
        batch_op.create_index("ix_audit_event_workspace_id", ["workspace_id"])
        batch_op.drop_column("target")
    with op.batch_alter_table("api_key") as batch_op:
        batch_op.drop_column("expires_at")
        batch_op.drop_column("created_by")
        batch_op.drop_column("scopes")
    op.drop_index(op.f("ix_invitation_workspace_id"), table_name="invitation")
    op.drop_table("invitation")
