"""Event-triggered invitations: an interaction of a chosen kind invites its customer after a
chosen delay (a stay checked out, an order delivered, a support contact closed).

`on_interactions` is the subscriber of `interaction.recorded`: for each live survey's
triggers it makes a `scheduled` invitation keyed `trigger:<survey>:<interaction>` (the same
interaction recorded again invites nobody twice) and queues `surveys.send_invitation` at
the interaction's time plus the delay; when that job runs, the contact rules decide again.
Interactions older than the trigger's `within_days` (history being imported) ask nobody.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.accounts.models import Workspace
from kizuna.customers.models import Customer, Interaction
from kizuna.db.base import utcnow
from kizuna.jobs.queue import enqueue
from kizuna.surveys.definition import Definition
from kizuna.surveys.distribution import insert_invitation, invitation_language, link_expiry
from kizuna.surveys.models import Survey, SurveyInvitation
from kizuna.surveys.service import definition_of, get_policy

__all__ = ["on_interactions"]


def on_interactions(kz: Any, session: Session, event: Any) -> None:
    """Subscriber of `interaction.recorded`: queue the invitations live surveys' triggers ask
    for (an interaction of the trigger's kind, recent enough), each after its delay."""
    from kizuna.surveys.jobs import SendInvitation

    surveys = [
        s
        for s in session.scalars(
            select(Survey).where(Survey.workspace_id == event.workspace_id, Survey.status == "live")
        )
        if s.definition.get("triggers")
    ]
    if not surveys:
        return
    triggers = [(s, t) for s in surveys for t in definition_of(s).triggers]
    kinds = {t.interaction for _, t in triggers}
    now = utcnow()
    rows = session.execute(
        select(
            Interaction.id,
            Interaction.customer_id,
            Interaction.kind,
            Interaction.touchpoint,
            Interaction.occurred_at,
        ).where(
            Interaction.workspace_id == event.workspace_id,
            Interaction.id.in_(event.interaction_ids),
            Interaction.kind.in_(kinds),
            Interaction.customer_id.is_not(None),
        )
    ).all()
    workspace = session.get_one(Workspace, event.workspace_id)
    policy = get_policy(session, workspace)
    for interaction_id, customer_id, kind, touchpoint, occurred_at in rows:
        for survey, trigger in triggers:
            if trigger.interaction != kind or (
                trigger.touchpoint and trigger.touchpoint != touchpoint
            ):
                continue
            if occurred_at < now - dt.timedelta(days=trigger.within_days):
                continue  # history being imported, not something that just happened
            send_at = max(now, occurred_at + dt.timedelta(minutes=trigger.delay_minutes))
            definition = definition_of(survey)
            customer = session.get(Customer, customer_id)
            values = {
                "workspace_id": workspace.id,
                "survey_id": survey.id,
                "key": f"trigger:{survey.id}:{interaction_id}",
                "customer_id": customer_id,
                "interaction_id": interaction_id,
                "channel": "trigger",
                "touchpoint": touchpoint,
                "hidden": _trigger_hidden(definition, touchpoint, interaction_id),
                "language": invitation_language(definition, workspace, customer),
                "state": "scheduled",
                "send_after": send_at,
                "expires_at": link_expiry(survey, policy, send_at, None),
                "reminders": 0,
                "created_by": "trigger",
                "created_at": now,
            }
            if not insert_invitation(session, values):
                continue
            invitation_id = session.scalar(
                select(SurveyInvitation.id).where(
                    SurveyInvitation.workspace_id == workspace.id,
                    SurveyInvitation.key == values["key"],
                )
            )
            enqueue(
                session,
                SendInvitation(invitation_id=int(invitation_id or 0)),
                workspace_id=workspace.id,
                key=f"survey-invite:{invitation_id}",
                run_after=send_at,
            )


def _trigger_hidden(
    definition: Definition, touchpoint: str | None, interaction_id: int
) -> dict[str, Any]:
    hidden: dict[str, Any] = {}
    if touchpoint and "touchpoint" in definition.hidden:
        hidden["touchpoint"] = touchpoint
    if "interaction" in definition.hidden:
        hidden["interaction"] = str(interaction_id)
    return hidden
