"""Fixtures of the loop room: a real SMTP server on 127.0.0.1, an application object pointed
at it, and workspace-scoped job running (so other rooms' queued work is left alone)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "mail"))

from mail_support import SmtpInbox, SmtpServer, mail_app, start_server

from kizuna import Kizuna


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    controller, server = start_server(SmtpInbox())
    try:
        yield server
    finally:
        controller.stop()


@pytest.fixture
def mail_kz(kz: Kizuna, smtp_server: SmtpServer) -> Kizuna:
    return mail_app(kz, smtp_server.port)
