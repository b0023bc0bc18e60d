"""Helpers of the mail room's tests: a scripted SMTP server on 127.0.0.1 (aiosmtpd), an
application object pointed at it, and running mail jobs with a tiny backoff.

`SmtpInbox.plan` scripts what the server does with the next messages, one step per DATA:
"accept", a reply such as "451 4.3.0 Try again later", "drop" (close the connection before
answering, the message not kept), "keep-then-drop" (keep it, then close before answering) or
"keep-then-kill" (keep it, then SIGKILL the process `victim` before answering).
"""

from __future__ import annotations

import os
import signal
import socket
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from kizuna import Kizuna
from kizuna.jobs.models import Job
from kizuna.jobs.worker import Worker
from kizuna.mail.models import MailMessage

MAIL_KINDS = ("mail.deliver", "mail.release_held")
MAIL_FROM = "絆 Kizuna <no-reply@kizuna.example>"
PUBLIC_URL = "https://cx.example.jp"


def free_port() -> int:
    """A port nothing listens on (bound and released at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class SmtpInbox:
    """An aiosmtpd handler that keeps what it accepts, doing what `plan` says first."""

    received: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    plan: list[str] = field(default_factory=list)
    refuse_recipients: str | None = None
    victim: int | None = None  # a process killed by the step "keep-then-kill"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if self.refuse_recipients:
            return self.refuse_recipients
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        step = self.plan.pop(0) if self.plan else "accept"
        if step == "keep-then-kill":  # kept; its sender dies before hearing so
            assert self.victim is not None
            os.kill(self.victim, signal.SIGKILL)
        if step in ("accept", "keep-then-drop", "keep-then-kill"):
            self.received.append(
                message_from_bytes(envelope.original_content, policy=policy.default)
            )  # type: ignore[arg-type]
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        if step in ("drop", "keep-then-drop"):
            server.transport.close()  # the reply below is never sent
            return "250 OK"
        return "250 2.0.0 OK" if step == "accept" else step


@dataclass
class SmtpServer:
    host: str
    port: int
    inbox: SmtpInbox


def start_server(inbox: SmtpInbox, **options: Any) -> tuple[Controller, SmtpServer]:
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, ready_timeout=5, **options)
    controller.start()
    return controller, SmtpServer("127.0.0.1", port, inbox)


def mail_app(kz: Kizuna, port: int, **settings: Any) -> Kizuna:
    """`kz` with its mail settings pointing at 127.0.0.1:`port` (same database)."""
    values = {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_security": "none",
        "smtp_timeout_seconds": 5.0,
        "mail_from": MAIL_FROM,
        "base_url": PUBLIC_URL,
        "mail_max_attempts": 4,
        "embedded_worker": False,  # tests run mail jobs themselves
        **settings,
    }
    return Kizuna(kz.settings.model_copy(update=values), engine=kz.engine)


def run_mail_jobs(
    app: Kizuna, kinds: tuple[str, ...] = ("mail.deliver",), timeout: float = 10.0
) -> int:
    """Run jobs of `kinds`, waiting out their (tiny) backoff, until none is left; how many ran.

    `run_once`, not `run_burst`: a burst would also enqueue every due schedule in the shared
    test database, other rooms' included.
    """
    worker = Worker(app, "mail-test", kinds=kinds, retry_base_seconds=0.01, retry_cap_seconds=0.02)
    deadline = time.monotonic() + timeout
    ran = 0
    while time.monotonic() < deadline:
        while worker.run_once():
            ran += 1
        with app.session() as session:
            waiting = session.scalar(
                select(func.count()).where(
                    Job.kind.in_(kinds), Job.state.in_(("queued", "failed", "running"))
                )
            )
        if not waiting:
            return ran
        time.sleep(0.02)
    raise AssertionError(f"{kinds} jobs still waiting after {timeout} s")


def load(app: Kizuna, message_id: int) -> MailMessage:
    with app.session() as session:
        return session.get_one(MailMessage, message_id)
