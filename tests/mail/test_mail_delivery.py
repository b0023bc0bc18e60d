"""Mail through a real SMTP server on 127.0.0.1: content, keyed sends, retries, dead letters."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

from mail_support import MAIL_FROM, MAIL_KINDS, SmtpServer, free_port, load, mail_app, run_mail_jobs
from sqlalchemy import select, update

from kizuna import Kizuna
from kizuna.jobs.models import Job
from kizuna.jobs.queue import enqueue
from kizuna.jobs.worker import Worker
from kizuna.mail.models import MailMessage
from kizuna.mail.payloads import ReleaseHeldMail
from kizuna.mail.service import list_outbox, retry_message, send_mail

REPO = Path(__file__).resolve().parents[2]
KIZUNA = Path(sys.executable).parent / "kizuna"


def send_notice(app: Kizuna, ws, key: str = "notice-1", **options) -> MailMessage:  # type: ignore[no-untyped-def]
    values = {
        "to": "hanako@example.jp",
        "template": "notice",
        "language": "ja",
        "context": {
            "subject": "ご意見ありがとうございました（対応のお知らせ）",
            "greeting": "山田 花子 様",
            "paragraphs": ["いただいたご意見をもとに、チェックインを早めました。"],
        },
        **options,
    }
    with app.session() as session:
        return send_mail(session, app.settings, workspace_id=ws.workspace.id, key=key, **values)


def parts(email: EmailMessage) -> dict[str, str]:
    return {p.get_content_type(): p.get_content().replace("\r\n", "\n") for p in email.iter_parts()}


def test_japanese_mail_arrives_with_encoded_subject_and_both_bodies(
    mail_kz: Kizuna, smtp_server: SmtpServer, ws
) -> None:  # type: ignore[no-untyped-def]
    message = send_notice(mail_kz, ws)
    run_mail_jobs(mail_kz)
    [email] = smtp_server.inbox.received
    assert email["Subject"] == "ご意見ありがとうございました（対応のお知らせ）"
    raw = email.as_bytes()
    assert b"=?utf-8?" in raw.split(b"\nSubject:")[1].split(b"\n")[0].lower()
    assert raw.isascii(), "headers and bodies must be 7-bit (RFC 2047 words, base64 or QP)"
    assert email.get_content_type() == "multipart/alternative"
    bodies = parts(email)
    assert list(bodies) == ["text/plain", "text/html"]
    assert "山田 花子 様" in bodies["text/plain"]
    assert "チェックインを早めました" in bodies["text/plain"]
    assert '<html lang="ja">' in bodies["text/html"]
    assert "チェックインを早めました" in bodies["text/html"]
    assert email["From"] == MAIL_FROM
    assert email["To"] == "hanako@example.jp"
    assert email["Auto-Submitted"] == "auto-generated"
    stored = load(mail_kz, message.id)
    assert email["Message-ID"] == stored.message_id_header
    assert stored.message_id_header.endswith("@kizuna.example>")
    assert (stored.state, stored.attempts, stored.last_error) == ("sent", 1, None)
    assert stored.sent_at is not None
    assert smtp_server.inbox.envelopes == [("no-reply@kizuna.example", ["hanako@example.jp"])]


def test_english_mail_and_html_escaping(mail_kz: Kizuna, smtp_server: SmtpServer, ws) -> None:  # type: ignore[no-untyped-def]
    send_notice(
        mail_kz,
        ws,
        language="en",
        context={
            "subject": "Your case is closed",
            "paragraphs": ["We fixed <b>the lift</b> & the lobby."],
            "action_url": "https://cx.example.jp/cases/7?a=1&b=2",
            "action_label": "See the case",
        },
    )
    run_mail_jobs(mail_kz)
    [email] = smtp_server.inbox.received
    assert email["Subject"] == "Your case is closed"
    bodies = parts(email)
    assert "We fixed <b>the lift</b> & the lobby." in bodies["text/plain"]
    assert "See the case:\nhttps://cx.example.jp/cases/7?a=1&b=2" in bodies["text/plain"]
    assert "We fixed &lt;b&gt;the lift&lt;/b&gt; &amp; the lobby." in bodies["text/html"]
    assert 'href="https://cx.example.jp/cases/7?a=1&amp;b=2"' in bodies["text/html"]


def test_a_key_sent_twice_is_stored_and_delivered_once(
    mail_kz: Kizuna, smtp_server: SmtpServer, ws
) -> None:  # type: ignore[no-untyped-def]
    first = send_notice(mail_kz, ws, key="invite:42")
    again = send_notice(mail_kz, ws, key="invite:42", to="someone-else@example.jp")
    assert again.id == first.id and again.to_address == "hanako@example.jp"
    run_mail_jobs(mail_kz)
    send_notice(mail_kz, ws, key="invite:42")  # after delivery too
    run_mail_jobs(mail_kz)
    assert len(smtp_server.inbox.received) == 1
    with mail_kz.session() as session:
        assert [e.message.id for e in list_outbox(session, workspace_id=ws.workspace.id)] == [
            first.id
        ]


def test_temporary_failures_are_retried_then_delivered_once(
    mail_kz: Kizuna, smtp_server: SmtpServer, ws
) -> None:  # type: ignore[no-untyped-def]
    smtp_server.inbox.plan = ["451 4.3.0 Try again later", "421 4.7.0 Too busy"]
    message = send_notice(mail_kz, ws)
    run_mail_jobs(mail_kz)
    assert len(smtp_server.inbox.received) == 1
    stored = load(mail_kz, message.id)
    assert (stored.state, stored.attempts, stored.last_error) == ("sent", 3, None)


def test_a_connection_dropped_mid_send_is_retried_not_lost_nor_duplicated(
    mail_kz: Kizuna, smtp_server: SmtpServer, ws
) -> None:  # type: ignore[no-untyped-def]
    smtp_server.inbox.plan = ["drop"]
    message = send_notice(mail_kz, ws)
    run_mail_jobs(mail_kz)
    assert len(smtp_server.inbox.received) == 1
    stored = load(mail_kz, message.id)
    assert (stored.state, stored.attempts) == ("sent", 2)


def test_a_drop_after_the_server_kept_the_message_resends_it_with_the_same_message_id(
    mail_kz: Kizuna, smtp_server: SmtpServer, ws
) -> None:  # type: ignore[no-untyped-def]
    # The documented at-least-once window: the server kept it but we never heard so.
    smtp_server.inbox.plan = ["keep-then-drop"]
    message = send_notice(mail_kz, ws)
    run_mail_jobs(mail_kz)
    first, second = smtp_server.inbox.received
    assert (
        first["Message-ID"] == second["Message-ID"] == load(mail_kz, message.id).message_id_header
    )
    assert parts(first) == parts(second)


def test_a_worker_killed_once_the_server_kept_the_message_never_sends_it_twice(
    mail_kz: Kizuna, smtp_server: SmtpServer, ws, database_url: str
) -> None:  # type: ignore[no-untyped-def]
    """SIGKILL of a `kizuna worker` after the server took the message, before it heard the
    server's answer: the job runs again after its lease and sends nothing."""
    message = send_notice(mail_kz, ws)
    env = {
        **os.environ,
        "KIZUNA_DATABASE_URL": database_url,
        "KIZUNA_ENV": "test",
        "KIZUNA_SMTP_HOST": smtp_server.host,
        "KIZUNA_SMTP_PORT": str(smtp_server.port),
        "KIZUNA_SMTP_SECURITY": "none",
        "KIZUNA_MAIL_FROM": MAIL_FROM,
    }
    worker = subprocess.Popen(
        [str(KIZUNA), "worker", "--burst", "--kind", "mail.deliver"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    smtp_server.inbox.victim = worker.pid
    smtp_server.inbox.plan = ["keep-then-kill"]
    assert worker.wait(timeout=60) == -signal.SIGKILL
    assert load(mail_kz, message.id).state == "handed"
    time.sleep(1.2)  # the dead worker's lease runs out
    stale = Worker(mail_kz, "mail-test", kinds=["mail.deliver"], lease=dt.timedelta(seconds=1))
    assert stale.requeue_stale() == 1
    run_mail_jobs(mail_kz)
    [email] = smtp_server.inbox.received
    stored = load(mail_kz, message.id)
    assert email["Message-ID"] == stored.message_id_header
    assert stored.state == "sent" and stored.sent_at is not None
    assert stored.last_error is not None and stored.last_error.startswith("Handed over")


def test_a_worker_killed_before_the_end_of_the_message_sends_it_on_the_next_run(
    mail_kz: Kizuna, smtp_server: SmtpServer, ws
) -> None:  # type: ignore[no-untyped-def]
    """A message left `sending` (its worker died before handing it over): the server never
    took it, so the next run sends it, once."""
    message = send_notice(mail_kz, ws)
    with mail_kz.session() as session:
        session.execute(
            update(MailMessage).where(MailMessage.id == message.id).values(state="sending")
        )
    run_mail_jobs(mail_kz)
    [email] = smtp_server.inbox.received
    stored = load(mail_kz, message.id)
    assert (stored.state, stored.last_error) == ("sent", None)
    assert email["Message-ID"] == stored.message_id_header


def test_a_refused_recipient_goes_to_the_dead_letters_at_once(
    mail_kz: Kizuna, smtp_server: SmtpServer, ws
) -> None:  # type: ignore[no-untyped-def]
    smtp_server.inbox.refuse_recipients = "550 5.1.1 No such user here"
    message = send_notice(mail_kz, ws)
    run_mail_jobs(mail_kz)
    stored = load(mail_kz, message.id)
    assert (stored.state, stored.attempts) == ("dead", 1)
    with mail_kz.session() as session:
        job = session.scalars(select(Job).where(Job.key == stored.job_key)).one()
    assert (job.state, job.attempts) == ("done", 1), "a permanent refusal is not retried"
    assert stored.last_error == "MailRejected: recipient refused: 550 5.1.1 No such user here"
    with mail_kz.session() as session:
        [dead] = list_outbox(session, workspace_id=ws.workspace.id, state="dead")
    assert dead.message.id == message.id and dead.next_attempt_at is None


def test_attempts_run_out_then_retry_brings_the_message_back(
    mail_kz: Kizuna, smtp_server: SmtpServer, ws
) -> None:  # type: ignore[no-untyped-def]
    smtp_server.inbox.plan = ["451 4.3.0 Try again later"] * 4  # mail_max_attempts is 4
    message = send_notice(mail_kz, ws)
    run_mail_jobs(mail_kz)
    stored = load(mail_kz, message.id)
    assert (stored.state, stored.attempts) == ("dead", 4)
    assert stored.last_error is not None and "451 4.3.0 Try again later" in stored.last_error
    assert smtp_server.inbox.received == []
    with mail_kz.session() as session:
        retried = retry_message(session, mail_kz.settings, message.id, workspace_id=ws.workspace.id)
        assert (retried.state, retried.round) == ("queued", 2)
    run_mail_jobs(mail_kz)
    stored = load(mail_kz, message.id)
    assert (stored.state, stored.attempts, stored.round) == ("sent", 5, 2)
    [email] = smtp_server.inbox.received
    assert email["Message-ID"] == stored.message_id_header


def test_a_server_that_is_down_is_retried_until_the_dead_letters(kz: Kizuna, ws) -> None:  # type: ignore[no-untyped-def]
    app = mail_app(kz, free_port(), mail_max_attempts=2)
    message = send_notice(app, ws)
    run_mail_jobs(app)
    stored = load(app, message.id)
    assert (stored.state, stored.attempts) == ("dead", 2)
    assert stored.last_error == (
        f"MailServerUnavailable: connection refused by 127.0.0.1:{app.settings.smtp_port}"
    )


def test_without_an_smtp_server_mail_is_held_until_one_is_set(
    kz: Kizuna, smtp_server: SmtpServer, ws
) -> None:  # type: ignore[no-untyped-def]
    unconfigured = mail_app(kz, smtp_server.port, smtp_host="")
    message = send_notice(unconfigured, ws)
    run_mail_jobs(unconfigured)
    stored = load(unconfigured, message.id)
    assert (stored.state, stored.attempts) == ("held", 0)
    assert stored.last_error is not None and "KIZUNA_SMTP_HOST" in stored.last_error
    # The recurring release job does nothing while no server is set ...
    with unconfigured.session() as session:
        enqueue(
            session, ReleaseHeldMail(), workspace_id=ws.workspace.id, key=f"release:{ws.slug}:1"
        )
    run_mail_jobs(unconfigured, MAIL_KINDS)
    assert load(kz, message.id).state == "held"
    # ... and sends the held mail once one is.
    configured = mail_app(kz, smtp_server.port)
    with configured.session() as session:
        enqueue(
            session, ReleaseHeldMail(), workspace_id=ws.workspace.id, key=f"release:{ws.slug}:2"
        )
    run_mail_jobs(configured, MAIL_KINDS)
    assert load(kz, message.id).state == "sent"
    assert len(smtp_server.inbox.received) == 1
