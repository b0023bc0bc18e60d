"""Delivering the outbox: the `mail.deliver` job handler, and the release of held mail.

One job delivers one message in three short steps, no transaction open while the SMTP server
talks: mark it sending (and count the attempt), hand it to the server, record the outcome
(a message sent is recorded, and its job ended, in one commit: `finish_job`).
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

The one window where mail can go out twice: the server accepted the message (250 after DATA),
then this process died before recording `sent`. The job's lease runs out, the job is run
again, and the message is sent again: at least once, never lost. The copy carries the same
Message-ID (made once and stored with the message), so receiving servers and mail clients
that de-duplicate by Message-ID show it once. Closing the window would need the server to
take part in a two-phase commit, which SMTP does not offer.

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
# Only from 'sending': an admin may have acted on the message meanwhile.
_SENT = (
    update(_MESSAGE)
    .where(_MESSAGE.c.id == bindparam("p_id"), _MESSAGE.c.state == "sending")
    .values(state="sent", sent_at=bindparam("p_now"), last_error=None)
)


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
        # No transaction is open while the SMTP server talks.
        try:
            deliver_pooled(
                SmtpConfig.from_settings(settings), email, sender=sender, recipient=recipient
            )
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
            sent = {"p_id": payload.message_id, "p_now": utcnow()}
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
    # Only from 'sending': an admin may have acted on the message meanwhile.
    with conn.begin():
        result = conn.execute(
            update(_MESSAGE)
            .where(_MESSAGE.c.id == message_id, _MESSAGE.c.state == "sending")
            .values(**values)
        )
    if not result.rowcount:
        log.warning("mail #%d changed while it was being sent; outcome not recorded", message_id)


def _error_text(exc: MailDeliveryFailed) -> str:
    return f"{type(exc).__name__}: {exc.summary}"[:_ERROR_MAX_LENGTH]
