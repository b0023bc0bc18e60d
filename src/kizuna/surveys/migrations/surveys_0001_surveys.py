"""surveys: surveys and their versions, contact rules, invitations, responses, views

Starts the surveys branch on the shared history with new tables only (no batch rebuild on
SQLite). Invitations and responses point at customers, interactions and feedback of the
shared history (SET NULL when those go), and surveys at their workspace (CASCADE).

Revision ID: surveys_0001
Revises: 0007
Create Date: 2026-12-02 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kizuna.db.base

revision = "surveys_0001"
down_revision = "0007"
branch_labels = ("surveys",)
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
TIME = kizuna.db.base.UTCDateTime


def _workspace_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["workspace_id"],
        ["workspace.id"],
        name=op.f(f"fk_{table}_workspace_id_workspace"),
        ondelete="CASCADE",
    )


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "survey",
        sa.Column("id", ID, nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("template", sa.String(length=64), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", JSON, nullable=False),
        sa.Column("closes_at", TIME(), nullable=True),
        sa.Column("response_cap", sa.Integer(), nullable=True),
        sa.Column("logo", sa.LargeBinary(), nullable=True),
        sa.Column("logo_type", sa.String(length=32), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", TIME(), nullable=False),
        sa.Column("updated_at", TIME(), nullable=False),
        sa.Column("published_at", TIME(), nullable=True),
        sa.Column("closed_at", TIME(), nullable=True),
        sa.Column("workspace_id", ID, nullable=False),
        _workspace_fk("survey"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey")),
        sa.UniqueConstraint("key", name=op.f("uq_survey_key")),
    )
    op.create_index(op.f("ix_survey_workspace_id"), "survey", ["workspace_id"])
    op.create_table(
        "survey_version",
        sa.Column("id", ID, nullable=False),
        sa.Column("survey_id", ID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", JSON, nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", TIME(), nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        _fk("survey_version", "survey_id", "survey", "CASCADE"),
        _workspace_fk("survey_version"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_version")),
        sa.UniqueConstraint(
            "survey_id", "version", name=op.f("uq_survey_version_survey_id_version")
        ),
    )
    op.create_index(op.f("ix_survey_version_workspace_id"), "survey_version", ["workspace_id"])
    op.create_table(
        "survey_policy",
        sa.Column("id", ID, nullable=False),
        sa.Column("frequency_days", sa.Integer(), nullable=False),
        sa.Column("quiet_start", sa.String(length=5), nullable=False),
        sa.Column("quiet_end", sa.String(length=5), nullable=False),
        sa.Column("require_consent", sa.Boolean(), nullable=False),
        sa.Column("link_days", sa.Integer(), nullable=False),
        sa.Column("partial_timeout_minutes", sa.Integer(), nullable=False),
        sa.Column("rate_limit_per_minute", sa.Integer(), nullable=False),
        sa.Column("allowed_origins", JSON, nullable=False),
        sa.Column("updated_at", TIME(), nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        _workspace_fk("survey_policy"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_policy")),
        sa.UniqueConstraint("workspace_id", name=op.f("uq_survey_policy_workspace_id")),
    )
    op.create_table(
        "survey_invitation",
        sa.Column("id", ID, nullable=False),
        sa.Column("survey_id", ID, nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("customer_id", ID, nullable=True),
        sa.Column("interaction_id", ID, nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("touchpoint", sa.String(length=100), nullable=True),
        sa.Column("hidden", JSON, nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("skip_reason", sa.String(length=32), nullable=True),
        sa.Column("deferred_reason", sa.String(length=32), nullable=True),
        sa.Column("send_after", TIME(), nullable=False),
        sa.Column("expires_at", TIME(), nullable=False),
        sa.Column("sent_at", TIME(), nullable=True),
        sa.Column("opened_at", TIME(), nullable=True),
        sa.Column("started_at", TIME(), nullable=True),
        sa.Column("completed_at", TIME(), nullable=True),
        sa.Column("reminders", sa.Integer(), nullable=False),
        sa.Column("reminded_at", TIME(), nullable=True),
        sa.Column("mail_key", sa.String(length=200), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", TIME(), nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        _fk("survey_invitation", "survey_id", "survey", "CASCADE"),
        _fk("survey_invitation", "customer_id", "customer", "SET NULL"),
        _fk("survey_invitation", "interaction_id", "interaction", "SET NULL"),
        _workspace_fk("survey_invitation"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_invitation")),
        sa.UniqueConstraint(
            "workspace_id", "key", name=op.f("uq_survey_invitation_workspace_id_key")
        ),
    )
    op.create_index(
        "ix_survey_invitation_contact",
        "survey_invitation",
        ["workspace_id", "customer_id", "sent_at"],
    )
    op.create_index(
        "ix_survey_invitation_survey_state", "survey_invitation", ["survey_id", "state"]
    )
    op.create_table(
        "survey_response",
        sa.Column("id", ID, nullable=False),
        sa.Column("survey_id", ID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("response_key", sa.String(length=64), nullable=False),
        sa.Column("invitation_id", ID, nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("customer_id", ID, nullable=True),
        sa.Column("customer_ref", sa.String(length=200), nullable=True),
        sa.Column("touchpoint", sa.String(length=100), nullable=True),
        sa.Column("hidden", JSON, nullable=False),
        sa.Column("answers", JSON, nullable=False),
        sa.Column("meta", JSON, nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("started_at", TIME(), nullable=False),
        sa.Column("updated_at", TIME(), nullable=False),
        sa.Column("completed_at", TIME(), nullable=True),
        sa.Column("seconds", sa.Integer(), nullable=True),
        sa.Column("feedback_id", ID, nullable=True),
        sa.Column("voice_at", TIME(), nullable=True),
        sa.Column("workspace_id", ID, nullable=False),
        _fk("survey_response", "survey_id", "survey", "CASCADE"),
        _fk("survey_response", "invitation_id", "survey_invitation", "SET NULL"),
        _fk("survey_response", "customer_id", "customer", "SET NULL"),
        _fk("survey_response", "feedback_id", "feedback", "SET NULL"),
        _workspace_fk("survey_response"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_response")),
        sa.UniqueConstraint(
            "survey_id", "response_key", name=op.f("uq_survey_response_survey_id_response_key")
        ),
        sa.UniqueConstraint("invitation_id", name=op.f("uq_survey_response_invitation_id")),
    )
    op.create_index("ix_survey_response_survey_state", "survey_response", ["survey_id", "state"])
    op.create_index(
        "ix_survey_response_pending", "survey_response", ["workspace_id", "state", "updated_at"]
    )
    op.create_table(
        "survey_view",
        sa.Column("id", ID, nullable=False),
        sa.Column("survey_id", ID, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("views", sa.Integer(), nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        _fk("survey_view", "survey_id", "survey", "CASCADE"),
        _workspace_fk("survey_view"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_view")),
        sa.UniqueConstraint(
            "survey_id", "day", "channel", name=op.f("uq_survey_view_survey_id_day_channel")
        ),
    )
    op.create_index(op.f("ix_survey_view_workspace_id"), "survey_view", ["workspace_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_survey_view_workspace_id"), table_name="survey_view")
    op.drop_table("survey_view")
    op.drop_index("ix_survey_response_pending", table_name="survey_response")
    op.drop_index("ix_survey_response_survey_state", table_name="survey_response")
    op.drop_table("survey_response")
    op.drop_index("ix_survey_invitation_survey_state", table_name="survey_invitation")
    op.drop_index("ix_survey_invitation_contact", table_name="survey_invitation")
    op.drop_table("survey_invitation")
    op.drop_table("survey_policy")
    op.drop_index(op.f("ix_survey_version_workspace_id"), table_name="survey_version")
    op.drop_table("survey_version")
    op.drop_index(op.f("ix_survey_workspace_id"), table_name="survey")
    op.drop_table("survey")
