"""Choosing whom to invite, and inviting them now or through jobs when they are many.

The audience is a list of customer ids, a saved segment, or every customer who agreed to
e-mail. Up to `INLINE_LIMIT` invitations are made in the caller's transaction (the answer is
immediate); more are queued as `surveys.invite` jobs of 500 (each invitation is keyed, so a
job run twice invites nobody twice).
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.accounts.models import Workspace
from kizuna.customers.models import Customer
from kizuna.errors import InvalidInput
from kizuna.settings import Settings
from kizuna.surveys.distribution import InviteReport, invite_by_email
from kizuna.surveys.jobs import enqueue_invitations
from kizuna.surveys.models import Survey

__all__ = ["AUDIENCES", "INLINE_LIMIT", "invite_customers_now_or_later", "resolve_audience"]

AUDIENCES = ("ids", "segment", "consented")
INLINE_LIMIT = 500
MAX_AUDIENCE = 1_000_000


def resolve_audience(
    session: Session,
    workspace: Workspace,
    audience: str,
    customer_ids: str | list[int] = "",
    segment_id: str | int | None = None,
) -> list[int]:
    """The customer ids an audience names (people, not absorbed records)."""
    if audience == "ids":
        if isinstance(customer_ids, list):
            return [int(i) for i in customer_ids]
        found = re.findall(r"\d+", customer_ids or "")
        if not found:
            raise InvalidInput(
                "List the customer ids to invite, separated by commas or spaces.",
                "招待する顧客IDを、カンマか空白で区切って入力してください。",
            )
        return [int(i) for i in found]
    if audience == "segment":
        from kizuna.customers.segments import get_segment, segment_customer_ids

        if segment_id in (None, "") or not str(segment_id).isdigit():
            raise InvalidInput("Choose a segment.", "セグメントを選んでください。")
        segment = get_segment(session, workspace, int(str(segment_id)))
        return segment_customer_ids(session, workspace, segment.conditions, limit=MAX_AUDIENCE)
    if audience == "consented":
        return list(
            session.scalars(
                select(Customer.id)
                .where(
                    Customer.workspace_id == workspace.id,
                    Customer.merged_into_id.is_(None),
                    Customer.consent_email.is_(True),
                    Customer.email.is_not(None),
                )
                .order_by(Customer.id)
                .limit(MAX_AUDIENCE)
            )
        )
    raise InvalidInput(
        f"Unknown audience {audience!r}; use ids, segment or consented.",
        f"不明な対象 {audience!r} です。ids・segment・consented のいずれかにしてください。",
    )


def invite_customers_now_or_later(
    session: Session,
    settings: Settings,
    workspace: Workspace,
    survey: Survey,
    customer_ids: list[int],
    *,
    touchpoint: str | None = None,
    actor: str = "system",
) -> tuple[InviteReport, int]:
    """(what was done now, jobs queued for the rest)."""
    if len(customer_ids) <= INLINE_LIMIT:
        report = invite_by_email(
            session, settings, workspace, survey, customer_ids, touchpoint=touchpoint, actor=actor
        )
        return report, 0
    if survey.status != "live":
        invite_by_email(session, settings, workspace, survey, [], actor=actor)  # says why
    jobs = enqueue_invitations(session, survey, customer_ids, touchpoint=touchpoint, actor=actor)
    return InviteReport(), jobs
