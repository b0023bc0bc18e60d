"""feedback: the voice search index and voice tags

Starts the feedback branch on the shared history:

- `feedback_search`, the full-text index of voices (`kizuna.feedback.search`): an FTS5 table
  on SQLite; on PostgreSQL a table with a `tsvector` and a GIN index. Built here for the
  voices already stored, workspace by workspace;
- `feedback_search_state`, how far the index has read each workspace;
- `voice_tag` and `voice_tagging`, tags on voices.

Revision ID: feedback_0001
Revises: 0007
Create Date: 2026-12-02 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kizuna.db.base

revision = "feedback_0001"
down_revision = "0007"
branch_labels = ("feedback",)
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = kizuna.db.base.UTCDateTime


def _workspace_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["workspace_id"],
        ["workspace.id"],
        name=op.f(f"fk_{table}_workspace_id_workspace"),
        ondelete="CASCADE",
    )


def _create_index_table() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TABLE feedback_search ("
            " feedback_id BIGINT PRIMARY KEY REFERENCES feedback (id) ON DELETE CASCADE,"
            " workspace_id BIGINT NOT NULL REFERENCES workspace (id) ON DELETE CASCADE,"
            " terms TSVECTOR NOT NULL)"
        )
        op.execute("CREATE INDEX ix_feedback_search_terms ON feedback_search USING gin (terms)")
        op.execute("CREATE INDEX ix_feedback_search_workspace ON feedback_search (workspace_id)")
    else:
        op.execute(
            "CREATE VIRTUAL TABLE feedback_search USING fts5("
            "terms, workspace_id UNINDEXED, tokenize = 'unicode61 remove_diacritics 0')"
        )


def upgrade() -> None:
    _create_index_table()
    op.create_table(
        "feedback_search_state",
        sa.Column("workspace_id", ID, nullable=False),
        sa.Column("indexed_through", sa.BigInteger(), nullable=False),
        _workspace_fk("feedback_search_state"),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_feedback_search_state")),
    )
    op.create_table(
        "voice_tag",
        sa.Column("id", ID, nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", TIME(), nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        _workspace_fk("voice_tag"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voice_tag")),
        sa.UniqueConstraint("workspace_id", "name", name=op.f("uq_voice_tag_workspace_id_name")),
    )
    op.create_table(
        "voice_tagging",
        sa.Column("tag_id", ID, nullable=False),
        sa.Column("feedback_id", ID, nullable=False),
        sa.Column("created_at", TIME(), nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        _workspace_fk("voice_tagging"),
        sa.ForeignKeyConstraint(
            ["tag_id"],
            ["voice_tag.id"],
            name=op.f("fk_voice_tagging_tag_id_voice_tag"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["feedback_id"],
            ["feedback.id"],
            name=op.f("fk_voice_tagging_feedback_id_feedback"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tag_id", "feedback_id", name=op.f("pk_voice_tagging")),
    )
    op.create_index("ix_voice_tagging_feedback", "voice_tagging", ["feedback_id"])
    _backfill()


def _backfill() -> None:
    """Index the voices stored before this migration, one workspace at a time."""
    from kizuna.feedback.search import reindex_workspace

    conn = op.get_bind()
    for (workspace_id,) in conn.execute(sa.text("SELECT id FROM workspace ORDER BY id")):
        reindex_workspace(conn, int(workspace_id))


def downgrade() -> None:
    op.drop_index("ix_voice_tagging_feedback", table_name="voice_tagging")
    op.drop_table("voice_tagging")
    op.drop_table("voice_tag")
    op.drop_table("feedback_search_state")
    op.execute("DROP TABLE feedback_search")
