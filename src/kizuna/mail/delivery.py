"""Delivering the outbox: the `mail.deliver` job handler, and the release of held mail.

One job delivers one message in short steps, no transaction open while the SMTP server talks
but one short commit: mark it sending (and count the attempt), hand it to the server
(recording it `handed` just before the closing "."; see below), record the outcome (a
message sent is recorded, and its job ended, in one commit: `finish_job`).
The server is reached through the process's kept connections (`kizuna.mail.connections`):
one connection carries message after message instead of one connection per message.

- Sent, skipped or dead already: nothing to do (a job run twice sends nothing twice).
- A customer message whose address unsubscribed since it was queued: skipped, content
  dropped, `skip_reason` "unsubscribed".
- No SMTP server (KIZUNA_SMTP_HOST empty): the message is parked as `held` and the job ends.
  Held mail is queued again by the `mail.release_held` schedule (every 10 minutes, per
  workspace, doing nothing while no server is set), after a successful `kizuna mail test`,
  or by `kizuna mail retry ID`. Retrying with backoff instead would spend the attempts of
  every message while nobody has configured mail yet, then bury it in the dead letters.
- Temporary failure (4xx, refused or dropped connection, time-out, TLS or login trouble): the
  error is recorded on the message, which goes back to `queued`, and the handler raises so the
  worker retries the job with exponential backoff.
- Permanent refusal (5xx to the sender, the recipient or the content), or a temporary failure
  on the job's last attempt (settings.mail_max_attempts): the message is `dead` (the dead
  letters, `kizuna mail outbox --state dead`) and the job ends without retrying. A dead
  message comes back with `kizuna mail retry ID` (a new round, new attempts).

Across a crash each message goes out once. SMTP has no two-phase commit: the server takes
the message when it reads the closing "." of DATA, and a worker killed between that and its
record of `sent` would, on a plain retry, send it again (about one kill in three did, in
`bench.surveys`). So the whole message but that "." is written first, then the message is
recorded `handed` (a commit, while the server waits), then the "." goes and the answer is
recorded. A job that finds its message `sending` knows the server never took it (a DATA
left open is dropped when the connection closes) and sends it; one that finds it `handed`
knows the worker died once only five bytes were left, and records it `sent` without sending
again (`last_error` says so). What remains is a window of one `send` of five bytes after the
commit, and a refusal of the "." itself that nobody heard: there a message counted as sent
may not have arrived. A connection that drops after the "." while the worker lives (the
server's fault, its answer never came) is a temporary failure: the message goes again, under
the same Message-ID, which receiving servers and mail clients de-duplicate by.

Logs name the message id, the attempt and the error type only: never an address, a body or
the password.
"""

from __future__ import annotations

import logging
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, select, update

from kizuna.app import Kizuna
from kizuna.db.base import utcnow
from kizuna.jobs.models import Job
from kizuna.jobs.queue import effective_max_attempts, job_handler
from kizuna.jobs.worker import finish_job
from kizuna.mail.addresses import bare_address
from kizuna.mail.compose import email_of
from kizuna.mail.connections import deliver_pooled
from kizuna.mail.errors import MailDeliveryFailed, MailNotConfigured
from kizuna.mail.models import MailMessage
from kizuna.mail.payloads import DeliverMail, ReleaseHeldMail
from kizuna.mail.service import release_held
from kizuna.mail.transport import SmtpConfig
from kizuna.mail.unsubscribe import is_suppressed

__all__ = ["deliver", "release"]

log = logging.getLogger(__name__)

_ERROR_MAX_LENGTH = 500
_DELIVERABLE = ("queued", "sending", "held")
_ANSWERED_FROM = ("sending", "handed")  # a refusal comes before the "." or after it
_HANDED_NOTE = (
    "Handed over: the worker stopped before the server's answer to the end of the message; "
    "counted as sent, not sent again"
)
_MESSAGE = cast(Table, MailMessage.__table__)
_COLUMNS = tuple(
    _MESSAGE.c[name]
    for name in (
        "id", "workspace_id", "state", "category", "from_header", "to_address", "subject",
        "text_body", "html_body", "headers", "message_id_header", "created_at",
    )
)  # fmt: skip
# The statements of every delivery, built once with their values as parameters: thousands
# of deliveries a minute make building each statement and its cache key show in a profile.
_LOAD = select(*_COLUMNS).where(_MESSAGE.c.id == bindparam("p_id"))
_SENDING = (
    update(_MESSAGE)
    .where(_MESSAGE.c.id == bindparam("p_id"), _MESSAGE.c.state.in_(_DELIVERABLE))
    .values(state="sending", attempts=_MESSAGE.c.attempts + 1, last_attempt_at=bindparam("p_now"))
)
# From the state this attempt left: an admin may have acted on the message meanwhile.
_HANDED = (
    update(_MESSAGE)
    .where(_MESSAGE.c.id == bindparam("p_id"), _MESSAGE.c.state == "sending")
    .values(state="handed")
)
_SENT = (
    update(_MESSAGE)
    .where(_MESSAGE.c.id == bindparam("p_id"), _MESSAGE.c.state == "handed")
    .values(state="sent", sent_at=bindparam("p_now"), last_error=bindparam("p_note"))
)


class _Withdrawn(Exception):
    """The message left `sending` before its last five bytes went: it is not sent."""


@job_handler(DeliverMail)
def deliver(kz: Kizuna, job: Job, payload: DeliverMail) -> None:
    """Send one outbox message; raises on a temporary failure so the job is retried."""
    settings = kz.settings
    # Core statements on one connection, taken once for the delivery's two transactions (on
    # PostgreSQL each checkout pings the server): a delivery runs thousands of times a
    # minute, and the ORM's unit of work would cost more than the SMTP exchange.
    with kz.engine.connect() as conn:
        with conn.begin():
            message = conn.execute(_LOAD, {"p_id": payload.message_id}).first()
            if message is not None and message.state == "handed":
                # An earlier attempt died with only the closing "." left: not sent again.
                sent = {"p_id": message.id, "p_now": utcnow(), "p_note": _HANDED_NOTE}
                if conn.execute(_SENT, sent).rowcount:
                    finish_job(conn, job)
                    log.warning("mail #%d handed over before a crash; counted as sent", message.id)
                return
            if message is None or message.state not in _DELIVERABLE:
                return
            if not settings.smtp_host:
                _set(conn, message.id, state="held", last_error=_error_text(MailNotConfigured()))
                log.info("mail #%d held: no SMTP server set", message.id)
                return
            if message.category == "customer" and is_suppressed(
                conn, workspace_id=message.workspace_id, address=message.to_address
            ):
                _set(
                    conn,
                    message.id,
                    state="skipped",
                    skip_reason="unsubscribed",
                    text_body="",
                    html_body="",
                )
                return
            if not conn.execute(_SENDING, {"p_id": message.id, "p_now": utcnow()}).rowcount:
                return  # an admin acted on it between the two statements
            email = email_of(message)
            sender, recipient = bare_address(message.from_header), message.to_address

        def handing() -> None:
            with conn.begin():
                if not conn.execute(_HANDED, {"p_id": payload.message_id}).rowcount:
                    raise _Withdrawn()

        # No transaction is open while the SMTP server talks, but for recording `handed`.
        try:
            deliver_pooled(
                SmtpConfig.from_settings(settings),
                email,
                sender=sender,
                recipient=recipient,
                handing=handing,
            )
        except _Withdrawn:
            log.warning("mail #%d changed while it was being sent; not sent", payload.message_id)
            return
        except MailDeliveryFailed as exc:
            last = job.attempts >= effective_max_attempts(job, settings.mail_max_attempts)
            final = exc.permanent or last
            _record(
                conn,
                payload.message_id,
                state="dead" if final else "queued",
                last_error=_error_text(exc),
            )
            log.warning(
                "mail #%d attempt %d failed (%s)%s",
                payload.message_id,
                job.attempts,
                type(exc).__name__,
                "; dead" if final else "; will retry",
            )
            if final:
                return
            raise
        with conn.begin():
            sent = {"p_id": payload.message_id, "p_now": utcnow(), "p_note": None}
            recorded = conn.execute(_SENT, sent).rowcount
            finish_job(conn, job)  # sent and done in one commit
    if not recorded:
        log.warning(
            "mail #%d changed while it was being sent; outcome not recorded", payload.message_id
        )
    log.info("mail #%d sent", payload.message_id)


@job_handler(ReleaseHeldMail)
def release(kz: Kizuna, job: Job, payload: ReleaseHeldMail) -> None:
    """Queue a workspace's held mail again, once an SMTP server is set."""
    if not kz.settings.smtp_host or job.workspace_id is None:
        return
    with kz.session() as session:
        released = release_held(session, kz.settings, workspace_id=job.workspace_id)
    if released:
        log.info("released %d held mail message(s) of workspace %d", released, job.workspace_id)


def _set(conn: Connection, message_id: int, **values: Any) -> bool:
    """Change a message still in a deliverable state; False when it was not."""
    result = conn.execute(
        update(_MESSAGE)
        .where(_MESSAGE.c.id == message_id, _MESSAGE.c.state.in_(_DELIVERABLE))
        .values(**values)
    )
    return bool(result.rowcount)


def _record(conn: Connection, message_id: int, **values: Any) -> None:
    # Only from this attempt's states: an admin may have acted on the message meanwhile.
    with conn.begin():
        result = conn.execute(
            update(_MESSAGE)
            .where(_MESSAGE.c.id == message_id, _MESSAGE.c.state.in_(_ANSWERED_FROM))
            .values(**values)
        )
    if not result.rowcount:
        log.warning("mail #%d changed while it was being sent; outcome not recorded", message_id)


def _error_text(exc: MailDeliveryFailed) -> str:
    return f"{type(exc).__name__}: {exc.summary}"[:_ERROR_MAX_LENGTH]
