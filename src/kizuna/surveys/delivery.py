"""Sending one invitation: decided again under the contact rules when it is due, its e-mail
put in the mail room's outbox (`send_mail`), and what that e-mail shows
(`invitation_context`: the intro, the first question and, for a score, a link per number).

Used by `kizuna.surveys.distribution` (invitations stored earlier), the invitation job,
reminders and triggers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from kizuna.accounts.models import Workspace
from kizuna.customers.models import Customer
from kizuna.db.base import utcnow
from kizuna.mail.errors import InvalidAddress
from kizuna.mail.service import send_mail
from kizuna.settings import Settings
from kizuna.surveys.colours import readable_on_white
from kizuna.surveys.contact import decide_contact
from kizuna.surveys.definition import Definition
from kizuna.surveys.links import invitation_url
from kizuna.surveys.logic import pipe_text
from kizuna.surveys.models import Survey, SurveyInvitation
from kizuna.surveys.service import definition_of, get_policy

__all__ = ["SCALE_LINK_TYPES", "deliver_invitation", "invitation_context"]


SCALE_LINK_TYPES = ("nps", "csat", "ces", "rating", "number")


def deliver_invitation(
    session: Session,
    settings: Settings,
    invitation: SurveyInvitation,
    *,
    now: dt.datetime | None = None,
    survey: Survey | None = None,
) -> SurveyInvitation:
    """Decide an invitation under the rules and, when allowed, put its e-mail in the outbox
    (quiet hours: to go out when they end). Returns it, sent, skipped or still scheduled."""
    now = now or utcnow()
    survey = survey or session.get_one(Survey, invitation.survey_id)
    workspace = session.get_one(Workspace, invitation.workspace_id)
    if survey.status != "live" or (survey.closes_at is not None and survey.closes_at <= now):
        return _skip(invitation, "survey_closed")
    policy = get_policy(session, workspace)
    customer = session.get(Customer, invitation.customer_id) if invitation.customer_id else None
    decision = decide_contact(
        session,
        policy,
        workspace.timezone,
        customer,
        channel="email",
        now=now,
        send_at=invitation.send_after,
        exclude_invitation=invitation.id,
    )
    if not decision.allowed:
        return _skip(invitation, decision.skip_reason or "unknown")
    assert customer is not None and customer.email
    definition = definition_of(survey)
    mail_key = f"survey:{survey.id}:invite:{customer.id}"
    if invitation.channel == "trigger":
        mail_key = f"survey:{survey.id}:invite:{customer.id}:{invitation.interaction_id}"
    try:
        send_mail(
            session,
            settings,
            workspace_id=workspace.id,
            key=mail_key,
            to=customer.email,
            template="survey_invitation",
            context=invitation_context(settings, workspace, survey, definition, invitation),
            language=invitation.language,
            category="customer",
            send_after=decision.send_at,
        )
    except InvalidAddress:
        return _skip(invitation, "no_email")
    invitation.state = "sent"
    invitation.sent_at = decision.send_at
    invitation.send_after = decision.send_at
    invitation.deferred_reason = decision.deferred_reason
    invitation.skip_reason = None
    invitation.mail_key = mail_key
    session.flush()
    return invitation


def _skip(invitation: SurveyInvitation, reason: str) -> SurveyInvitation:
    invitation.state = "skipped"
    invitation.skip_reason = reason
    invitation.sent_at = None
    return invitation


def invitation_context(
    settings: Settings,
    workspace: Workspace,
    survey: Survey,
    definition: Definition,
    invitation: SurveyInvitation,
    *,
    reminder: bool = False,
) -> dict[str, Any]:
    """What the invitation e-mail shows: the intro, the first question and its links."""
    language = invitation.language
    url = invitation_url(settings, invitation)
    first = definition.questions[0]
    scale: list[dict[str, Any]] = []
    if first.type in SCALE_LINK_TYPES and not first.show_if:
        scale = [{"score": n, "url": f"{url}?score={n}"} for n in range(first.min, first.max + 1)]
    hidden = dict(invitation.hidden or {})
    texts = {
        "subject": (definition.email_subject or definition.title)[language],
        "intro": (definition.email_intro or definition.welcome or {}).get(language, ""),
        "question": pipe_text(first.text[language], definition, {}, hidden, language),
        "low": (first.low_label or {}).get(language, ""),
        "high": (first.high_label or {}).get(language, ""),
    }
    return {
        **texts,
        "title": definition.title[language],
        "workspace_name": workspace.name,
        "survey_url": url,
        "scale": scale,
        "colour": readable_on_white(definition.brand_color),
        "reminder": reminder,
        "expires_on": invitation.expires_at.date().isoformat(),
    }
