"""personas: persona builds, personas and their members

Starts the personas branch on the shared history: `persona_run` (one row per build, with
the silhouette of each candidate number of personas), `persona` (ids kept across builds)
and `persona_member` (each surviving customer's persona, joined by segment conditions).

Revision ID: personas_0001
Revises: 0007
Create Date: 2026-12-02 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kizuna.db.base

revision = "personas_0001"
down_revision = "0007"
branch_labels = ("personas",)
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
        "persona_run",
        sa.Column("id", ID, nullable=False),
        sa.Column("built_at", kizuna.db.base.UTCDateTime(), nullable=False),
        sa.Column("method", sa.String(length=64), nullable=False),
        sa.Column("k", sa.Integer(), nullable=False),
        sa.Column("silhouettes", JSON, nullable=False),
        sa.Column("criterion", sa.String(length=200), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("customers", sa.Integer(), nullable=False),
        sa.Column("kept", sa.Float(), nullable=True),
        sa.Column("features", JSON, nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        _workspace_fk("persona_run"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_persona_run")),
    )
    op.create_index(op.f("ix_persona_run_workspace_id"), "persona_run", ["workspace_id"])
    op.create_table(
        "persona",
        sa.Column("id", ID, nullable=False),
        sa.Column("run_id", ID, nullable=True),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("generated_name", JSON, nullable=False),
        sa.Column("description", JSON, nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("share", sa.Float(), nullable=False),
        sa.Column("prototype", JSON, nullable=False),
        sa.Column("card", JSON, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", kizuna.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", kizuna.db.base.UTCDateTime(), nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["persona_run.id"],
            name=op.f("fk_persona_run_id_persona_run"),
            ondelete="SET NULL",
        ),
        _workspace_fk("persona"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_persona")),
    )
    op.create_index(op.f("ix_persona_workspace_id"), "persona", ["workspace_id"])
    op.create_table(
        "persona_member",
        sa.Column("id", ID, nullable=False),
        sa.Column("persona_id", ID, nullable=False),
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_persona_member_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["persona_id"],
            ["persona.id"],
            name=op.f("fk_persona_member_persona_id_persona"),
            ondelete="CASCADE",
        ),
        _workspace_fk("persona_member"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_persona_member")),
        sa.UniqueConstraint(
            "workspace_id", "customer_id", name=op.f("uq_persona_member_workspace_id_customer_id")
        ),
    )
    op.create_index(op.f("ix_persona_member_persona_id"), "persona_member", ["persona_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_persona_member_persona_id"), table_name="persona_member")
    op.drop_table("persona_member")
    op.drop_index(op.f("ix_persona_workspace_id"), table_name="persona")
    op.drop_table("persona")
    op.drop_index(op.f("ix_persona_run_workspace_id"), table_name="persona_run")
    op.drop_table("persona_run")
