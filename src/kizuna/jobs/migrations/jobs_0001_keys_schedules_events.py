"""jobs: idempotency keys and priorities, recurring schedules, domain events

Starts the jobs branch on the shared history. `job` gets `key` (unique when set) and
`priority` (the ready index now orders by it); new tables `job_schedule`, `domain_event`
(the outbox) and `event_delivery` (which subscriber handled which event).

Revision ID: jobs_0001
Revises: 0007
Create Date: 2026-12-02 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kizuna.db.base

revision = "jobs_0001"
down_revision = "0007"
branch_labels = ("jobs",)
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
    with op.batch_alter_table("job") as batch_op:
        batch_op.add_column(sa.Column("key", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("priority", sa.Integer(), nullable=False, server_default="0"))
        batch_op.drop_index("ix_job_ready")
        batch_op.create_index("ix_job_ready", ["state", "priority", "run_after"])
        batch_op.create_unique_constraint(op.f("uq_job_key"), ["key"])
    with op.batch_alter_table("job") as batch_op:
        batch_op.alter_column("priority", server_default=None)
    op.create_table(
        "job_schedule",
        sa.Column("id", ID, nullable=False),
        sa.Column("workspace_id", ID, nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=100), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("cron", sa.String(length=100), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("next_run_at", kizuna.db.base.UTCDateTime(), nullable=False),
        sa.Column("last_run_at", kizuna.db.base.UTCDateTime(), nullable=True),
        sa.Column("created_at", kizuna.db.base.UTCDateTime(), nullable=False),
        _workspace_fk("job_schedule"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_schedule")),
        sa.UniqueConstraint("workspace_id", "name", name=op.f("uq_job_schedule_workspace_id_name")),
    )
    op.create_index("ix_job_schedule_due", "job_schedule", ["enabled", "next_run_at"])
    op.create_table(
        "domain_event",
        sa.Column("id", ID, nullable=False),
        sa.Column("kind", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=True),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("occurred_at", kizuna.db.base.UTCDateTime(), nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        _workspace_fk("domain_event"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_domain_event")),
        sa.UniqueConstraint(
            "workspace_id", "kind", "key", name=op.f("uq_domain_event_workspace_id_kind_key")
        ),
    )
    op.create_index(
        "ix_domain_event_workspace_id_occurred_at", "domain_event", ["workspace_id", "occurred_at"]
    )
    op.create_table(
        "event_delivery",
        sa.Column("id", ID, nullable=False),
        sa.Column("event_id", ID, nullable=False),
        sa.Column("subscriber", sa.String(length=100), nullable=False),
        sa.Column("delivered_at", kizuna.db.base.UTCDateTime(), nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["domain_event.id"],
            name=op.f("fk_event_delivery_event_id_domain_event"),
            ondelete="CASCADE",
        ),
        _workspace_fk("event_delivery"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_delivery")),
        sa.UniqueConstraint(
            "event_id", "subscriber", name=op.f("uq_event_delivery_event_id_subscriber")
        ),
    )
    op.create_index(op.f("ix_event_delivery_workspace_id"), "event_delivery", ["workspace_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_event_delivery_workspace_id"), table_name="event_delivery")
    op.drop_table("event_delivery")
    op.drop_index("ix_domain_event_workspace_id_occurred_at", table_name="domain_event")
    op.drop_table("domain_event")
    op.drop_index("ix_job_schedule_due", table_name="job_schedule")
    op.drop_table("job_schedule")
    with op.batch_alter_table("job") as batch_op:
        batch_op.drop_constraint(op.f("uq_job_key"), type_="unique")
        batch_op.drop_index("ix_job_ready")
        batch_op.create_index("ix_job_ready", ["state", "run_after"])
        batch_op.drop_column("priority")
        batch_op.drop_column("key")
