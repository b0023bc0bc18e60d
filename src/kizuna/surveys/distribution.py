"""Getting a survey to people: personal links, e-mail invitations, reminders, triggers.

Every personal invitation is a `survey_invitation` row keyed per workspace, so asking twice
makes one invitation: `email:<survey>:<customer>` for e-mail, `trigger:<survey>:
<interaction>` for an interaction's trigger, `personal:<survey>:<random>` for a link handed
out elsewhere. The contact rules (`kizuna.surveys.contact`) decide each: a skipped
invitation keeps its reason, one put off by quiet hours its new time.

E-mail goes through the mail room's outbox (`send_mail`, category "customer": unsubscribe
link, List-Unsubscribe, suppression honoured, retried with backoff when the server is down,
never sent twice) under the keys `survey:<id>:invite:<customer>` and
`survey:<id>:remind:<customer>:<n>`. The invitation carries the survey's first question:
when it is a score, each number is a link that opens the survey with that score recorded.

The links live in `kizuna.surveys.links`, the sending of one invitation in
`kizuna.surveys.delivery`, reminders in `kizuna.surveys.reminders`, interaction triggers in
`kizuna.surveys.triggers`; both end in `deliver_invitation` or the same outbox.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from kizuna.accounts.audit import record_audit
from kizuna.accounts.models import Workspace
from kizuna.customers.models import Customer
from kizuna.db.base import utcnow
from kizuna.errors import InvalidInput
from kizuna.mail.addresses import clean_address
from kizuna.mail.errors import InvalidAddress
from kizuna.mail.service import MailRequest, send_mails
from kizuna.settings import Settings
from kizuna.surveys.contact import ContactRules, decide_contact
from kizuna.surveys.definition import Definition
from kizuna.surveys.delivery import SCALE_LINK_TYPES, deliver_invitation, invitation_context
from kizuna.surveys.links import invitation_language, invitation_url, link_expiry, public_url
from kizuna.surveys.models import Survey, SurveyInvitation
from kizuna.surveys.service import definition_of, get_policy

__all__ = [
    "SCALE_LINK_TYPES",
    "InviteReport",
    "create_personal_link",
    "deliver_invitation",
    "insert_invitation",
    "invitation_context",
    "invitation_language",
    "invitation_url",
    "invite_by_email",
    "link_expiry",
    "public_url",
]


@dataclass
class InviteReport:
    """What an invitation run did: sent (in the outbox), scheduled (later), skipped by why."""

    sent: int = 0
    scheduled: int = 0
    already: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    invitation_ids: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "scheduled": self.scheduled,
            "already_invited": self.already,
            "skipped": dict(self.skipped),
        }


def _check_live(survey: Survey) -> None:
    if survey.status != "live":
        raise InvalidInput(
            "Publish the survey before inviting anyone (`kizuna surveys publish`).",
            "招待の前にアンケートを公開してください(`kizuna surveys publish`)。",
            survey_id=survey.id,
        )


def create_personal_link(
    session: Session,
    settings: Settings,
    workspace: Workspace,
    survey: Survey,
    *,
    customer_id: int | None = None,
    touchpoint: str | None = None,
    hidden: Mapping[str, Any] | None = None,
    days: int | None = None,
    language: str | None = None,
    actor: str = "system",
    now: dt.datetime | None = None,
) -> tuple[SurveyInvitation, str | None]:
    """A signed single-use link bound to a customer and a touchpoint; (invitation, url).

    For a customer the contact rules apply: a skipped link is returned with its reason and
    no url. Quiet hours do not apply (the caller hands the link over).
    """
    _check_live(survey)
    now = now or utcnow()
    definition = definition_of(survey)
    policy = get_policy(session, workspace)
    customer = _customer(session, workspace, customer_id) if customer_id is not None else None
    values = _hidden_values(definition, hidden or {})
    invitation = SurveyInvitation(
        workspace_id=workspace.id,
        survey_id=survey.id,
        key=f"personal:{survey.id}:{secrets.token_hex(8)}",
        customer_id=customer.id if customer is not None else None,
        channel="personal",
        touchpoint=(touchpoint or values.get("touchpoint") or None),
        hidden=values,
        language=language
        if language in definition.languages
        else invitation_language(definition, workspace, customer),
        state="sent",
        send_after=now,
        expires_at=link_expiry(survey, policy, now, days),
        sent_at=now,
        created_by=actor,
        created_at=now,
    )
    if customer is not None:
        decision = decide_contact(
            session, policy, workspace.timezone, customer, channel="personal", now=now
        )
        if not decision.allowed:
            invitation.state, invitation.skip_reason, invitation.sent_at = (
                "skipped",
                decision.skip_reason,
                None,
            )
    session.add(invitation)
    session.flush()
    record_audit(
        session, workspace, actor, "survey.link", f"survey:{survey.id}", invitation=invitation.id
    )
    url = invitation_url(settings, invitation) if invitation.state == "sent" else None
    return invitation, url


def _customer(session: Session, workspace: Workspace, customer_id: int) -> Customer:
    from kizuna.customers.service import get_customer

    return get_customer(session, workspace, customer_id)


def _hidden_values(definition: Definition, given: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(given) - set(definition.hidden))
    if unknown:
        raise InvalidInput(
            f"Unknown hidden field(s) {unknown}; this survey has {list(definition.hidden)}.",
            f"不明な隠しフィールド {unknown} です。このアンケートの隠しフィールドは {list(definition.hidden)} です。",
        )
    return {k: str(v)[:100] for k, v in given.items() if v not in (None, "")}


def invite_by_email(
    session: Session,
    settings: Settings,
    workspace: Workspace,
    survey: Survey,
    customer_ids: Iterable[int],
    *,
    touchpoint: str | None = None,
    hidden: Mapping[str, Any] | None = None,
    actor: str = "system",
    now: dt.datetime | None = None,
) -> InviteReport:
    """E-mail invitations to these customers, each once, under the contact rules.

    Done a few hundred customers at a time: the rules read once for all of them
    (`ContactRules`), the invitations decided before they are stored and inserted together,
    their e-mails put in the outbox by one `send_mails`. An invitation stored earlier is
    counted as already sent, or, when it was skipped, decided again on its own.
    """
    _check_live(survey)
    now = now or utcnow()
    definition = definition_of(survey)
    policy = get_policy(session, workspace)
    values = _hidden_values(definition, hidden or {})
    report = InviteReport()
    ids = list(dict.fromkeys(int(i) for i in customer_ids))
    customers: dict[int, Customer] = {}
    for start in range(0, len(ids), _CHUNK):
        customers.update(
            (c.id, c)
            for c in session.scalars(
                select(Customer).where(
                    Customer.workspace_id == workspace.id,
                    Customer.id.in_(ids[start : start + _CHUNK]),
                )
            )
        )
    rules = ContactRules(session, policy, workspace.timezone, customers.values(), now=now)
    common = {
        "workspace_id": workspace.id,
        "survey_id": survey.id,
        "channel": "email",
        "touchpoint": touchpoint or values.get("touchpoint"),
        "hidden": values,
        "expires_at": link_expiry(survey, policy, now, None),
        "reminders": 0,
        "created_by": actor,
        "created_at": now,
    }
    batch = _InviteBatch(session, settings, workspace, survey, definition, rules, report, now)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        missing = sum(1 for i in chunk if i not in customers)
        if missing:
            report.skipped["no_customer"] += missing
        batch.invite([customers[i] for i in chunk if i in customers], common)
    record_audit(
        session,
        workspace,
        actor,
        "survey.invite",
        f"survey:{survey.id}",
        sent=report.sent,
        scheduled=report.scheduled,
        skipped=sum(report.skipped.values()),
    )
    return report


_CHUNK = 500
_INVITATION = cast(Table, SurveyInvitation.__table__)


@dataclass
class _InviteBatch:
    """`invite_by_email`'s work on one chunk of customers (what stays the same is kept here)."""

    session: Session
    settings: Settings
    workspace: Workspace
    survey: Survey
    definition: Definition
    rules: ContactRules
    report: InviteReport
    now: dt.datetime

    def invite(self, customers: list[Customer], common: dict[str, Any]) -> None:
        session, survey = self.session, self.survey
        keys = {f"email:{survey.id}:{c.id}": c for c in customers}
        stored: dict[str, str] = {
            key: state
            for key, state in session.execute(
                select(SurveyInvitation.key, SurveyInvitation.state).where(
                    SurveyInvitation.workspace_id == self.workspace.id,
                    SurveyInvitation.key.in_(list(keys)),
                )
            )
        }
        for key, state in stored.items():
            if state != "skipped":
                self.report.already += 1
                continue
            # Skipped before (no consent then, say): decided again, alone, as it always was.
            invitation = session.scalars(
                select(SurveyInvitation).where(
                    SurveyInvitation.workspace_id == self.workspace.id, SurveyInvitation.key == key
                )
            ).one()
            _tally(
                self.report,
                deliver_invitation(session, self.settings, invitation, now=self.now, survey=survey),
            )
            if invitation.state == "sent":
                self.rules.asked(keys[key])
        rows = [self._decided(key, customer, common) for key, customer in keys.items()]
        rows = [row for row in rows if row["key"] not in stored]
        if not rows:
            return
        inserted: dict[str, int] = {
            key: id_
            for key, id_ in session.execute(
                _insert_ignoring(session, _INVITATION).returning(
                    _INVITATION.c.key, _INVITATION.c.id
                ),
                rows,  # executemany: batched into multi-row INSERTs, the statement cached
            )
        }
        requests = []
        for row in rows:
            if row["key"] not in inserted:  # stored meanwhile by another sender
                self.report.already += 1
                continue
            invitation = SurveyInvitation(**row, id=inserted[row["key"]])
            _tally(self.report, invitation)
            if invitation.state == "sent":
                requests.append(self._mail(invitation, keys[row["key"]]))
        send_mails(session, self.settings, workspace_id=self.workspace.id, requests=requests)

    def _decided(self, key: str, customer: Customer, common: dict[str, Any]) -> dict[str, Any]:
        """The invitation row of `customer`, sent or skipped as the rules say."""
        row = {
            **common,
            "key": key,
            "customer_id": customer.id,
            "language": invitation_language(self.definition, self.workspace, customer),
            "state": "skipped",
            "skip_reason": None,
            "deferred_reason": None,
            "send_after": self.now,
            "sent_at": None,
            "mail_key": None,
        }
        closes_at = self.survey.closes_at
        if closes_at is not None and closes_at <= self.now:
            return {**row, "skip_reason": "survey_closed"}
        decision = self.rules.decide(customer, channel="email")
        if not decision.allowed:
            return {**row, "skip_reason": decision.skip_reason or "unknown"}
        try:
            clean_address(customer.email or "")
        except InvalidAddress:
            return {**row, "skip_reason": "no_email"}
        self.rules.asked(customer)
        return {
            **row,
            "state": "sent",
            "send_after": decision.send_at,
            "sent_at": decision.send_at,
            "deferred_reason": decision.deferred_reason,
            "mail_key": f"survey:{self.survey.id}:invite:{customer.id}",
        }

    def _mail(self, invitation: SurveyInvitation, customer: Customer) -> MailRequest:
        assert invitation.mail_key is not None and customer.email
        context = invitation_context(
            self.settings, self.workspace, self.survey, self.definition, invitation
        )
        return MailRequest(
            key=invitation.mail_key,
            to=customer.email,
            template="survey_invitation",
            context=context,
            language=invitation.language,
            category="customer",
            send_after=invitation.send_after,
        )


def insert_invitation(session: Session, values: dict[str, Any]) -> bool:
    """INSERT ... ON CONFLICT (workspace_id, key) DO NOTHING; True when the row was added.

    RETURNING says whether it was: psycopg reports no row count for this statement through
    the ORM (-1), so counting rows would take every conflict for an insert.
    """
    statement = _insert_ignoring(session).values(**values).returning(SurveyInvitation.id)
    return session.execute(statement).scalar() is not None


def _insert_ignoring(session: Session, target: Any = SurveyInvitation) -> Any:
    """INSERT INTO survey_invitation ... ON CONFLICT (workspace_id, key) DO NOTHING."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(target).on_conflict_do_nothing(index_elements=["workspace_id", "key"])
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(target).on_conflict_do_nothing(index_elements=["workspace_id", "key"])


def _tally(report: InviteReport, invitation: SurveyInvitation) -> None:
    report.invitation_ids.append(invitation.id)
    if invitation.state == "skipped":
        report.skipped[invitation.skip_reason or "unknown"] += 1
    elif invitation.state == "sent":
        report.sent += 1
    else:
        report.scheduled += 1
