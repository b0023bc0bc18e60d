"""`send_mails`: many messages in one go, each key still one message sent once."""

from __future__ import annotations

import pytest
from mail_support import SmtpServer, run_mail_jobs
from sqlalchemy import func, select

from kizuna import Kizuna
from kizuna.jobs.models import Job
from kizuna.mail.compose import email_of
from kizuna.mail.errors import InvalidAddress
from kizuna.mail.models import MailMessage
from kizuna.mail.service import MailRequest, send_mail, send_mails
from kizuna.mail.unsubscribe import suppress_address


def request(key: str, to: str = "hanako@example.jp", **options) -> MailRequest:  # type: ignore[no-untyped-def]
    values = {
        "template": "notice",
        "language": "en",
        "context": {"subject": f"Notice {key}", "paragraphs": ["Thank you."]},
        **options,
    }
    return MailRequest(key, to, **values)


def test_a_batch_with_a_repeated_key_stores_and_sends_one_message(
    mail_kz: Kizuna, smtp_server: SmtpServer, ws
) -> None:  # type: ignore[no-untyped-def]
    with mail_kz.session() as session:
        stored = send_mail(
            session,
            mail_kz.settings,
            workspace_id=ws.workspace.id,
            key="b:0",
            to="jiro@example.jp",
            template="notice",
            language="en",
            context={"subject": "Earlier", "paragraphs": ["Sent before."]},
        )
        messages = send_mails(
            session,
            mail_kz.settings,
            workspace_id=ws.workspace.id,
            requests=[
                request("b:1"),
                request("b:1", to="someone-else@example.jp"),
                request("b:0"),
                request("b:2", to="taro@example.jp"),
            ],
        )
    assert messages[0].id == messages[1].id and messages[1].to_address == "hanako@example.jp"
    assert messages[2].id == stored.id and messages[2].subject == "Earlier"
    with mail_kz.session() as session:
        count = session.scalar(
            select(func.count()).where(MailMessage.workspace_id == ws.workspace.id)
        )
        jobs = session.scalar(select(func.count()).where(Job.kind == "mail.deliver"))
    assert (count, jobs) == (3, 3)
    run_mail_jobs(mail_kz)
    subjects = sorted(str(m["Subject"]) for m in smtp_server.inbox.received)
    assert subjects == ["Earlier", "Notice b:1", "Notice b:2"]


def test_a_batch_honours_unsubscribes_and_refuses_a_bad_address_before_storing_any(
    mail_kz: Kizuna, smtp_server: SmtpServer, ws
) -> None:  # type: ignore[no-untyped-def]
    with mail_kz.session() as session:
        suppress_address(
            session, workspace_id=ws.workspace.id, address="taro@example.jp", reason="admin"
        )
    with pytest.raises(InvalidAddress), mail_kz.session() as session:
        send_mails(
            session,
            mail_kz.settings,
            workspace_id=ws.workspace.id,
            requests=[request("c:1"), request("c:2", to="not an address")],
        )
    with mail_kz.session() as session:
        messages = send_mails(
            session,
            mail_kz.settings,
            workspace_id=ws.workspace.id,
            requests=[
                request("c:1", category="customer"),
                request("c:2", to="ＴＡＲＯ＠example.jp", category="customer"),
            ],
        )
    assert [m.state for m in messages] == ["queued", "skipped"]
    assert messages[1].skip_reason == "unsubscribed" and messages[1].text_body == ""
    assert messages[0].headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    run_mail_jobs(mail_kz)
    [email] = smtp_server.inbox.received
    assert email["To"] == "hanako@example.jp"
    assert email["List-Unsubscribe"] == messages[0].headers["List-Unsubscribe"]
    # RFC 2369: the link is readable in the raw header, not hidden in an encoded word.
    assert b"\r\nList-Unsubscribe: <https://cx.example.jp/u/" in email_of(messages[0])
