"""Kept SMTP connections: one connection carries message after message, a connection the
server closed meanwhile is replaced without a retry or a duplicate, idle ones are closed."""

from __future__ import annotations

import threading
import time

from aiosmtpd.controller import Controller
from mail_support import SmtpInbox, SmtpServer, load, run_mail_jobs, start_server
from sqlalchemy import select

from kizuna import Kizuna
from kizuna.db.base import utcnow
from kizuna.jobs.models import Job
from kizuna.mail.compose import build_email
from kizuna.mail.connections import SmtpPool, smtp_pool
from kizuna.mail.errors import MailRejected
from kizuna.mail.service import send_mail
from kizuna.mail.transport import SmtpConfig


def send(app: Kizuna, ws, key: str, to: str = "hanako@example.jp") -> int:  # type: ignore[no-untyped-def]
    with app.session() as session:
        return send_mail(
            session,
            app.settings,
            workspace_id=ws.workspace.id,
            key=key,
            to=to,
            template="notice",
            language="en",
            context={"subject": f"Notice {key}", "paragraphs": ["Thank you."]},
        ).id


def raw(key: str) -> bytes:
    return build_email(
        from_header="Kizuna <no-reply@kizuna.example>",
        to="hanako@example.jp",
        subject=f"Notice {key}",
        text="Thank you.\n",
        html="<p>Thank you.</p>\n",
        message_id=f"<{key}@kizuna.example>",
        date=utcnow(),
    )


def test_one_connection_carries_message_after_message(
    mail_kz: Kizuna, smtp_server: SmtpServer, ws
) -> None:  # type: ignore[no-untyped-def]
    opened = smtp_pool().opened
    ids = [send(mail_kz, ws, f"kept-{n}") for n in range(3)]
    run_mail_jobs(mail_kz)
    assert len(smtp_server.inbox.received) == 3
    assert smtp_pool().opened - opened == 1
    for message_id in ids:
        stored = load(mail_kz, message_id)
        assert (stored.state, stored.attempts) == ("sent", 1)
    with mail_kz.session() as session:  # sent and done in one commit (`finish_job`)
        states = session.scalars(select(Job.state).where(Job.kind == "mail.deliver")).all()
    assert states == ["done"] * 3


def test_a_connection_the_server_closed_between_messages_is_replaced_without_a_retry(
    mail_kz: Kizuna, ws
) -> None:  # type: ignore[no-untyped-def]
    inbox = SmtpInbox()
    controller, server = start_server(inbox)
    app = Kizuna(
        mail_kz.settings.model_copy(update={"smtp_port": server.port}), engine=mail_kz.engine
    )
    try:
        first = send(app, ws, "before-restart")
        run_mail_jobs(app)
        assert smtp_pool().idle_count() >= 1
        # The server goes away and comes back on the same port: the kept connection is dead.
        controller.stop()
        controller = Controller(inbox, hostname="127.0.0.1", port=server.port, ready_timeout=5)
        controller.start()
        second = send(app, ws, "after-restart")
        run_mail_jobs(app)
    finally:
        controller.stop()
    assert [m["Subject"] for m in inbox.received] == [
        "Notice before-restart",
        "Notice after-restart",
    ]
    for message_id in (first, second):
        stored = load(app, message_id)
        assert (stored.state, stored.attempts, stored.last_error) == ("sent", 1, None)


def test_a_failure_closes_the_connection_and_is_classified_as_before(
    smtp_server: SmtpServer,
) -> None:
    pool = SmtpPool()
    config = SmtpConfig(host=smtp_server.host, port=smtp_server.port, security="none", timeout=5)
    pool.deliver(config, raw("ok"), sender="no-reply@kizuna.example", recipient="a@example.jp")
    assert pool.idle_count() == 1
    smtp_server.inbox.refuse_recipients = "550 5.1.1 No such user here"
    try:
        pool.deliver(config, raw("no"), sender="no-reply@kizuna.example", recipient="b@example.jp")
    except MailRejected as exc:
        assert exc.summary == "recipient refused: 550 5.1.1 No such user here"
    else:
        raise AssertionError("a refused recipient must raise MailRejected")
    assert pool.idle_count() == 0, "a connection in an unknown state is never kept"
    smtp_server.inbox.refuse_recipients = None
    pool.deliver(config, raw("again"), sender="no-reply@kizuna.example", recipient="a@example.jp")
    assert pool.opened == 2
    pool.close_all()


def test_idle_connections_are_closed_and_threads_never_share_one(smtp_server: SmtpServer) -> None:
    pool = SmtpPool(idle_seconds=5, max_idle=4)
    config = SmtpConfig(host=smtp_server.host, port=smtp_server.port, security="none", timeout=5)

    def deliver_many(thread: int) -> None:
        for n in range(10):
            pool.deliver(
                config,
                raw(f"t{thread}-{n}"),
                sender="no-reply@kizuna.example",
                recipient="a@example.jp",
            )

    threads = [threading.Thread(target=deliver_many, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [m["Message-ID"] for m in smtp_server.inbox.received]
    assert len(ids) == len(set(ids)) == 40
    assert pool.opened <= 4, "a thread opens one only when every kept one is in use"
    pool.idle_seconds = 0.2
    deadline = time.monotonic() + 10
    while pool.idle_count() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pool.idle_count() == 0, "idle connections are closed by the reaper"
