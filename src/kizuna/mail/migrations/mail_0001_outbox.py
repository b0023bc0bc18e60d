"""mail: the outbox and the suppression list

Starts the mail branch on the shared history with two new tables (no batch rebuild needed
on SQLite): `mail_message`, one e-mail with its rendered content and delivery state, unique
per workspace and key; `mail_suppression`, digests of addresses that unsubscribed.

Revision ID: mail_0001
Revises: 0007
Create Date: 2026-12-03 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kizuna.db.base

revision = "mail_0001"
down_revision = "0007"
branch_labels = ("mail",)
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _workspace_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["workspace_id"],
        ["workspace.id"],
        name=op.f(f"fk_{table}_workspace_id_workspace"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "mail_message",
        sa.Column("id", ID, nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("template", sa.String(length=100), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("from_header", sa.String(length=320), nullable=False),
        sa.Column("to_address", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("text_body", sa.Text(), nullable=False),
        sa.Column("html_body", sa.Text(), nullable=False),
        sa.Column("headers", JSON, nullable=False),
        sa.Column("message_id_header", sa.String(length=255), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("skip_reason", sa.String(length=32), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", kizuna.db.base.UTCDateTime(), nullable=False),
        sa.Column("send_after", kizuna.db.base.UTCDateTime(), nullable=False),
        sa.Column("last_attempt_at", kizuna.db.base.UTCDateTime(), nullable=True),
        sa.Column("sent_at", kizuna.db.base.UTCDateTime(), nullable=True),
        sa.Column("workspace_id", ID, nullable=False),
        _workspace_fk("mail_message"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_message")),
        sa.UniqueConstraint("workspace_id", "key", name=op.f("uq_mail_message_workspace_id_key")),
    )
    op.create_index(
        "ix_mail_message_workspace_id_state_id", "mail_message", ["workspace_id", "state", "id"]
    )
    op.create_table(
        "mail_suppression",
        sa.Column("id", ID, nullable=False),
        sa.Column("address_digest", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("created_at", kizuna.db.base.UTCDateTime(), nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        _workspace_fk("mail_suppression"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_suppression")),
        sa.UniqueConstraint(
            "workspace_id",
            "address_digest",
            name=op.f("uq_mail_suppression_workspace_id_address_digest"),
        ),
    )


def downgrade() -> None:
    op.drop_table("mail_suppression")
    op.drop_index("ix_mail_message_workspace_id_state_id", table_name="mail_message")
    op.drop_table("mail_message")
