"""topics: the workspace's topic changes, proposals, relabel runs and the engine's lists

Starts the topics branch on the shared history: `topic_change` (every change, who and
when, undone ones kept), `topic_proposal` (what discovery proposed and what became of it),
`topic_relabel` (a background run with its progress) and `topic_original` (the text
engine's topic list of an analysis row a change rewrote).

Revision ID: topics_0001
Revises: 0007
Create Date: 2026-12-02 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kizuna.db.base

revision = "topics_0001"
down_revision = "0007"
branch_labels = ("topics",)
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
WHEN = kizuna.db.base.UTCDateTime


def _workspace_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["workspace_id"],
        ["workspace.id"],
        name=op.f(f"fk_{table}_workspace_id_workspace"),
        ondelete="CASCADE",
    )


def _change_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["change_id"],
        ["topic_change.id"],
        name=op.f(f"fk_{table}_change_id_topic_change"),
        ondelete="SET NULL",
    )


def upgrade() -> None:
    op.create_table(
        "topic_change",
        sa.Column("id", ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("spec", JSON, nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("created_at", WHEN(), nullable=False),
        sa.Column("undone_at", WHEN(), nullable=True),
        sa.Column("undone_by", sa.String(length=200), nullable=True),
        sa.Column("workspace_id", ID, nullable=False),
        _workspace_fk("topic_change"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topic_change")),
    )
    op.create_index(op.f("ix_topic_change_workspace_id"), "topic_change", ["workspace_id"])
    op.create_table(
        "topic_proposal",
        sa.Column("id", ID, nullable=False),
        sa.Column("phrase", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("share", sa.Float(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("samples", JSON, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("proposed_at", WHEN(), nullable=False),
        sa.Column("decided_at", WHEN(), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("change_id", ID, nullable=True),
        sa.Column("workspace_id", ID, nullable=False),
        _change_fk("topic_proposal"),
        _workspace_fk("topic_proposal"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topic_proposal")),
    )
    op.create_index(op.f("ix_topic_proposal_workspace_id"), "topic_proposal", ["workspace_id"])
    op.create_table(
        "topic_relabel",
        sa.Column("id", ID, nullable=False),
        sa.Column("change_id", ID, nullable=True),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("changed", sa.Integer(), nullable=False),
        sa.Column("cursor", ID, nullable=False),
        sa.Column("created_at", WHEN(), nullable=False),
        sa.Column("started_at", WHEN(), nullable=True),
        sa.Column("finished_at", WHEN(), nullable=True),
        sa.Column("workspace_id", ID, nullable=False),
        _change_fk("topic_relabel"),
        _workspace_fk("topic_relabel"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topic_relabel")),
    )
    op.create_index(op.f("ix_topic_relabel_workspace_id"), "topic_relabel", ["workspace_id"])
    op.create_table(
        "topic_original",
        sa.Column("id", ID, nullable=False),
        sa.Column("analysis_id", ID, nullable=False),
        sa.Column("topics", JSON, nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["analysis_id"],
            ["feedback_analysis.id"],
            name=op.f("fk_topic_original_analysis_id_feedback_analysis"),
            ondelete="CASCADE",
        ),
        _workspace_fk("topic_original"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topic_original")),
        sa.UniqueConstraint("analysis_id", name=op.f("uq_topic_original_analysis_id")),
    )


def downgrade() -> None:
    op.drop_table("topic_original")
    op.drop_index(op.f("ix_topic_relabel_workspace_id"), table_name="topic_relabel")
    op.drop_table("topic_relabel")
    op.drop_index(op.f("ix_topic_proposal_workspace_id"), table_name="topic_proposal")
    op.drop_table("topic_proposal")
    op.drop_index(op.f("ix_topic_change_workspace_id"), table_name="topic_change")
    op.drop_table("topic_change")
