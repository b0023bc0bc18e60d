"""loop: departments, rules, cases and their history, improvements, praise, webhooks

Starts the loop branch on the shared history (new tables only, no batch rebuild on
SQLite): `loop_settings` (business calendar, SLA, root causes per workspace),
`loop_department` and its members, `loop_rule` and `loop_rule_match` (a rule fires once
per voice), `loop_case` with `loop_case_event` (its history), `loop_saved_view`,
`loop_voice_tag`, `loop_improvement` and `loop_improvement_link`, `loop_praise_target`
and `loop_praise`, `loop_webhook` and `loop_webhook_delivery`. It references the shared
history's tables only (user_account, feedback, customer), not another branch's.

Revision ID: loop_0001
Revises: 0007
Create Date: 2026-12-02 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kizuna.db.base

revision = "loop_0001"
down_revision = "0007"
branch_labels = ("loop",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "loop_department",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("lead_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("created_at", kizuna.db.base.UTCDateTime(), nullable=False),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["user_account.id"],
            name=op.f("fk_loop_department_lead_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_loop_department_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loop_department")),
        sa.UniqueConstraint(
            "workspace_id", "name", name=op.f("uq_loop_department_workspace_id_name")
        ),
    )
    op.create_table(
        "loop_rule",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "conditions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "actions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("hold_reason", sa.String(length=32), nullable=True),
        sa.Column("max_cases_per_hour", sa.Integer(), nullable=False),
        sa.Column("timed", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "last_test",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", kizuna.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", kizuna.db.base.UTCDateTime(), nullable=False),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_loop_rule_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loop_rule")),
    )
    op.create_index(op.f("ix_loop_rule_workspace_id"), "loop_rule", ["workspace_id"], unique=False)
    op.create_table(
        "loop_saved_view",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "filters",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", kizuna.db.base.UTCDateTime(), nullable=False),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_loop_saved_view_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_loop_saved_view_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loop_saved_view")),
    )
    op.create_index(
        op.f("ix_loop_saved_view_workspace_id"), "loop_saved_view", ["workspace_id"], unique=False
    )
    op.create_table(
        "loop_settings",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "calendar",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "sla",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "root_causes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("updated_at", kizuna.db.base.UTCDateTime(), nullable=False),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_loop_settings_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loop_settings")),
        sa.UniqueConstraint("workspace_id", name=op.f("uq_loop_settings_workspace_id")),
    )
    op.create_table(
        "loop_webhook",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("secret", sa.String(length=128), nullable=False),
        sa.Column(
            "events",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", kizuna.db.base.UTCDateTime(), nullable=False),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_loop_webhook_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loop_webhook")),
    )
    op.create_index(
        op.f("ix_loop_webhook_workspace_id"), "loop_webhook", ["workspace_id"], unique=False
    )
    op.create_table(
        "loop_department_member",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "department_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["loop_department.id"],
            name=op.f("fk_loop_department_member_department_id_loop_department"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_loop_department_member_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_loop_department_member_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loop_department_member")),
        sa.UniqueConstraint(
            "department_id", "user_id", name=op.f("uq_loop_department_member_department_id_user_id")
        ),
    )
    op.create_index(
        op.f("ix_loop_department_member_department_id"),
        "loop_department_member",
        ["department_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_loop_department_member_user_id"),
        "loop_department_member",
        ["user_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_loop_department_member_workspace_id"),
        "loop_department_member",
        ["workspace_id"],
        unique=False,
    )
    op.create_table(
        "loop_improvement",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "department_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("topic", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("shipped_at", kizuna.db.base.UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", kizuna.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", kizuna.db.base.UTCDateTime(), nullable=False),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["loop_department.id"],
            name=op.f("fk_loop_improvement_department_id_loop_department"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_loop_improvement_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loop_improvement")),
    )
    op.create_index(
        op.f("ix_loop_improvement_workspace_id"), "loop_improvement", ["workspace_id"], unique=False
    )
    op.create_table(
        "loop_praise_target",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "aliases",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "department_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "digest_emails",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", kizuna.db.base.UTCDateTime(), nullable=False),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["loop_department.id"],
            name=op.f("fk_loop_praise_target_department_id_loop_department"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_loop_praise_target_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loop_praise_target")),
    )
    op.create_index(
        op.f("ix_loop_praise_target_workspace_id"),
        "loop_praise_target",
        ["workspace_id"],
        unique=False,
    )
    op.create_table(
        "loop_webhook_delivery",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "webhook_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("event", sa.String(length=64), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", kizuna.db.base.UTCDateTime(), nullable=False),
        sa.Column("delivered_at", kizuna.db.base.UTCDateTime(), nullable=True),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["webhook_id"],
            ["loop_webhook.id"],
            name=op.f("fk_loop_webhook_delivery_webhook_id_loop_webhook"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_loop_webhook_delivery_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loop_webhook_delivery")),
        sa.UniqueConstraint(
            "workspace_id", "key", name=op.f("uq_loop_webhook_delivery_workspace_id_key")
        ),
    )
    op.create_index(
        "ix_loop_webhook_delivery_webhook_id_id",
        "loop_webhook_delivery",
        ["webhook_id", "id"],
        unique=False,
    )
    op.create_table(
        "loop_case",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.SmallInteger(), nullable=False),
        sa.Column(
            "department_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("owner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("owner_name", sa.String(length=320), nullable=True),
        sa.Column(
            "feedback_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("rule_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "tags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("opened_at", kizuna.db.base.UTCDateTime(), nullable=False),
        sa.Column("first_response_due", kizuna.db.base.UTCDateTime(), nullable=True),
        sa.Column("first_responded_at", kizuna.db.base.UTCDateTime(), nullable=True),
        sa.Column("resolution_due", kizuna.db.base.UTCDateTime(), nullable=True),
        sa.Column("resolved_at", kizuna.db.base.UTCDateTime(), nullable=True),
        sa.Column("closed_at", kizuna.db.base.UTCDateTime(), nullable=True),
        sa.Column("paused_at", kizuna.db.base.UTCDateTime(), nullable=True),
        sa.Column("paused_remaining_minutes", sa.Integer(), nullable=True),
        sa.Column(
            "warned",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("escalated_at", kizuna.db.base.UTCDateTime(), nullable=True),
        sa.Column(
            "breached",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("root_cause", sa.String(length=64), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.Column("reopened_count", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", kizuna.db.base.UTCDateTime(), nullable=False),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_loop_case_customer_id_customer"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["loop_department.id"],
            name=op.f("fk_loop_case_department_id_loop_department"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["feedback_id"],
            ["feedback.id"],
            name=op.f("fk_loop_case_feedback_id_feedback"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["user_account.id"],
            name=op.f("fk_loop_case_owner_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["loop_rule.id"],
            name=op.f("fk_loop_case_rule_id_loop_rule"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_loop_case_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loop_case")),
    )
    op.create_index(op.f("ix_loop_case_customer_id"), "loop_case", ["customer_id"], unique=False)
    op.create_index(op.f("ix_loop_case_feedback_id"), "loop_case", ["feedback_id"], unique=False)
    op.create_index(
        "ix_loop_case_workspace_id_department_id",
        "loop_case",
        ["workspace_id", "department_id"],
        unique=False,
    )
    op.create_index(
        "ix_loop_case_workspace_id_status", "loop_case", ["workspace_id", "status"], unique=False
    )
    op.create_table(
        "loop_improvement_link",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "improvement_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "feedback_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("linked_by", sa.String(length=200), nullable=False),
        sa.Column("linked_at", kizuna.db.base.UTCDateTime(), nullable=False),
        sa.Column("notify_state", sa.String(length=16), nullable=True),
        sa.Column("notified_at", kizuna.db.base.UTCDateTime(), nullable=True),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_loop_improvement_link_customer_id_customer"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["feedback_id"],
            ["feedback.id"],
            name=op.f("fk_loop_improvement_link_feedback_id_feedback"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["improvement_id"],
            ["loop_improvement.id"],
            name=op.f("fk_loop_improvement_link_improvement_id_loop_improvement"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_loop_improvement_link_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loop_improvement_link")),
        sa.UniqueConstraint(
            "improvement_id",
            "feedback_id",
            name=op.f("uq_loop_improvement_link_improvement_id_feedback_id"),
        ),
    )
    op.create_index(
        "ix_loop_improvement_link_workspace_id_customer_id",
        "loop_improvement_link",
        ["workspace_id", "customer_id"],
        unique=False,
    )
    op.create_table(
        "loop_praise",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "target_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "feedback_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("matched", sa.String(length=200), nullable=False),
        sa.Column("created_at", kizuna.db.base.UTCDateTime(), nullable=False),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["feedback_id"],
            ["feedback.id"],
            name=op.f("fk_loop_praise_feedback_id_feedback"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["loop_praise_target.id"],
            name=op.f("fk_loop_praise_target_id_loop_praise_target"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_loop_praise_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loop_praise")),
        sa.UniqueConstraint(
            "target_id", "feedback_id", name=op.f("uq_loop_praise_target_id_feedback_id")
        ),
    )
    op.create_index(
        "ix_loop_praise_workspace_id_created_at",
        "loop_praise",
        ["workspace_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "loop_rule_match",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("rule_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "feedback_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("matched_at", kizuna.db.base.UTCDateTime(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["feedback_id"],
            ["feedback.id"],
            name=op.f("fk_loop_rule_match_feedback_id_feedback"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["loop_rule.id"],
            name=op.f("fk_loop_rule_match_rule_id_loop_rule"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_loop_rule_match_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loop_rule_match")),
        sa.UniqueConstraint(
            "rule_id", "feedback_id", name=op.f("uq_loop_rule_match_rule_id_feedback_id")
        ),
    )
    op.create_index(
        "ix_loop_rule_match_workspace_id_matched_at",
        "loop_rule_match",
        ["workspace_id", "matched_at"],
        unique=False,
    )
    op.create_table(
        "loop_voice_tag",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "feedback_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("tag", sa.String(length=64), nullable=False),
        sa.Column("rule_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", kizuna.db.base.UTCDateTime(), nullable=False),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["feedback_id"],
            ["feedback.id"],
            name=op.f("fk_loop_voice_tag_feedback_id_feedback"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["loop_rule.id"],
            name=op.f("fk_loop_voice_tag_rule_id_loop_rule"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_loop_voice_tag_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loop_voice_tag")),
        sa.UniqueConstraint(
            "workspace_id",
            "feedback_id",
            "tag",
            name=op.f("uq_loop_voice_tag_workspace_id_feedback_id_tag"),
        ),
    )
    op.create_table(
        "loop_case_event",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", kizuna.db.base.UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("actor_name", sa.String(length=320), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["loop_case.id"],
            name=op.f("fk_loop_case_event_case_id_loop_case"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_loop_case_event_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loop_case_event")),
    )
    op.create_index(
        "ix_loop_case_event_case_id_id", "loop_case_event", ["case_id", "id"], unique=False
    )


def downgrade() -> None:

    op.drop_index("ix_loop_case_event_case_id_id", table_name="loop_case_event")
    op.drop_table("loop_case_event")
    op.drop_table("loop_voice_tag")
    op.drop_index("ix_loop_rule_match_workspace_id_matched_at", table_name="loop_rule_match")
    op.drop_table("loop_rule_match")
    op.drop_index("ix_loop_praise_workspace_id_created_at", table_name="loop_praise")
    op.drop_table("loop_praise")
    op.drop_index(
        "ix_loop_improvement_link_workspace_id_customer_id", table_name="loop_improvement_link"
    )
    op.drop_table("loop_improvement_link")
    op.drop_index("ix_loop_case_workspace_id_status", table_name="loop_case")
    op.drop_index("ix_loop_case_workspace_id_department_id", table_name="loop_case")
    op.drop_index(op.f("ix_loop_case_feedback_id"), table_name="loop_case")
    op.drop_index(op.f("ix_loop_case_customer_id"), table_name="loop_case")
    op.drop_table("loop_case")
    op.drop_index("ix_loop_webhook_delivery_webhook_id_id", table_name="loop_webhook_delivery")
    op.drop_table("loop_webhook_delivery")
    op.drop_index(op.f("ix_loop_praise_target_workspace_id"), table_name="loop_praise_target")
    op.drop_table("loop_praise_target")
    op.drop_index(op.f("ix_loop_improvement_workspace_id"), table_name="loop_improvement")
    op.drop_table("loop_improvement")
    op.drop_index(
        op.f("ix_loop_department_member_workspace_id"), table_name="loop_department_member"
    )
    op.drop_index(op.f("ix_loop_department_member_user_id"), table_name="loop_department_member")
    op.drop_index(
        op.f("ix_loop_department_member_department_id"), table_name="loop_department_member"
    )
    op.drop_table("loop_department_member")
    op.drop_index(op.f("ix_loop_webhook_workspace_id"), table_name="loop_webhook")
    op.drop_table("loop_webhook")
    op.drop_table("loop_settings")
    op.drop_index(op.f("ix_loop_saved_view_workspace_id"), table_name="loop_saved_view")
    op.drop_table("loop_saved_view")
    op.drop_index(op.f("ix_loop_rule_workspace_id"), table_name="loop_rule")
    op.drop_table("loop_rule")
    op.drop_table("loop_department")
