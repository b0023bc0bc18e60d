"""reports: the dashboard's "full" rollup grain (every dimension kept apart), so filters
combine (channel and language at once)

No column changes: `grain` takes the new value "full". Rollups counted before this revision
lack those rows, so every workspace's bookkeeping row is removed: the next refresh (the first
dashboard view, a subscriber or `kizuna dashboard refresh`) counts every day again.

Revision ID: reports_0003
Revises: reports_0002
Create Date: 2026-12-03 08:00:00
"""

from __future__ import annotations

from alembic import op

revision = "reports_0003"
down_revision = "reports_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM dashboard_dirty_day")
    op.execute("DELETE FROM dashboard_state")


def downgrade() -> None:
    op.execute("DELETE FROM dashboard_topic_day WHERE grain = 'full'")
    op.execute("DELETE FROM dashboard_day WHERE grain = 'full'")
