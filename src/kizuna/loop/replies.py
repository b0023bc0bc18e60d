"""Following up with the customer: reply drafts, sending through the outbox, the timeline.

Drafts come from data/replies.yaml: apology, thanks and follow-up, in polite Japanese
(丁寧語, "teinei") and honorific Japanese (敬語, "keigo") and in English, filled with the
customer's name and their own words. The agent edits the draft; `send_reply` queues it
(keyed by its text, so a double click sends it once), records it in the case's history
as the first response if none came before, and records an interaction (kind
"follow_up", channel e-mail) through `record_interaction`, so it shows on the
customer's timeline.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from kizuna.accounts.models import Workspace
from kizuna.analytics.yaml_file import read_yaml_file
from kizuna.customers.models import Customer
from kizuna.customers.service import record_interaction
from kizuna.db.base import utcnow
from kizuna.errors import InvalidInput
from kizuna.feedback.models import Feedback
from kizuna.loop.cases import CaseViewer, _event, get_case
from kizuna.loop.sla import mark_first_response
from kizuna.mail.service import send_mail
from kizuna.settings import Settings

__all__ = ["REPLY_KINDS", "REPLY_VARIANTS", "ReplyDraft", "draft_reply", "send_reply"]

REPLY_KINDS = ("apology", "thanks", "follow_up")
REPLY_VARIANTS = ("teinei", "keigo", "en")
QUOTE_LENGTH = 80


@dataclass(frozen=True)
class ReplyDraft:
    kind: str
    variant: str
    language: str
    subject: str
    body: str


@lru_cache(maxsize=1)
def _templates() -> dict[str, Any]:
    data = read_yaml_file(
        Path(__file__).parent / "data" / "replies.yaml", "reply templates", "返信テンプレート"
    )
    return dict(data)


def _quote(text: str | None) -> str:
    words = " ".join((text or "").split())
    return words if len(words) <= QUOTE_LENGTH else words[: QUOTE_LENGTH - 1] + "…"


def draft_reply(
    kind: str,
    variant: str,
    *,
    name: str | None,
    quote: str | None,
    company: str,
) -> ReplyDraft:
    """The reply of this kind and register, filled in (`variant` "en" is English)."""
    if kind not in REPLY_KINDS or variant not in REPLY_VARIANTS:
        raise InvalidInput(
            f"Reply templates are {', '.join(REPLY_KINDS)} in {', '.join(REPLY_VARIANTS)}.",
            f"返信テンプレートは {', '.join(REPLY_KINDS)}、文体は {', '.join(REPLY_VARIANTS)} から選んでください。",
        )
    language = "en" if variant == "en" else "ja"
    if language == "ja":
        salutation = f"{name.strip()} 様" if name and name.strip() else "お客様"
    else:
        salutation = f"Dear {name.strip()}," if name and name.strip() else "Dear customer,"
    spec = _templates()[kind][variant]
    values = {"salutation": salutation, "quote": _quote(quote), "company": company}
    return ReplyDraft(
        kind,
        variant,
        language,
        _fill(str(spec["subject"]), values).strip(),
        _fill(str(spec["body"]), values).strip() + "\n",
    )


def _fill(template: str, values: dict[str, str]) -> str:
    # Plain replacement: the customer's words may contain braces and must stay as written.
    out = template
    for key, value in values.items():
        out = out.replace("{" + key + "}", value)
    return out


def case_draft(
    session: Session,
    workspace: Workspace,
    case_id: int,
    kind: str,
    variant: str,
    viewer: CaseViewer,
) -> ReplyDraft:
    """A draft for this case's customer, quoting their voice."""
    case = get_case(session, workspace, case_id, viewer)
    voice = session.get(Feedback, case.feedback_id) if case.feedback_id else None
    customer = session.get(Customer, case.customer_id) if case.customer_id else None
    return draft_reply(
        kind,
        variant,
        name=customer.name if customer else None,
        quote=voice.text if voice else None,
        company=workspace.name,
    )


def send_reply(
    session: Session,
    settings: Settings,
    workspace: Workspace,
    case_id: int,
    *,
    subject: str,
    body: str,
    language: str,
    viewer: CaseViewer,
    now: dt.datetime | None = None,
) -> int:
    """Queue the reply to the case's customer; returns the outbox message's id."""
    now = now or utcnow()
    case = get_case(session, workspace, case_id, viewer)
    customer = session.get(Customer, case.customer_id) if case.customer_id else None
    if customer is None or not customer.email:
        raise InvalidInput(
            "This case's customer has no e-mail address; reply by phone or in person and add a "
            "comment instead.",
            "このケースのお客様にはメールアドレスがありません。電話や対面でご連絡し、コメントに記録してください。",
        )
    subject, body = (subject or "").strip(), (body or "").strip()
    if not subject or not body or len(subject) > 300 or len(body) > 10_000:
        raise InvalidInput(
            "A reply needs a subject (up to 300 characters) and a body (up to 10,000).",
            "返信には件名(300文字以内)と本文(10,000文字以内)が必要です。",
        )
    language = "en" if language == "en" else "ja"
    digest = hashlib.sha256(f"{subject}\n{body}".encode()).hexdigest()[:16]
    message = send_mail(
        session,
        settings,
        workspace_id=workspace.id,
        key=f"loop.reply:{case.id}:{digest}",
        to=customer.email,
        template="loop_reply",
        context={"subject": subject, "body": body},
        language=language,
        category="transactional",
    )
    _event(session, case, viewer.actor, "reply", body=body, subject=subject, message_id=message.id)
    if mark_first_response(case, now):
        _event(session, case, viewer.actor, "first_response")
    case.updated_at = now
    record_interaction(
        session,
        workspace,
        {
            "external_id": f"loop-reply-{case.id}-{digest}",
            "customer_ref": customer.external_id,
            "occurred_at": now.isoformat(),
            "channel": "email",
            "kind": "follow_up",
        },
        source="loop",
        actor=viewer.actor,
    )
    session.flush()
    return message.id
