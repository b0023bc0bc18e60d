"""Fixtures of the mail room: a real SMTP server on 127.0.0.1 per test, an application object
pointed at it, and no mail or mail job outliving its test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from mail_support import MAIL_KINDS, SmtpInbox, SmtpServer, mail_app, start_server
from sqlalchemy import delete

from kizuna import Kizuna
from kizuna.jobs.models import Job
from kizuna.mail.models import MailMessage


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A plain SMTP server on 127.0.0.1 for this test."""
    controller, server = start_server(SmtpInbox())
    try:
        yield server
    finally:
        controller.stop()


@pytest.fixture
def mail_kz(kz: Kizuna, smtp_server: SmtpServer) -> Kizuna:
    return mail_app(kz, smtp_server.port)


@pytest.fixture(autouse=True)
def forget_test_mail(kz: Kizuna) -> Iterator[None]:
    """Delete this room's mail and mail jobs after each test, so no later worker meets them."""
    yield
    with kz.session() as session:
        session.execute(delete(Job).where(Job.kind.in_(MAIL_KINDS)))
        session.execute(delete(MailMessage))
