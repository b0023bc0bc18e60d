"""Inviting a person sends the link by e-mail through the outbox, once, and the link works."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from mail_support import SmtpServer, run_mail_jobs

from kizuna import Kizuna
from kizuna.web import create_app


def test_an_invitation_is_mailed_once_in_the_inviters_language_and_its_link_joins(
    mail_kz: Kizuna, smtp_server: SmtpServer, ws: Any
) -> None:
    api = TestClient(create_app(mail_kz), headers={"X-API-Key": ws.api_key})
    made = api.post("/api/v1/invitations", json={"email": "Aoi.Sato@Example.jp", "role": "agent"})
    assert made.status_code == 201, made.text
    token = made.json()["token"]
    assert run_mail_jobs(mail_kz) == 1
    run_mail_jobs(mail_kz)  # nothing left: the keyed send went out once
    (mail,) = smtp_server.inbox.received
    assert mail["To"] == "aoi.sato@example.jp"
    assert "招待" in mail["Subject"]  # the workspace's language (ja by default)
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert "担当者" in text  # the role's label, never the code "agent"
    link = re.search(r"https?://\S+/invite/(\S+)", text)
    assert link and link.group(1) == token
    assert mail["List-Unsubscribe"] is None  # transactional mail
    page = TestClient(create_app(mail_kz)).get(f"/invite/{token}")
    assert page.status_code == 200 and "aoi.sato@example.jp" in page.text
