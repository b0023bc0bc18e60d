"""identity resolution and lifecycle stages

Adds `customer.merged_into_id` / `lifecycle_stage` / `lifecycle_at`, the `customer_merge`
journal and the monthly `lifecycle_snapshot`; drops `ix_identity_lookup`, a duplicate of the
identity unique constraint's index.

The customer columns are added in place, never by batch "copy and move": on SQLite that
would drop and recreate `customer`, and with foreign keys on the drop would cascade into
identities and interactions. SQLite accepts `ADD COLUMN ... REFERENCES` when the default is
NULL, so the self-reference is written inline there, without an ON DELETE action because
SQLite does not reflect an inline one (models and migrations must compare equal).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 23:14:14.917337
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kizuna.db.base

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "customer_merge",
        sa.Column("id", ID, nullable=False),
        sa.Column("absorbed_id", ID, nullable=False),
        sa.Column("survivor_id", ID, nullable=False),
        sa.Column("matched_id", ID, nullable=True),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("value_normalized", sa.String(length=320), nullable=False),
        sa.Column("merged_at", kizuna.db.base.UTCDateTime(), nullable=False),
        sa.Column("undone_at", kizuna.db.base.UTCDateTime(), nullable=True),
        sa.Column("workspace_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["absorbed_id"],
            ["customer.id"],
            name=op.f("fk_customer_merge_absorbed_id_customer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["matched_id"],
            ["customer.id"],
            name=op.f("fk_customer_merge_matched_id_customer"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["survivor_id"],
            ["customer.id"],
            name=op.f("fk_customer_merge_survivor_id_customer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_customer_merge_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_merge")),
    )
    op.create_index("ix_customer_merge_absorbed", "customer_merge", ["workspace_id", "absorbed_id"])
    op.create_index(op.f("ix_customer_merge_survivor_id"), "customer_merge", ["survivor_id"])
    op.create_index(op.f("ix_customer_merge_workspace_id"), "customer_merge", ["workspace_id"])

    op.create_table(
        "lifecycle_snapshot",
        sa.Column("id", ID, nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_lifecycle_snapshot_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_lifecycle_snapshot_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lifecycle_snapshot")),
        sa.UniqueConstraint(
            "workspace_id",
            "month",
            "customer_id",
            name=op.f("uq_lifecycle_snapshot_workspace_id_month_customer_id"),
        ),
    )
    op.create_index(
        op.f("ix_lifecycle_snapshot_customer_id"), "lifecycle_snapshot", ["customer_id"]
    )
    op.create_index(
        op.f("ix_lifecycle_snapshot_workspace_id"), "lifecycle_snapshot", ["workspace_id"]
    )

    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE customer ADD COLUMN merged_into_id INTEGER "
            "CONSTRAINT fk_customer_merged_into_id_customer "
            "REFERENCES customer (id)"
        )
    else:
        op.add_column("customer", sa.Column("merged_into_id", ID, nullable=True))
        op.create_foreign_key(
            op.f("fk_customer_merged_into_id_customer"),
            "customer",
            "customer",
            ["merged_into_id"],
            ["id"],
        )
    op.add_column("customer", sa.Column("lifecycle_stage", sa.String(length=16), nullable=True))
    op.add_column("customer", sa.Column("lifecycle_at", sa.Date(), nullable=True))
    op.create_index(op.f("ix_customer_merged_into_id"), "customer", ["merged_into_id"])
    # A prefix of uq_identity_workspace_id_kind_value_normalized_customer_id: same lookups,
    # one B-tree less to write for every identity row.
    op.drop_index("ix_identity_lookup", table_name="identity")


def downgrade() -> None:
    op.create_index("ix_identity_lookup", "identity", ["workspace_id", "kind", "value_normalized"])
    op.drop_index(op.f("ix_customer_merged_into_id"), table_name="customer")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(
            op.f("fk_customer_merged_into_id_customer"), "customer", type_="foreignkey"
        )
    # Plain DROP COLUMN (SQLite >= 3.35 does it in place), again to avoid a table copy.
    op.drop_column("customer", "lifecycle_at")
    op.drop_column("customer", "lifecycle_stage")
    op.drop_column("customer", "merged_into_id")
    op.drop_table("lifecycle_snapshot")
    op.drop_table("customer_merge")
