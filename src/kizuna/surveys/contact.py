"""Contact rules for every channel together: may this customer be asked now, and if not, why.

The workspace's `survey_policy` says: at most one invitation per person every
`frequency_days` days (whatever the survey or channel; merged records count as one person),
never without e-mail consent (`customer.consent_email`) when `require_consent` is on, never
after unsubscribing (the mail room's suppression list), and never in the quiet hours of the
workspace's time zone: a send that falls in them is put off to their end, not dropped.

`decide_contact` is pure reading; the caller records the outcome on the invitation
(`skip_reason`, or `deferred_reason` with the new send time). `ContactRules` answers the same
for a whole list of customers invited at once, reading the database once for all of them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kizuna.customers.models import Customer
from kizuna.mail.addresses import clean_address
from kizuna.mail.errors import InvalidAddress
from kizuna.mail.unsubscribe import is_suppressed, suppressed_addresses
from kizuna.surveys.models import SurveyInvitation, SurveyPolicy

__all__ = [
    "ContactDecision",
    "ContactRules",
    "decide_contact",
    "in_quiet_hours",
    "quiet_hours_end",
]


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


class ContactRules:
    """`decide_contact` for many customers asked now, the database read once, not per person.

    Unsubscribed addresses and the people asked within `frequency_days` are fetched for all
    of `customers` up front; `asked` records a person invited during the run, so a second
    record of the same person is held back by the frequency rule, as one by one would.
    """

    def __init__(
        self,
        session: Session,
        policy: SurveyPolicy,
        timezone: str,
        customers: Iterable[Customer],
        *,
        now: dt.datetime,
    ) -> None:
        self.policy = policy
        self.timezone = timezone
        self.now = now
        people = list(customers)
        addresses = []
        for customer in people:
            with contextlib.suppress(InvalidAddress):  # not the mail room's: never suppressed
                addresses.append(clean_address(customer.email or ""))
        workspaces = {c.workspace_id for c in people}
        self._suppressed: set[str] = set()
        self._recent: set[int] = set()
        for workspace_id in workspaces:
            self._suppressed |= suppressed_addresses(
                session, workspace_id=workspace_id, addresses=addresses
            )
            if policy.frequency_days > 0:
                self._recent |= _asked_since(
                    session,
                    workspace_id,
                    {_person(c) for c in people if c.workspace_id == workspace_id},
                    now - dt.timedelta(days=policy.frequency_days),
                )

    def decide(self, customer: Customer, *, channel: str) -> ContactDecision:
        """What `decide_contact` would answer for `customer` now."""
        when = self.now
        address = (customer.email or "").strip()
        if channel == "email" and not address:
            return ContactDecision("no_email", when)
        if self.policy.require_consent and not customer.consent_email:
            return ContactDecision("no_consent", when)
        if address and self._is_suppressed(address):
            return ContactDecision("unsubscribed", when)
        if self.policy.frequency_days > 0 and _person(customer) in self._recent:
            return ContactDecision("frequency", when)
        later = quiet_hours_end(self.policy, self.timezone, when)
        if later != when:
            return ContactDecision(None, later, "quiet_hours")
        return ContactDecision(None, when)

    def asked(self, customer: Customer) -> None:
        """`customer` was just invited: the frequency rule now holds back the same person."""
        self._recent.add(_person(customer))

    def _is_suppressed(self, address: str) -> bool:
        try:
            return clean_address(address) in self._suppressed
        except InvalidAddress:  # not an address the mail room takes; sending will say so
            return False


def _person(customer: Customer) -> int:
    return customer.merged_into_id or customer.id


def _asked_since(
    session: Session, workspace_id: int, people: set[int], since: dt.datetime
) -> set[int]:
    """Which of `people` (a record, or the one others merged into) got an invitation since."""
    person = func.coalesce(Customer.merged_into_id, Customer.id)
    listed = sorted(people)
    found: set[int] = set()
    for start in range(0, len(listed), 500):
        found.update(
            session.scalars(
                select(person)
                .join(SurveyInvitation, SurveyInvitation.customer_id == Customer.id)
                .where(
                    Customer.workspace_id == workspace_id,
                    SurveyInvitation.workspace_id == workspace_id,
                    SurveyInvitation.state == "sent",
                    SurveyInvitation.sent_at > since,
                    person.in_(listed[start : start + 500]),
                )
                .distinct()
            )
        )
    return found
