"""Where a survey is answered: its public link, an invitation's personal link (signed, single
use, expiring), the language an invitation speaks and when its link stops working.

Pure answers from the rows given; nothing here writes or sends.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from kizuna.accounts.models import Workspace
from kizuna.customers.models import Customer
from kizuna.settings import Settings
from kizuna.surveys.definition import Definition
from kizuna.surveys.models import Survey, SurveyInvitation, SurveyPolicy
from kizuna.surveys.tokens import make_link_token

__all__ = ["invitation_language", "invitation_url", "link_expiry", "public_url"]


def public_url(settings: Settings, survey: Survey, **query: str) -> str:
    """The survey's public link, with hidden fields or a channel in the query."""
    params = {k: v for k, v in query.items() if v}
    return f"{settings.public_url}/s/{survey.key}" + (f"?{urlencode(params)}" if params else "")


def invitation_url(settings: Settings, invitation: SurveyInvitation) -> str:
    """The personal link of an invitation (signed, single use, expiring)."""
    token = make_link_token(settings, invitation.id, invitation.expires_at)
    return f"{settings.public_url}/s/i/{token}"


def invitation_language(
    definition: Definition, workspace: Workspace, customer: Customer | None
) -> str:
    wanted = (customer.attributes or {}).get("language") if customer is not None else None
    for candidate in (wanted, workspace.language):
        if candidate in definition.languages:
            return str(candidate)
    return definition.language


def link_expiry(
    survey: Survey, policy: SurveyPolicy, now: dt.datetime, days: int | None
) -> dt.datetime:
    expires = now + dt.timedelta(days=days or policy.link_days)
    if survey.closes_at is not None:
        expires = min(expires, survey.closes_at)
    return expires
