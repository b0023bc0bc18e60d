"""feedback newest analysis: one index finds a voice's newest analysis

Replaces `ix_feedback_analysis_feedback_id` (feedback_id) with
`ix_feedback_analysis_feedback_id_id` (feedback_id, id). Every reader of "the newest analysis
of this voice" asks for the largest analysis id of a feedback id; with the one-column index
PostgreSQL, misjudging how many analyses a voice has, planned it as a walk of the whole
table's primary key backwards, filtering on the voice (185 ms per voice without an
analysis, 9.5 s for a page of 51, in a database of 300,000 analyses). The two-column index
answers it with its first entry read backwards. An index only; the old one is dropped,
since the new one serves every lookup by feedback id.

Revision ID: feedback_0003
Revises: feedback_0002
Create Date: 2026-12-03 08:00:00
"""

from __future__ import annotations

from alembic import op

revision = "feedback_0003"
down_revision = "feedback_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_feedback_analysis_feedback_id_id", "feedback_analysis", ["feedback_id", "id"]
    )
    op.drop_index("ix_feedback_analysis_feedback_id", table_name="feedback_analysis")


def downgrade() -> None:
    op.create_index("ix_feedback_analysis_feedback_id", "feedback_analysis", ["feedback_id"])
    op.drop_index("ix_feedback_analysis_feedback_id_id", table_name="feedback_analysis")
