"""Reminders to invitees who have not answered: by the hourly `surveys.remind` schedule, or
`kizuna surveys remind`.

Who is reminded: an e-mail (or interaction-triggered) invitation that went out, whose
person has not started answering, `reminders.after_days` after the invitation or the last
reminder, at most `reminders.max` times, while the survey is live and the link valid. Never
to a customer who withdrew consent or unsubscribed since, and never in the quiet hours
(the e-mail then waits for their end in the outbox). Each goes out once under the key
`survey:<id>:remind:<customer>:<n>`.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.accounts.audit import record_audit
from kizuna.accounts.models import Workspace
from kizuna.customers.models import Customer
from kizuna.db.base import utcnow
from kizuna.mail.service import send_mail
from kizuna.settings import Settings
from kizuna.surveys.contact import decide_contact
from kizuna.surveys.distribution import invitation_context
from kizuna.surveys.models import Survey, SurveyInvitation
from kizuna.surveys.service import definition_of, get_policy

__all__ = ["send_reminders"]


def send_reminders(
    session: Session,
    settings: Settings,
    workspace: Workspace,
    *,
    survey_id: int | None = None,
    now: dt.datetime | None = None,
    actor: str = "system",
) -> int:
    """Remind who was e-mailed and has not answered, when their reminder is due; how many."""
    now = now or utcnow()
    query = (
        select(SurveyInvitation, Survey)
        .join(Survey, Survey.id == SurveyInvitation.survey_id)
        .where(
            SurveyInvitation.workspace_id == workspace.id,
            SurveyInvitation.state == "sent",
            SurveyInvitation.channel.in_(("email", "trigger")),
            SurveyInvitation.started_at.is_(None),
            SurveyInvitation.expires_at > now,
            SurveyInvitation.sent_at <= now,
            Survey.status == "live",
        )
        .order_by(SurveyInvitation.id)
    )
    if survey_id is not None:
        query = query.where(Survey.id == survey_id)
    policy = get_policy(session, workspace)
    sent = 0
    for invitation, survey in session.execute(query).all():
        definition = definition_of(survey)
        if invitation.reminders >= definition.max_reminders:
            continue
        last = invitation.reminded_at or invitation.sent_at
        assert last is not None
        if last + dt.timedelta(days=definition.reminder_days) > now:
            continue
        customer = session.get(Customer, invitation.customer_id) if invitation.customer_id else None
        if customer is None or not customer.email:
            continue
        if policy.require_consent and not customer.consent_email:
            continue
        decision = decide_contact(
            session,
            policy,
            workspace.timezone,
            customer,
            channel="email",
            now=now,
            exclude_invitation=invitation.id,
        )
        if decision.skip_reason == "unsubscribed" or decision.skip_reason == "no_consent":
            continue
        number = invitation.reminders + 1
        send_mail(
            session,
            settings,
            workspace_id=workspace.id,
            key=f"survey:{survey.id}:remind:{customer.id}:{number}"
            + (f":{invitation.interaction_id}" if invitation.channel == "trigger" else ""),
            to=customer.email,
            template="survey_invitation",
            context=invitation_context(
                settings, workspace, survey, definition, invitation, reminder=True
            ),
            language=invitation.language,
            category="customer",
            send_after=decision.send_at,
        )
        invitation.reminders = number
        invitation.reminded_at = now
        sent += 1
    if sent:
        record_audit(session, workspace, actor, "survey.remind", "surveys", reminders=sent)
    return sent
