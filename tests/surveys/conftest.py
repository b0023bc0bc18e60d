"""Fixtures of the surveys room: a workspace with a live survey, customers to invite, a real
SMTP server on 127.0.0.1 (the mail room's aiosmtpd helpers), and clean-up of this room's
mail and jobs after each test."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# The mail room's SMTP server and the web room's live server, used as they are.
for folder in ("mail", "web"):
    path = str(Path(__file__).resolve().parents[1] / folder)
    if path not in sys.path:
        sys.path.append(path)

from mail_support import SmtpInbox, SmtpServer, mail_app, start_server  # noqa: E402
from survey_support import SurveyWorld, make_world  # noqa: E402

from kizuna import Kizuna  # noqa: E402


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    controller, server = start_server(SmtpInbox())
    try:
        yield server
    finally:
        controller.stop()


@pytest.fixture
def mail_kz(kz: Kizuna, smtp_server: SmtpServer) -> Kizuna:
    """The application pointed at the loopback SMTP server (same database)."""
    return mail_app(kz, smtp_server.port)


@pytest.fixture
def world(kz: Kizuna, ws) -> SurveyWorld:  # type: ignore[no-untyped-def]
    """A workspace with a live relationship-NPS survey and a few customers."""
    return make_world(kz, ws)
