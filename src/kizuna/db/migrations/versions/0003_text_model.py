"""text models trained per workspace

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 23:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kizuna.db.base

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "text_model",
        sa.Column("id", ID, nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("trained_at", kizuna.db.base.UTCDateTime(), nullable=False),
        sa.Column("n_texts", sa.Integer(), nullable=False),
        sa.Column("labels", JSON, nullable=False),
        sa.Column("macro_f1", sa.Float(), nullable=False),
        sa.Column("macro_f1_std", sa.Float(), nullable=False),
        sa.Column("baseline_macro_f1", sa.Float(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("blob", sa.LargeBinary(), nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_text_model_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_text_model")),
        sa.UniqueConstraint(
            "workspace_id", "version", name=op.f("uq_text_model_workspace_id_version")
        ),
    )
    op.create_index(
        op.f("ix_text_model_workspace_id"), "text_model", ["workspace_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_text_model_workspace_id"), table_name="text_model")
    op.drop_table("text_model")
