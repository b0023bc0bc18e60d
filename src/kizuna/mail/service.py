"""Sending e-mail through the outbox, and looking after it: the mail room's use cases.

    send_mail(session, settings, workspace_id=..., key=..., to=..., template=..., context=...)

renders the message now (so a wrong template or a missing value fails in the sender's
request), stores it in the caller's transaction and enqueues its delivery job there too: the
mail exists, and will go out, exactly when the caller's data is committed. The same key in the
same workspace is one message, sent once; a repeated call returns the stored message
unchanged. Customer mail carries List-Unsubscribe (RFC 2369) with one-click POST (RFC 8058)
and is recorded as skipped, not sent, when the address unsubscribed.

`send_mails(session, settings, workspace_id=..., requests=[MailRequest(...), ...])` does the
same for many messages at once (a survey's invitations, "you said, we did" notices): one
lookup of used keys, one suppression query, multi-row inserts of the messages and their jobs.
Each key is still one message: a key already stored, or repeated in the batch, is answered
with the stored message. Every address is checked before anything is stored, so an unusable
one fails the whole call, as `send_mail` fails.

Transactional mail (invitations, notifications) is queued at priority 10 and customer mail at
0, so an invitation never waits behind a survey's ten thousand invitations.

Nothing here opens an SMTP connection except `send_test_mail`, the synchronous check behind
`kizuna mail test`; deliveries are `kizuna.mail.delivery`'s.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from kizuna.db.base import utcnow
from kizuna.errors import InvalidInput
from kizuna.jobs.models import Job
from kizuna.jobs.queue import KeyedJob, enqueue, enqueue_keyed
from kizuna.mail.addresses import bare_address, clean_address
from kizuna.mail.compose import build_email, new_message_id
from kizuna.mail.errors import MailMessageNotFound, MailNotConfigured, MailNotRetryable
from kizuna.mail.models import (
    MAIL_CATEGORIES,
    MAIL_STATES,
    MailMessage,
    insert_ignoring,
    insert_once,
)
from kizuna.mail.payloads import DeliverMail
from kizuna.mail.render import check_template, render_mail
from kizuna.mail.transport import SmtpConfig, deliver_email
from kizuna.mail.unsubscribe import is_suppressed, suppressed_addresses, unsubscribe_url
from kizuna.settings import Settings

__all__ = [
    "MailRequest",
    "OutboxEntry",
    "list_outbox",
    "outbox_counts",
    "release_held",
    "retry_message",
    "send_mail",
    "send_mails",
    "send_test_mail",
]

Category = Literal["transactional", "customer"]
KEY_MAX_LENGTH = 200
PRIORITY = {"transactional": 10, "customer": 0}
_LIVE_JOB_STATES = ("queued", "running", "failed")
_MESSAGE = cast(Table, MailMessage.__table__)
_BATCH_ROWS = 500  # rows per multi-row INSERT or IN list: far below both databases' limits


def send_mail(
    session: Session,
    settings: Settings,
    *,
    workspace_id: int,
    key: str,
    to: str,
    template: str,
    context: Mapping[str, Any] | None = None,
    language: str | None = None,
    category: Category = "transactional",
    send_after: dt.datetime | None = None,
    reply_to: str | None = None,
) -> MailMessage:
    """Put one e-mail in the outbox and queue its delivery; the stored one for a used key.

    `template` names `email/<template>.<language>.txt|html` (see `kizuna.mail.render`);
    `language` defaults to settings.language; `send_after` (aware) delays the first attempt.
    """
    _check_key(key)
    stored = _by_key(session, workspace_id, key)
    if stored is not None:
        return stored
    request = MailRequest(key, to, template, context, language, category, send_after, reply_to)
    values = _values(settings, workspace_id, request)
    if values["category"] == "customer" and is_suppressed(
        session, workspace_id=workspace_id, address=values["to_address"]
    ):
        # Kept, without content, so the sender and the outbox see why nothing went out.
        values.update(state="skipped", skip_reason="unsubscribed")
    else:
        values.update(_content(settings, values, context or {}, reply_to))
    inserted = insert_once(session, MailMessage, values, ("workspace_id", "key"))
    message = _by_key(session, workspace_id, key)
    assert message is not None
    if inserted and message.state == "queued":
        _enqueue_delivery(session, settings, message)
    return message


@dataclass(frozen=True)
class MailRequest:
    """One message for `send_mails`: `send_mail`'s arguments but the session and workspace."""

    key: str
    to: str
    template: str
    context: Mapping[str, Any] | None = None
    language: str | None = None
    category: Category = "transactional"
    send_after: dt.datetime | None = None
    reply_to: str | None = None


def send_mails(
    session: Session,
    settings: Settings,
    *,
    workspace_id: int,
    requests: Sequence[MailRequest],
) -> list[MailMessage]:
    """Put many e-mails in the outbox and queue their deliveries; `send_mail` for each, in one
    go. Returns the stored message of each request, in order (a repeated key: the same one)."""
    for request in requests:
        _check_key(request.key)
    first = {r.key: r for r in reversed(requests)}  # the first request of each key wins
    keys = list(dict.fromkeys(r.key for r in requests))
    stored = _stored_keys(session, workspace_id, keys)
    new = [first[key] for key in keys if key not in stored]
    rows = [_values(settings, workspace_id, request) for request in new]  # checks every one
    suppressed = suppressed_addresses(
        session,
        workspace_id=workspace_id,
        addresses=[row["to_address"] for row in rows if row["category"] == "customer"],
    )
    for row, request in zip(rows, new, strict=True):
        if row["category"] == "customer" and row["to_address"] in suppressed:
            row.update(state="skipped", skip_reason="unsubscribed")
        else:
            row.update(_content(settings, row, request.context or {}, request.reply_to))
    inserted: dict[str, int] = {}
    for start in range(0, len(rows), _BATCH_ROWS):
        statement = insert_ignoring(session, MailMessage, ("workspace_id", "key"))
        returned = session.execute(
            statement.returning(_MESSAGE.c.key, _MESSAGE.c.id), rows[start : start + _BATCH_ROWS]
        )
        inserted.update({str(key): int(id_) for key, id_ in returned})
    jobs = [
        KeyedJob(
            DeliverMail(message_id=inserted[row["key"]]),
            key=f"mail:{inserted[row['key']]}:1",  # MailMessage.job_key of round 1
            workspace_id=workspace_id,
            priority=row["priority"],
            run_after=max(row["send_after"], utcnow()),
            max_attempts=settings.mail_max_attempts,
        )
        for row in rows
        if row["key"] in inserted and row["state"] == "queued"
    ]
    enqueue_keyed(session, jobs)
    messages = _by_keys(session, workspace_id, keys)
    return [messages[request.key] for request in requests]


def _check_key(key: str) -> None:
    if not 0 < len(key) <= KEY_MAX_LENGTH:
        raise InvalidInput(
            f"A mail key is 1 to {KEY_MAX_LENGTH} characters (got {len(key)}).",
            f"メールのキーは 1〜{KEY_MAX_LENGTH} 文字にしてください(指定 {len(key)} 文字)。",
        )


def _values(settings: Settings, workspace_id: int, request: MailRequest) -> dict[str, Any]:
    """The row of a new message, content aside, after checking what the sender gave."""
    if request.category not in MAIL_CATEGORIES:
        raise InvalidInput(
            f"category must be transactional or customer (got {request.category!r}).",
            f"category は transactional か customer にしてください(指定 {request.category!r})。",
        )
    language = request.language or settings.language
    check_template(request.template, language)  # also for mail that will be skipped
    send_after = request.send_after
    if send_after is not None and send_after.tzinfo is None:
        raise InvalidInput(
            "send_after has no time zone; pass an aware datetime.",
            "send_after にタイムゾーンがありません。タイムゾーン付きの日時を渡してください。",
        )
    now = utcnow()
    return {
        "workspace_id": workspace_id,
        "key": request.key,
        "template": request.template,
        "category": request.category,
        "language": language,
        "from_header": settings.mail_from,
        "to_address": clean_address(request.to),
        "subject": "",
        "text_body": "",
        "html_body": "",
        "headers": {},
        "message_id_header": new_message_id(settings.mail_from, workspace_id),
        "state": "queued",
        "skip_reason": None,
        "attempts": 0,
        "round": 1,
        "priority": PRIORITY[request.category],
        "created_at": now,
        "send_after": send_after or now,
    }


def _stored_keys(session: Session, workspace_id: int, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), _BATCH_ROWS):
        found.update(
            session.scalars(
                select(MailMessage.key).where(
                    MailMessage.workspace_id == workspace_id,
                    MailMessage.key.in_(keys[start : start + _BATCH_ROWS]),
                )
            )
        )
    return found


def _by_keys(session: Session, workspace_id: int, keys: list[str]) -> dict[str, MailMessage]:
    found: dict[str, MailMessage] = {}
    for start in range(0, len(keys), _BATCH_ROWS):
        for message in session.scalars(
            select(MailMessage).where(
                MailMessage.workspace_id == workspace_id,
                MailMessage.key.in_(keys[start : start + _BATCH_ROWS]),
            )
        ):
            found[message.key] = message
    return found


def _content(
    settings: Settings, values: dict[str, Any], context: Mapping[str, Any], reply_to: str | None
) -> dict[str, Any]:
    """Subject, bodies and headers of a message about to be stored."""
    unsubscribe = None
    headers: dict[str, str] = {}
    if values["category"] == "customer":
        unsubscribe = unsubscribe_url(
            settings,
            workspace_id=values["workspace_id"],
            address=values["to_address"],
            language=values["language"],
        )
        headers["List-Unsubscribe"] = f"<{unsubscribe}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    if reply_to:
        headers["Reply-To"] = clean_address(reply_to)
    rendered = render_mail(
        values["template"],
        values["language"],
        {
            **context,
            "language": values["language"],
            "public_url": settings.public_url,
            "unsubscribe_url": unsubscribe,
        },
    )
    return {
        "subject": rendered.subject,
        "text_body": rendered.text,
        "html_body": rendered.html,
        "headers": headers,
    }


def _by_key(session: Session, workspace_id: int, key: str) -> MailMessage | None:
    return session.scalar(
        select(MailMessage).where(MailMessage.workspace_id == workspace_id, MailMessage.key == key)
    )


def _enqueue_delivery(session: Session, settings: Settings, message: MailMessage) -> None:
    enqueue(
        session,
        DeliverMail(message_id=message.id),
        workspace_id=message.workspace_id,
        key=message.job_key,
        priority=message.priority,
        run_after=max(message.send_after, utcnow()),
        max_attempts=settings.mail_max_attempts,
    )


@dataclass(frozen=True)
class OutboxEntry:
    """A message as the outbox shows it, with its delivery job's state and, when it waits for
    a retry or a later send time, when it will be tried next."""

    message: MailMessage
    job_state: str | None
    next_attempt_at: dt.datetime | None


def list_outbox(
    session: Session,
    *,
    workspace_id: int | None,
    state: str | None = None,
    limit: int = 50,
) -> list[OutboxEntry]:
    """The newest messages first (one workspace's, or every one's for the CLI's admin view)."""
    if state is not None and state not in MAIL_STATES:
        raise InvalidInput(
            f"Unknown mail state {state!r}; use one of {', '.join(MAIL_STATES)}.",
            f"メールの状態 {state!r} はありません。{', '.join(MAIL_STATES)} のいずれかにしてください。",
        )
    query = select(MailMessage).order_by(MailMessage.id.desc()).limit(limit)
    if workspace_id is not None:
        query = query.where(MailMessage.workspace_id == workspace_id)
    if state is not None:
        query = query.where(MailMessage.state == state)
    messages = list(session.scalars(query))
    jobs = {
        key: (job_state, run_after)
        for key, job_state, run_after in session.execute(
            select(Job.key, Job.state, Job.run_after).where(
                Job.key.in_([m.job_key for m in messages])
            )
        )
    }
    now = utcnow()
    entries = []
    for message in messages:
        job_state, run_after = jobs.get(message.job_key, (None, None))
        # A next try worth showing: after a failure, or a send delayed to a later time.
        waiting = message.state == "queued" and (
            job_state == "failed" or (job_state == "queued" and run_after and run_after > now)
        )
        entries.append(OutboxEntry(message, job_state, run_after if waiting else None))
    return entries


def outbox_counts(session: Session, *, workspace_id: int | None) -> dict[str, int]:
    """Messages by state, every state present (zero when none)."""
    query = select(MailMessage.state, func.count()).group_by(MailMessage.state)
    if workspace_id is not None:
        query = query.where(MailMessage.workspace_id == workspace_id)
    counts = dict.fromkeys(MAIL_STATES, 0)
    for state, count in session.execute(query):
        counts[state] = count
    return counts


def retry_message(
    session: Session, settings: Settings, message_id: int, *, workspace_id: int | None
) -> MailMessage:
    """Queue a dead or held message (or one whose delivery job died) for a new round.

    The new round gets a fresh allowance of settings.mail_max_attempts attempts and keeps the
    message's Message-ID. `workspace_id` None is the CLI's cross-workspace admin view.
    """
    message = session.get(MailMessage, message_id)
    if message is None or (workspace_id is not None and message.workspace_id != workspace_id):
        raise MailMessageNotFound(message_id)
    stuck = message.state in ("queued", "sending", "handed") and not _job_alive(
        session, message.job_key
    )
    if message.state not in ("dead", "held") and not stuck:
        raise MailNotRetryable(message_id, message.state)
    _start_round(session, settings, message)
    return message


def release_held(session: Session, settings: Settings, *, workspace_id: int | None) -> int:
    """Queue every held message again (an SMTP server is set now); returns how many."""
    query = select(MailMessage).where(MailMessage.state == "held")
    if workspace_id is not None:
        query = query.where(MailMessage.workspace_id == workspace_id)
    released = 0
    for message in session.scalars(query):
        _start_round(session, settings, message)
        released += 1
    return released


def _start_round(session: Session, settings: Settings, message: MailMessage) -> None:
    message.state = "queued"
    message.round += 1
    session.flush()
    # The job key holds the round: two admins retrying at once make one job, not two.
    _enqueue_delivery(session, settings, message)


def _job_alive(session: Session, key: str) -> bool:
    state = session.scalar(select(Job.state).where(Job.key == key))
    return state in _LIVE_JOB_STATES


def send_test_mail(settings: Settings, to: str, *, language: str | None = None) -> str:
    """Send the `test` message now through the configured server; returns its Message-ID.

    Nothing is stored: it checks the settings, and its errors say what to change.
    """
    if not settings.smtp_host:
        raise MailNotConfigured()
    address = clean_address(to)
    language = language or settings.language
    config = SmtpConfig.from_settings(settings)
    now = utcnow()
    rendered = render_mail(
        "test",
        language,
        {
            "server": f"{config.where} ({config.security})",
            "sent_at": f"{now.astimezone(ZoneInfo(settings.timezone)):%Y-%m-%d %H:%M:%S %Z}",
            "language": language,
            "public_url": settings.public_url,
            "unsubscribe_url": None,
        },
    )
    message_id = new_message_id(settings.mail_from, "test")
    email = build_email(
        from_header=settings.mail_from,
        to=address,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        message_id=message_id,
        date=now,
    )
    deliver_email(config, email, sender=bare_address(settings.mail_from), recipient=address)
    return message_id
