"""Tables of the mail room: the outbox and the suppression list.

- `mail_message`: one e-mail, rendered when it was sent for (subject, text and HTML bodies,
  headers) so every attempt sends the same bytes under the same `Message-ID`. `key` is unique
  per workspace: sending under a key already used returns the stored message. Its life:

      queued -> sending -> handed -> sent
         |         |-> queued (temporary failure, retried with backoff by its job)
         |         '-> dead   (permanent refusal, or the last attempt failed)
         |-> held     (no SMTP server set: waits until one is; see kizuna.mail.delivery)
         '-> skipped  (customer mail to an unsubscribed address; `skip_reason` says so)

  `handed`: all but the closing "." of DATA went to the server (the refusals above may
  still come from there); a delivery that finds it so records `sent` without sending again
  (`kizuna.mail.delivery` says why).

  `round` counts deliveries started (1 at first, +1 per retry or release of held mail); the
  delivery job of a round has the key `mail:<id>:<round>`.
- `mail_suppression`: addresses that unsubscribed from a workspace's customer mail, kept as
  `kizuna.mail.addresses.address_digest` (never the address itself).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import Index, Integer, String, Table, Text, UniqueConstraint, insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from kizuna.db.base import Base, BigId, WorkspaceScoped, utcnow

__all__ = [
    "MAIL_CATEGORIES",
    "MAIL_STATES",
    "MailMessage",
    "MailSuppression",
    "insert_ignoring",
    "insert_once",
]

MAIL_STATES = ("queued", "sending", "handed", "sent", "held", "skipped", "dead")
# transactional: what a person asked for or must get (invitations, case notifications,
# reports); customer: mail to customers (surveys, "you said, we did"), which carries an
# unsubscribe link and is never sent to a suppressed address.
MAIL_CATEGORIES = ("transactional", "customer")


class MailMessage(WorkspaceScoped, Base):
    """One e-mail in the outbox, with what was rendered and how its delivery went."""

    __tablename__ = "mail_message"
    __table_args__ = (
        UniqueConstraint("workspace_id", "key"),
        Index("ix_mail_message_workspace_id_state_id", "workspace_id", "state", "id"),
    )
    workspace_index = False

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    template: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    from_header: Mapped[str] = mapped_column(String(320))
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(500), default="")
    text_body: Mapped[str] = mapped_column(Text, default="")
    html_body: Mapped[str] = mapped_column(Text, default="")
    headers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    message_id_header: Mapped[str] = mapped_column(String(255), default="")
    state: Mapped[str] = mapped_column(String(16), default="queued")
    skip_reason: Mapped[str | None] = mapped_column(String(32), default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    round: Mapped[int] = mapped_column(Integer, default=1)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    send_after: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    sent_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    @property
    def job_key(self) -> str:
        """The key of this round's delivery job."""
        return f"mail:{self.id}:{self.round}"

    def __repr__(self) -> str:
        return f"MailMessage(id={self.id}, template={self.template!r}, state={self.state!r})"


class MailSuppression(WorkspaceScoped, Base):
    """An address that asked for no more customer mail from this workspace."""

    __tablename__ = "mail_suppression"
    __table_args__ = (UniqueConstraint("workspace_id", "address_digest"),)
    workspace_index = False

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    address_digest: Mapped[str] = mapped_column(String(64))
    # one_click (RFC 8058 POST from a mail client), link (the confirmation page), admin
    reason: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


def insert_ignoring(session: Session, model: type[Base], unique: tuple[str, ...]) -> Any:
    """INSERT INTO model's table ... ON CONFLICT (unique) DO NOTHING, without values yet: for
    a multi-row insert (`session.execute(statement, rows)`), RETURNING naming what was added."""
    table = cast(Table, model.__table__)
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing(index_elements=unique)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).on_conflict_do_nothing(index_elements=unique)


def insert_once(
    session: Session, model: type[Base], values: dict[str, Any], unique: tuple[str, ...]
) -> bool:
    """INSERT ... ON CONFLICT (unique) DO NOTHING; True when the row was added.

    Two senders racing on one key both succeed and one row results, without a savepoint
    (which SQLite's driver handles poorly) and without undoing the caller's transaction.
    """
    dialect = session.get_bind().dialect.name
    statement: Any
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        statement = pg_insert(model).values(**values).on_conflict_do_nothing(index_elements=unique)
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        statement = (
            sqlite_insert(model).values(**values).on_conflict_do_nothing(index_elements=unique)
        )
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        statement = insert(model).values(**values)
    result = session.execute(statement)
    return bool(getattr(result, "rowcount", 0))
