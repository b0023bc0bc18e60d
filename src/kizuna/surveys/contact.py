"""Contact rules for every channel together: may this customer be asked now, and if not, why.

The workspace's `survey_policy` says: at most one invitation per person every
`frequency_days` days (whatever the survey or channel; merged records count as one person),
never without e-mail consent (`customer.consent_email`) when `require_consent` is on, never
after unsubscribing (the mail room's suppression list), and never in the quiet hours of the
workspace's time zone: a send that falls in them is put off to their end, not dropped.

`decide_contact` is pure reading; the caller records the outcome on the invitation
(`skip_reason`, or `deferred_reason` with the new send time).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kizuna.customers.models import Customer
from kizuna.mail.errors import InvalidAddress
from kizuna.mail.unsubscribe import is_suppressed
from kizuna.surveys.models import SurveyInvitation, SurveyPolicy

__all__ = ["ContactDecision", "decide_contact", "in_quiet_hours", "quiet_hours_end"]


@dataclass(frozen=True)
class ContactDecision:
    """`skip_reason` None: ask, at `send_at` (later than now when quiet hours put it off)."""

    skip_reason: str | None
    send_at: dt.datetime
    deferred_reason: str | None = None

    @property
    def allowed(self) -> bool:
        return self.skip_reason is None


def _window(policy: SurveyPolicy) -> tuple[dt.time, dt.time] | None:
    start = dt.time.fromisoformat(policy.quiet_start)
    end = dt.time.fromisoformat(policy.quiet_end)
    return None if start == end else (start, end)


def in_quiet_hours(policy: SurveyPolicy, timezone: str, moment: dt.datetime) -> bool:
    """Whether `moment` falls in the quiet hours, read in the workspace's time zone."""
    window = _window(policy)
    if window is None:
        return False
    start, end = window
    local = moment.astimezone(ZoneInfo(timezone)).time()
    if start < end:
        return start <= local < end
    return local >= start or local < end  # the window spans midnight


def quiet_hours_end(policy: SurveyPolicy, timezone: str, moment: dt.datetime) -> dt.datetime:
    """The first moment at or after `moment` outside the quiet hours (UTC)."""
    if not in_quiet_hours(policy, timezone, moment):
        return moment
    window = _window(policy)
    assert window is not None
    zone = ZoneInfo(timezone)
    local = moment.astimezone(zone)
    end = dt.datetime.combine(local.date(), window[1], tzinfo=zone)
    if end <= local:
        end = dt.datetime.combine(local.date() + dt.timedelta(days=1), window[1], tzinfo=zone)
    return end.astimezone(dt.UTC)


def decide_contact(
    session: Session,
    policy: SurveyPolicy,
    timezone: str,
    customer: Customer | None,
    *,
    channel: str,
    now: dt.datetime,
    send_at: dt.datetime | None = None,
    exclude_invitation: int | None = None,
) -> ContactDecision:
    """Whether `customer` may be invited through `channel` at `send_at` (default now)."""
    when = max(send_at or now, now)
    if customer is None:
        return ContactDecision("no_customer", when)
    address = (customer.email or "").strip()
    if channel == "email" and not address:
        return ContactDecision("no_email", when)
    if policy.require_consent and not customer.consent_email:
        return ContactDecision("no_consent", when)
    if address and _suppressed(session, customer.workspace_id, address):
        return ContactDecision("unsubscribed", when)
    if policy.frequency_days > 0 and _asked_recently(
        session, customer, policy.frequency_days, when, exclude_invitation
    ):
        return ContactDecision("frequency", when)
    later = quiet_hours_end(policy, timezone, when)
    if later != when:
        return ContactDecision(None, later, "quiet_hours")
    return ContactDecision(None, when)


def _suppressed(session: Session, workspace_id: int, address: str) -> bool:
    try:
        return is_suppressed(session, workspace_id=workspace_id, address=address)
    except InvalidAddress:  # not an address the mail room takes; sending will say so
        return False


def _asked_recently(
    session: Session,
    customer: Customer,
    days: int,
    when: dt.datetime,
    exclude_invitation: int | None,
) -> bool:
    """An invitation sent to this person (any record of them) within `days` before `when`."""
    person = customer.merged_into_id or customer.id
    records = select(Customer.id).where(
        Customer.workspace_id == customer.workspace_id,
        func.coalesce(Customer.merged_into_id, Customer.id) == person,
    )
    query = select(SurveyInvitation.id).where(
        SurveyInvitation.workspace_id == customer.workspace_id,
        SurveyInvitation.customer_id.in_(records),
        SurveyInvitation.state == "sent",
        SurveyInvitation.sent_at > when - dt.timedelta(days=days),
    )
    if exclude_invitation is not None:
        query = query.where(SurveyInvitation.id != exclude_invitation)
    return session.scalar(query.limit(1)) is not None
