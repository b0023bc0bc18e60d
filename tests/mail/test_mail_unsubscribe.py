"""Unsubscribing: List-Unsubscribe headers, the public /u/{token} pages, later mail skipped."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from mail_support import PUBLIC_URL, SmtpServer, load, run_mail_jobs

from kizuna import Kizuna
from kizuna.mail.models import MailMessage
from kizuna.mail.service import send_mail
from kizuna.mail.unsubscribe import is_suppressed, make_unsubscribe_token
from kizuna.web.app import create_app

ADDRESS = "hanako@example.jp"


@pytest.fixture
def client(mail_kz: Kizuna) -> Iterator[TestClient]:
    with TestClient(create_app(mail_kz)) as test_client:
        yield test_client


def send(
    app: Kizuna, workspace_id: int, key: str, category: str, language: str = "ja"
) -> MailMessage:
    with app.session() as session:
        return send_mail(
            session,
            app.settings,
            workspace_id=workspace_id,
            key=key,
            to=ADDRESS,
            template="notice",
            language=language,
            category=category,  # type: ignore[arg-type]
            context={"subject": "アンケートのお願い", "paragraphs": ["ご意見をお聞かせください。"]},
        )


def test_customer_mail_carries_one_click_unsubscribe_and_transactional_mail_does_not(
    mail_kz: Kizuna, smtp_server: SmtpServer, ws
) -> None:  # type: ignore[no-untyped-def]
    send(mail_kz, ws.workspace.id, "survey:1", "customer")
    send(mail_kz, ws.workspace.id, "case:1", "transactional")
    run_mail_jobs(mail_kz)
    # Sent second, delivered first: transactional mail never waits behind customer mail.
    transactional, customer = smtp_server.inbox.received
    link = customer["List-Unsubscribe"]
    assert link.startswith(f"<{PUBLIC_URL}/u/") and link.endswith(">")
    assert customer["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = link[1:-1]
    assert url in customer.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "配信を停止" in customer.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert transactional["List-Unsubscribe"] is None
    assert transactional["List-Unsubscribe-Post"] is None
    assert "配信を停止" not in transactional.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_one_click_post_unsubscribes_and_later_customer_mail_is_skipped_with_its_reason(
    mail_kz: Kizuna, smtp_server: SmtpServer, client: TestClient, ws
) -> None:  # type: ignore[no-untyped-def]
    send(mail_kz, ws.workspace.id, "survey:1", "customer")
    run_mail_jobs(mail_kz)
    [received] = smtp_server.inbox.received
    path = urlsplit(received["List-Unsubscribe"][1:-1]).path
    # What a mail client sends for RFC 8058: no cookie, no CSRF token.
    response = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert "配信を停止しました" in response.text
    assert response.headers["cache-control"] == "no-store"
    with mail_kz.session() as session:
        assert is_suppressed(session, workspace_id=ws.workspace.id, address="Hanako@Example.JP")
    skipped = send(mail_kz, ws.workspace.id, "survey:2", "customer")
    notice = send(mail_kz, ws.workspace.id, "case:9", "transactional")
    run_mail_jobs(mail_kz)
    assert (skipped.state, skipped.skip_reason) == ("skipped", "unsubscribed")
    assert skipped.text_body == "" and skipped.html_body == ""
    assert load(mail_kz, notice.id).state == "sent", "transactional mail is not affected"
    assert len(smtp_server.inbox.received) == 2
    # A second click changes nothing and still says it is done.
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200


def test_mail_queued_before_the_click_is_not_sent(
    mail_kz: Kizuna, smtp_server: SmtpServer, client: TestClient, ws
) -> None:  # type: ignore[no-untyped-def]
    queued = send(mail_kz, ws.workspace.id, "reminder:1", "customer")
    token = make_unsubscribe_token(
        mail_kz.settings, workspace_id=ws.workspace.id, address=ADDRESS, language="ja"
    )
    assert client.post(f"/u/{token}").status_code == 200  # the confirmation page's button
    run_mail_jobs(mail_kz)
    stored = load(mail_kz, queued.id)
    assert (stored.state, stored.skip_reason) == ("skipped", "unsubscribed")
    assert smtp_server.inbox.received == []


def test_opening_the_link_asks_first_in_the_mails_language(
    mail_kz: Kizuna, client: TestClient, ws
) -> None:  # type: ignore[no-untyped-def]
    for language, question, button in (
        ("ja", "送らないようにします", "配信を停止する"),
        ("en", "will send no more e-mail", "Unsubscribe"),
    ):
        token = make_unsubscribe_token(
            mail_kz.settings, workspace_id=ws.workspace.id, address=ADDRESS, language=language
        )
        page = client.get(f"/u/{token}", headers={"Accept-Language": "de"})
        assert page.status_code == 200
        assert f'<html lang="{language}">' in page.text
        assert question in page.text and button in page.text
        assert ws.workspace.name in page.text
        assert f'action="/u/{token}"' in page.text
    with mail_kz.session() as session:
        assert not is_suppressed(session, workspace_id=ws.workspace.id, address=ADDRESS)


def test_a_changed_link_gets_a_friendly_page_and_unsubscribes_nobody(
    mail_kz: Kizuna, client: TestClient, ws
) -> None:  # type: ignore[no-untyped-def]
    token = make_unsubscribe_token(
        mail_kz.settings, workspace_id=ws.workspace.id, address=ADDRESS, language="ja"
    )
    flipped = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
    for bad in (flipped, token[:-3], "not-a-token"):
        page = client.post(f"/u/{bad}", headers={"Accept-Language": "en"})
        assert page.status_code == 400
        assert "This unsubscribe link is incomplete or was changed" in page.text
        assert client.get(f"/u/{bad}").status_code == 400
    with mail_kz.session() as session:
        assert not is_suppressed(session, workspace_id=ws.workspace.id, address=ADDRESS)


def test_unsubscribing_from_one_workspace_leaves_the_others(
    mail_kz: Kizuna, client: TestClient, make_workspace
) -> None:  # type: ignore[no-untyped-def]
    hotel, shop = make_workspace(), make_workspace()
    token = make_unsubscribe_token(
        mail_kz.settings, workspace_id=hotel.workspace.id, address=ADDRESS, language="en"
    )
    assert client.post(f"/u/{token}").status_code == 200
    assert send(mail_kz, hotel.workspace.id, "s:1", "customer").state == "skipped"
    assert send(mail_kz, shop.workspace.id, "s:1", "customer").state == "queued"
